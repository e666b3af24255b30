import assert, { AssertionError } from 'node:assert/strict';
import { inspect, isDeepStrictEqual } from 'node:util';
import type { ContractExpect, ContractMatchers } from './runner.js';

/**
 * The contract suites' `expect` over node:assert, for runners without one (node:test).
 * Each matcher keeps vitest's meaning (see `ContractMatchers`) and fails with node's
 * AssertionError. The recursive matchers first align the two sides (what `toMatchObject`
 * does not ask for is left out, an asymmetric matcher that matches is replaced by the value
 * it matched, undefined properties are dropped for `toEqual`) and then hand them to
 * `assert.deepStrictEqual`, so the comparison and the diff in a failure are node's.
 * Written here rather than taken from a library: the only expect libraries are the test
 * runners' own, and the point is to load none of them.
 */

type Mode = 'equal' | 'subset';

/**
 * An asymmetric matcher, for a place in `expected`. Its sample is its only own property, so
 * node's diff of a failure shows what it asks for: `ArrayContaining { sample: [ 'us_usd' ] }`.
 */
abstract class Asymmetric {
  abstract matches(actual: unknown, mode: Mode): boolean;
}

class ArrayContaining extends Asymmetric {
  constructor(readonly sample: unknown[]) {
    super();
  }
  matches(actual: unknown, mode: Mode): boolean {
    return (
      this.sample.length === 0 ||
      (Array.isArray(actual) &&
        this.sample.every((item) => actual.some((element) => itemEquals(item, element, mode))))
    );
  }
}

class ObjectContaining extends Asymmetric {
  constructor(readonly sample: Record<string, unknown>) {
    super();
  }
  matches(actual: unknown, mode: Mode): boolean {
    return Object.entries(this.sample).every(
      ([key, value]) =>
        actual !== null &&
        actual !== undefined &&
        key in Object(actual) &&
        itemEquals(value, property(actual, key), mode),
    );
  }
}

class StringContaining extends Asymmetric {
  constructor(readonly sample: string) {
    super();
  }
  matches(actual: unknown): boolean {
    return typeof actual === 'string' && actual.includes(this.sample);
  }
}

class StringMatching extends Asymmetric {
  readonly sample: RegExp;
  constructor(pattern: string | RegExp) {
    super();
    this.sample = new RegExp(pattern);
  }
  matches(actual: unknown): boolean {
    return typeof actual === 'string' && this.sample.test(actual);
  }
}

const isAsymmetric = (value: unknown): value is Asymmetric => value instanceof Asymmetric;

/** Plain objects and class instances (compared by their properties); not arrays, dates, maps... */
const isRecord = (value: unknown): value is Record<string, unknown> =>
  Object.prototype.toString.call(value) === '[object Object]' && !isAsymmetric(value);

/** An own or inherited property, short of Object.prototype's (vitest's reading for toMatchObject). */
const hasProperty = (value: unknown, key: string): boolean => {
  for (
    let at = value;
    typeof at === 'object' && at !== null && at !== Object.prototype;
    at = Object.getPrototypeOf(at)
  )
    if (Object.hasOwn(at, key)) return true;
  return false;
};

const property = (value: unknown, key: string): unknown => (value as Record<string, unknown>)[key];

/** The two sides, reduced to what the comparison in `mode` looks at. */
const align = (actual: unknown, expected: unknown, mode: Mode): [unknown, unknown] => {
  if (isAsymmetric(expected)) return expected.matches(actual, mode) ? [actual, actual] : [actual, expected];
  // Only where an asymmetric matcher compares its own items (see itemEquals).
  if (isAsymmetric(actual)) return actual.matches(expected, mode) ? [expected, expected] : [actual, expected];
  if (Array.isArray(actual) && Array.isArray(expected)) {
    const a: unknown[] = [];
    const e: unknown[] = [];
    for (let i = 0; i < Math.max(actual.length, expected.length); i += 1) {
      if (i >= expected.length) a.push(actual[i]);
      else if (i >= actual.length) e.push(expected[i]);
      else if ((actual[i] === undefined) !== (expected[i] === undefined)) {
        // An undefined element matches only an undefined one, even where `{}` asks for nothing.
        a.push(actual[i]);
        e.push(expected[i]);
      } else {
        const [x, y] = align(actual[i], expected[i], mode);
        a.push(x);
        e.push(y);
      }
    }
    return [a, e];
  }
  if (mode === 'subset' && isRecord(expected)) {
    // Only the properties `expected` names, on whatever `actual` is (an empty one asks for nothing).
    const a: Record<string, unknown> = {};
    const e: Record<string, unknown> = {};
    for (const key of Object.keys(expected)) {
      if (hasProperty(actual, key)) [a[key], e[key]] = align(property(actual, key), expected[key], mode);
      else e[key] = expected[key];
    }
    return [a, e];
  }
  if (isRecord(actual) && isRecord(expected)) {
    const defined = (record: Record<string, unknown>) =>
      Object.keys(record).filter((key) => record[key] !== undefined);
    const a: Record<string, unknown> = {};
    const e: Record<string, unknown> = {};
    for (const key of new Set([...defined(actual), ...defined(expected)])) {
      if (actual[key] === undefined) e[key] = expected[key];
      else if (expected[key] === undefined) a[key] = actual[key];
      else [a[key], e[key]] = align(actual[key], expected[key], mode);
    }
    return [a, e];
  }
  return [actual, expected];
};

/**
 * An asymmetric matcher's own comparison of one of its items with a part of `actual`. Under
 * toMatchObject vitest compares them with the subset rule the other way round (the part of
 * `actual` is the subset: `[{}]` matches `arrayContaining([{ a: 1 }])`); kept, so a suite
 * passes or fails alike under both runners.
 */
const itemEquals = (item: unknown, actual: unknown, mode: Mode): boolean =>
  isDeepStrictEqual(...(mode === 'subset' ? align(item, actual, mode) : align(actual, item, mode)));

const fail = (actual: unknown, expected: unknown, operator: string, message: string): never => {
  throw new AssertionError({ message, actual, expected, operator });
};

const show = (value: unknown) => inspect(value, { depth: 4, breakLength: Number.POSITIVE_INFINITY });

const isComparable = (value: unknown): value is number | bigint =>
  typeof value === 'number' || typeof value === 'bigint';

const compare = (
  actual: unknown,
  bound: number | bigint,
  operator: string,
  holds: (a: number | bigint, b: number | bigint) => boolean,
) => {
  if (!isComparable(actual))
    fail(actual, bound, operator, `expected a number or a bigint, got ${show(actual)}`);
  else if (!holds(actual, bound))
    fail(actual, bound, operator, `expected ${show(actual)} ${operator} ${show(bound)}`);
};

const matchers = (actual: unknown): Omit<ContractMatchers, 'not'> => ({
  toBe: (expected) => assert.equal(actual, expected),
  toEqual: (expected) => assert.deepEqual(...align(actual, expected, 'equal')),
  toMatchObject: (expected) => {
    if (typeof actual !== 'object' || actual === null)
      fail(actual, expected, 'toMatchObject', `expected an object, got ${show(actual)}`);
    assert.deepEqual(...align(actual, expected, 'subset'));
  },
  toBeNull: () => assert.equal(actual, null),
  toBeUndefined: () => assert.equal(actual, undefined),
  toBeDefined: () => {
    if (actual === undefined) fail(actual, undefined, 'toBeDefined', 'expected a value, got undefined');
  },
  toBeTruthy: () => {
    if (!actual) fail(actual, true, 'toBeTruthy', `expected a truthy value, got ${show(actual)}`);
  },
  toBeFalsy: () => {
    if (actual) fail(actual, false, 'toBeFalsy', `expected a falsy value, got ${show(actual)}`);
  },
  toContain: (item) => {
    if (typeof actual === 'string') {
      if (typeof item !== 'string' || !actual.includes(item))
        fail(actual, item, 'toContain', `expected ${show(actual)} to contain ${show(item)}`);
    } else if (Array.isArray(actual)) {
      if (!actual.some((element) => element === item))
        fail(actual, item, 'toContain', `expected ${show(actual)} to contain ${show(item)}`);
    } else fail(actual, item, 'toContain', `expected an array or a string, got ${show(actual)}`);
  },
  toHaveLength: (length) => {
    const has =
      typeof actual === 'string' || (typeof actual === 'object' && actual !== null && 'length' in actual)
        ? (actual as { length: unknown }).length
        : undefined;
    if (typeof has !== 'number')
      fail(actual, length, 'toHaveLength', `expected a length, got ${show(actual)}`);
    else if (has !== length)
      fail(has, length, 'toHaveLength', `expected length ${length}, got ${has}: ${show(actual)}`);
  },
  toBeGreaterThan: (bound) => compare(actual, bound, '>', (a, b) => a > b),
  toBeGreaterThanOrEqual: (bound) => compare(actual, bound, '>=', (a, b) => a >= b),
  toBeLessThan: (bound) => compare(actual, bound, '<', (a, b) => a < b),
  toBeLessThanOrEqual: (bound) => compare(actual, bound, '<=', (a, b) => a <= b),
  toMatch: (pattern) => {
    if (typeof actual !== 'string')
      fail(actual, pattern, 'toMatch', `expected a string, got ${show(actual)}`);
    else if (typeof pattern === 'string' ? !actual.includes(pattern) : !pattern.test(actual))
      fail(actual, pattern, 'toMatch', `expected ${show(actual)} to match ${show(pattern)}`);
  },
});

type Checks = Omit<ContractMatchers, 'not'>;
type Check = (...args: unknown[]) => void;

const mapChecks = (checks: Checks, wrap: (name: string, check: Check) => Check): Checks =>
  Object.fromEntries(
    Object.entries(checks).map(([name, check]) => [name, wrap(name, check as Check)]),
  ) as unknown as Checks;

/** Each matcher turned around: it passes when the positive one fails an assertion. */
const negated = (actual: unknown, checks: Checks): Checks =>
  mapChecks(checks, (name, check) => (...args) => {
    try {
      check(...args);
    } catch (error) {
      if (error instanceof AssertionError) return;
      throw error;
    }
    const what = args.length > 0 ? ` ${show(args[0])}` : '';
    fail(actual, args[0], `not.${name}`, `expected ${show(actual)} not.${name}${what}`);
  });

/** The failures of `checks` led by the message given to `expect(actual, message)`. */
const labelled = (checks: Checks, message: string | undefined): Checks =>
  message === undefined
    ? checks
    : mapChecks(checks, (_, check) => (...args) => {
        try {
          check(...args);
        } catch (error) {
          // The same error, led by the message: its actual, expected and diff stay node's.
          if (error instanceof AssertionError) {
            const original = error.message;
            error.message = `${message}: ${original}`;
            if (error.stack) error.stack = error.stack.replace(original, error.message);
          }
          throw error;
        }
      });

const matchersOf = (actual: unknown, message: string | undefined, positive: boolean): ContractMatchers => {
  const checks = matchers(actual);
  return {
    ...labelled(positive ? checks : negated(actual, checks), message),
    get not() {
      return matchersOf(actual, message, !positive);
    },
  };
};

/** `expect(actual, message?)` with vitest's matchers, failing with node:assert's AssertionError. */
export const expect: ContractExpect = Object.assign(
  (actual: unknown, message?: string): ContractMatchers => matchersOf(actual, message, true),
  {
    arrayContaining: (items: unknown[]) => new ArrayContaining(items),
    objectContaining: (properties: Record<string, unknown>) => new ObjectContaining(properties),
    stringContaining: (text: string) => new StringContaining(text),
    stringMatching: (pattern: string | RegExp) => new StringMatching(pattern),
  },
);
