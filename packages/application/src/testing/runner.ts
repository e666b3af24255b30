/**
 * What a contract suite needs from a test runner: describe, it, the per-test hooks and an
 * `expect` with the matchers the suites use (a small part of vitest's). vitest's own
 * functions fit it as they are (`@concierge-ts/application/testing/vitest`); node:test with
 * node:assert behind the same matchers fits it too (`.../testing/node`), so a suite runs
 * under either without loading the other.
 */
export interface ContractRunner {
  describe(name: string, body: () => void): void;
  it(name: string, body: () => Promise<void> | void): void;
  beforeEach(hook: () => Promise<void> | void): void;
  afterEach(hook: () => Promise<void> | void): void;
  readonly expect: ContractExpect;
}

/** `expect(actual)` and the asymmetric matchers, with vitest's meaning. */
export interface ContractExpect {
  /** `message` leads the failure's message (vitest: `expect(actual, message)`). */
  (actual: unknown, message?: string): ContractMatchers;
  /** An array holding an element equal to each of `items` (in any order, among others). */
  arrayContaining(items: unknown[]): unknown;
  /** An object whose own or inherited properties include these, each equal. */
  objectContaining(properties: Record<string, unknown>): unknown;
  stringContaining(text: string): unknown;
  stringMatching(pattern: string | RegExp): unknown;
}

/**
 * The matchers, with vitest's meaning: `toBe` is `Object.is`; `toEqual` compares
 * recursively, ignores properties whose value is undefined and the classes of objects;
 * `toMatchObject` asks for the properties `expected` names (recursively; arrays
 * element by element, of the same length); `toContain` is an element (`===`) of an array or
 * a substring of a string.
 */
export interface ContractMatchers {
  readonly not: ContractMatchers;
  toBe(expected: unknown): void;
  toEqual(expected: unknown): void;
  toMatchObject(expected: object): void;
  toBeNull(): void;
  toBeUndefined(): void;
  toBeDefined(): void;
  toBeTruthy(): void;
  toBeFalsy(): void;
  toContain(item: unknown): void;
  toHaveLength(length: number): void;
  toBeGreaterThan(bound: number | bigint): void;
  toBeGreaterThanOrEqual(bound: number | bigint): void;
  toBeLessThan(bound: number | bigint): void;
  toBeLessThanOrEqual(bound: number | bigint): void;
  toMatch(pattern: string | RegExp): void;
}
