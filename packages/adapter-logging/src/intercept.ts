/**
 * A view of `target` in which each property is replaced by what `substitute` makes of
 * it (a logged method, a logged resource), computed once per value. Everything else
 * passes through, and methods still run with the original object as `this`, so a
 * method calling another of its own object is logged once, not twice.
 */
export const intercept = <T extends object>(
  target: T,
  substitute: (key: string, value: unknown) => unknown,
): T => {
  // A Proxy must return a frozen property unchanged; over a frozen object, proxy an
  // empty object that inherits from it instead.
  const base: object = Object.isFrozen(target) ? Object.create(target) : target;
  const cache = new Map<string, { readonly from: unknown; readonly to: unknown }>();
  return new Proxy(base, {
    get(_base, key) {
      const value: unknown = Reflect.get(target, key);
      if (typeof key !== 'string' || key === 'constructor' || key === 'then') return value;
      const own = Object.getOwnPropertyDescriptor(base, key);
      if (own !== undefined && own.configurable === false && own.writable === false) return value;
      const cached = cache.get(key);
      if (cached !== undefined && cached.from === value) return cached.to;
      const to = substitute(key, value);
      cache.set(key, { from: value, to });
      return to;
    },
  }) as T;
};

export const isObject = (value: unknown): value is object => typeof value === 'object' && value !== null;

/** Own string fields named `id`-something (`requestId`, `payeeId`...), added to `ids` where not already set. */
export const collectIds = (
  value: unknown,
  ids: Record<string, string>,
  options: { own?: string } = {},
): void => {
  if (!isObject(value) || Array.isArray(value)) return;
  for (const key of Object.keys(value)) {
    let field: unknown;
    try {
      field = (value as Record<string, unknown>)[key];
    } catch {
      continue;
    }
    if (typeof field !== 'string') continue;
    if (key === 'id') {
      if (options.own !== undefined) ids[options.own] ??= field;
    } else if (key.endsWith('Id')) ids[key] ??= field;
  }
};
