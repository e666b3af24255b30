import { fc, test } from '@fast-check/vitest';
import { describe, expect as vitestExpect } from 'vitest';
import { expect as nodeExpect } from './node-expect.js';
import type { ContractExpect, ContractMatchers } from './runner.js';

// The rule: the node:assert `expect` passes exactly when vitest's passes, for the same
// matcher, the same actual value and the same expected value (asymmetric matchers built by
// each side's own `expect`). vitest's expect is the oracle; the values are small trees
// with the leaves where the two could part: undefined properties, -0, NaN, bigints, null.

type Tree = unknown;
const leaf = fc.oneof(
  fc.string({ maxLength: 3, unit: fc.constantFrom('a', 'b', '.') }),
  fc.integer({ min: -2, max: 2 }),
  fc.constantFrom(null, undefined, true, false, -0, Number.NaN, 1n, -1n),
);
const { tree } = fc.letrec<{ tree: Tree }>((tie) => ({
  tree: fc.oneof(
    { depthSize: 'small', maxDepth: 3 },
    leaf,
    fc.array(tie('tree'), { maxLength: 3 }),
    fc.dictionary(fc.constantFrom('a', 'b', 'c'), tie('tree'), { maxKeys: 3 }),
  ),
}));
const container = fc.oneof(
  fc.array(tree, { maxLength: 3 }),
  fc.dictionary(fc.constantFrom('a', 'b', 'c'), tree, { maxKeys: 3 }),
);

/** An expected value, built with either side's `expect` so asymmetric matchers are its own. */
type Expected =
  | { readonly kind: 'value'; readonly value: unknown }
  | { readonly kind: 'array' | 'arrayContaining'; readonly items: readonly Expected[] }
  | {
      readonly kind: 'record' | 'objectContaining';
      readonly entries: readonly (readonly [string, Expected])[];
    }
  | { readonly kind: 'stringContaining' | 'stringMatching'; readonly text: string };

const build = (e: Expected, expect: ContractExpect): unknown => {
  switch (e.kind) {
    case 'value':
      return e.value;
    case 'array':
      return e.items.map((item) => build(item, expect));
    case 'arrayContaining':
      return expect.arrayContaining(e.items.map((item) => build(item, expect)));
    case 'record':
      return Object.fromEntries(e.entries.map(([key, value]) => [key, build(value, expect)]));
    case 'objectContaining':
      return expect.objectContaining(Object.fromEntries(e.entries.map(([k, v]) => [k, build(v, expect)])));
    case 'stringContaining':
      return expect.stringContaining(e.text);
    case 'stringMatching':
      return expect.stringMatching(e.text.replaceAll('.', '\\.'));
    default: {
      const unreachable: never = e;
      return unreachable;
    }
  }
};

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Expected values near `actual`, so that both outcomes come up: the same value, another
 * one, the same shape with some properties left out or some elements changed, and the
 * asymmetric matchers over parts of it.
 */
const near = (actual: unknown, depth = 0): fc.Arbitrary<Expected> => {
  const options: fc.Arbitrary<Expected>[] = [
    fc.constant({ kind: 'value', value: actual }),
    tree.map((value) => ({ kind: 'value', value })),
  ];
  if (depth < 4 && Array.isArray(actual)) {
    options.push(
      fc.tuple(...actual.map((item) => near(item, depth + 1))).map((items) => ({ kind: 'array', items })),
      fc
        .subarray(actual)
        .chain((some) => fc.tuple(...some.map((item) => near(item, depth + 1))))
        .map((items) => ({ kind: 'arrayContaining', items })),
    );
  }
  if (depth < 4 && isRecord(actual)) {
    const entries = (some: Partial<Record<string, Expected>>) =>
      Object.entries(some).filter((entry): entry is [string, Expected] => entry[1] !== undefined);
    const shape = Object.fromEntries(Object.keys(actual).map((key) => [key, near(actual[key], depth + 1)]));
    const extra = fc.dictionary(
      fc.constantFrom('a', 'b', 'c'),
      tree.map((value): Expected => ({ kind: 'value', value })),
      { maxKeys: 1 },
    );
    options.push(
      fc
        .tuple(fc.record(shape, { requiredKeys: [] }), extra)
        .map(([some, more]) => ({ kind: 'record', entries: entries({ ...more, ...some }) })),
      fc
        .record(shape, { requiredKeys: [] })
        .map((some) => ({ kind: 'objectContaining', entries: entries(some) })),
    );
  }
  if (typeof actual === 'string') {
    const part = fc
      .tuple(fc.nat(actual.length), fc.nat(actual.length))
      .map(([a, b]) => actual.slice(Math.min(a, b), Math.max(a, b)));
    options.push(
      part.map((text) => ({ kind: 'stringContaining', text })),
      part.map((text) => ({ kind: 'stringMatching', text })),
      fc.string({ maxLength: 2 }).map((text) => ({ kind: 'stringContaining', text })),
    );
  }
  return fc.oneof(...options);
};

const passes = (check: () => void): boolean => {
  try {
    check();
    return true;
  } catch {
    return false;
  }
};

/** Whether the matcher passes, under vitest and under node:assert. */
const both = (
  actual: unknown,
  expected: Expected,
  check: (matchers: ContractMatchers, expected: unknown) => void,
): { vitest: boolean; node: boolean } => ({
  vitest: passes(() => check(vitestExpect(actual), build(expected, vitestExpect))),
  node: passes(() => check(nodeExpect(actual), build(expected, nodeExpect))),
});

const nearPair = (values: fc.Arbitrary<unknown>) =>
  values.chain((actual) => fc.tuple(fc.constant(actual), near(actual)));

describe('the node:assert expect agrees with vitest’s', () => {
  test.prop([nearPair(tree)], { numRuns: 500 })('toEqual, and its not', ([actual, expected]) => {
    const { vitest, node } = both(actual, expected, (m, e) => m.toEqual(e));
    vitestExpect(node).toBe(vitest);
    const negated = both(actual, expected, (m, e) => m.not.toEqual(e));
    vitestExpect(negated.node).toBe(negated.vitest);
  });

  test.prop([nearPair(container)], { numRuns: 500 })('toMatchObject, and its not', ([actual, expected]) => {
    const object = (m: ContractMatchers, e: unknown) => m.toMatchObject(e as object);
    const { vitest, node } = both(actual, expected, object);
    vitestExpect(node).toBe(vitest);
    const negated = both(actual, expected, (m, e) => m.not.toMatchObject(e as object));
    vitestExpect(negated.node).toBe(negated.vitest);
  });

  test.prop([nearPair(tree)])('toBe', ([actual, expected]) => {
    const { vitest, node } = both(actual, expected, (m, e) => m.toBe(e));
    vitestExpect(node).toBe(vitest);
  });

  test.prop([fc.array(leaf, { maxLength: 4 }).chain((list) => nearPair(fc.constant(list)))])(
    'toContain and toHaveLength on arrays',
    ([list, expected]) => {
      const item =
        Array.isArray(list) && list.length > 0 ? { kind: 'value' as const, value: list[0] } : expected;
      for (const candidate of [item, expected]) {
        const { vitest, node } = both(list, candidate, (m, e) => m.toContain(e));
        vitestExpect(node).toBe(vitest);
      }
      const length = both(list, expected, (m) => m.toHaveLength(2));
      vitestExpect(length.node).toBe(length.vitest);
    },
  );

  test.prop([
    fc.string({ maxLength: 4, unit: fc.constantFrom('a', 'b') }),
    fc.string({ maxLength: 2, unit: fc.constantFrom('a', 'b') }),
  ])('toContain and toMatch on strings', (text, part) => {
    const value = { kind: 'value' as const, value: part };
    for (const check of [
      (m: ContractMatchers, e: unknown) => m.toContain(e),
      (m: ContractMatchers, e: unknown) => m.toMatch(e as string),
      (m: ContractMatchers, e: unknown) => m.toMatch(new RegExp(`^${e as string}`)),
    ]) {
      const { vitest, node } = both(text, value, check);
      vitestExpect(node).toBe(vitest);
    }
  });

  test.prop([leaf, fc.oneof(fc.integer({ min: -2, max: 2 }), fc.bigInt({ min: -2n, max: 2n }))])(
    'the comparisons and the checks of one value',
    (actual, bound) => {
      const value = { kind: 'value' as const, value: bound };
      for (const check of [
        (m: ContractMatchers) => m.toBeGreaterThan(bound),
        (m: ContractMatchers) => m.toBeGreaterThanOrEqual(bound),
        (m: ContractMatchers) => m.toBeLessThan(bound),
        (m: ContractMatchers) => m.toBeLessThanOrEqual(bound),
        (m: ContractMatchers) => m.toBeNull(),
        (m: ContractMatchers) => m.toBeUndefined(),
        (m: ContractMatchers) => m.toBeDefined(),
        (m: ContractMatchers) => m.toBeTruthy(),
        (m: ContractMatchers) => m.toBeFalsy(),
        (m: ContractMatchers) => m.not.toBeNull(),
      ]) {
        const { vitest, node } = both(actual, value, check);
        vitestExpect(node).toBe(vitest);
      }
    },
  );
});
