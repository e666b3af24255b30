/**
 * Freezes a value and everything it holds (objects, arrays, the keys and values of Maps and
 * Sets are walked; Maps and Sets themselves stay usable). In a module (strict mode) any later
 * write throws, so a function that mutates its input fails loudly in a test.
 */
export const deepFreeze = <T>(value: T): T => {
  if (value === null || typeof value !== 'object' || Object.isFrozen(value)) return value;
  if (value instanceof Map) {
    for (const [k, v] of value) {
      deepFreeze(k);
      deepFreeze(v);
    }
    return value;
  }
  if (value instanceof Set) {
    for (const v of value) deepFreeze(v);
    return value;
  }
  Object.freeze(value);
  for (const key of Reflect.ownKeys(value)) deepFreeze((value as Record<PropertyKey, unknown>)[key]);
  return value;
};

/** A structural snapshot (bigints and Maps included) to compare a value before and after a call. */
export const snapshot = (value: unknown): string =>
  JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === 'bigint') return `${v}n`;
    if (v instanceof Map) return { map: [...v.entries()] };
    return v;
  });
