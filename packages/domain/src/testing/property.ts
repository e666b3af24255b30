import fc, { type Arbitrary, type Parameters } from 'fast-check';

/** The `it` (or `test`) of any runner: vitest, jest, node:test, mocha. */
export type ItFunction = (name: string, body: () => void) => unknown;

/**
 * `test.prop([arbitraries], parameters)(name, predicate)` on top of any runner's `it`, the
 * same shape as `@fast-check/vitest`, without importing a runner: a failing property throws
 * fast-check's report (counterexample, seed and path to replay it).
 *
 * ```ts
 * const test = propertyTest(it);
 * test.prop([fc.nat()], { numRuns: 200 })('is not negative', (n) => n >= 0);
 * ```
 */
export const propertyTest = (it: ItFunction) => ({
  prop:
    <Ts extends [unknown, ...unknown[]]>(
      arbitraries: { [K in keyof Ts]: Arbitrary<Ts[K]> },
      parameters: Parameters<Ts> = {},
    ) =>
    // biome-ignore lint/suspicious/noConfusingVoidType: fast-check's own predicate type
    (name: string, predicate: (...args: Ts) => boolean | void): void => {
      it(name, () => {
        fc.assert(fc.property<Ts>(...arbitraries, predicate), parameters);
      });
    },
});
