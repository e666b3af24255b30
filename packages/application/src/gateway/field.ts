/**
 * Where a refused value is, in the names of the resource it belongs to: what a
 * `ConciergeError` names as its `field`. The same value whether the error was made
 * in-process or read from an HTTP answer: the HTTP adapters turn it into a JSON:API
 * `source.pointer` (or `source.parameter`) and back; nothing else speaks of pointers.
 *
 * - `attribute`: an attribute of the resource sent, by its path inside the attributes
 *   (`['port_code']`, `['body', 'cbu']`, `['outputs', 2, 'amount']`; an array element by
 *   its index as a number). `[]` is the attributes as a whole.
 * - `relationship`: a relationship of the resource sent, by its name (`'request'`,
 *   `'withdrawal_instruction'`).
 * - `parameter`: a query parameter, by its name (`'page[number]'`, `'include'`).
 * - `path`: anything else in what was sent, by its path from the top: the structure of a
 *   document (`['data', 'type']`), a member of a plain JSON body (`['amount']` of a
 *   sandbox operator call), an option (`['baseUrl']`). `[]` is the whole of it.
 */
export type Field =
  | { readonly attribute: MemberPath }
  | { readonly relationship: string }
  | { readonly parameter: string }
  | { readonly path: MemberPath };

/** Names of members and indexes of array elements, from the outside in. */
export type MemberPath = readonly (string | number)[];

export const field = {
  attribute: (...path: MemberPath): Field => ({ attribute: path }),
  relationship: (name: string): Field => ({ relationship: name }),
  parameter: (name: string): Field => ({ parameter: name }),
  path: (...path: MemberPath): Field => ({ path }),
};

const isSegment = (value: unknown): value is string | number =>
  typeof value === 'string' || (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0);

const isPath = (value: unknown): value is MemberPath => Array.isArray(value) && value.every(isSegment);

/** Whether a value is a `Field` (exactly one of its four forms). */
export const isField = (value: unknown): value is Field => {
  if (typeof value !== 'object' || value === null) return false;
  const keys = Object.keys(value);
  if (keys.length !== 1) return false;
  const v = value as Record<string, unknown>;
  switch (keys[0]) {
    case 'attribute':
    case 'path':
      return isPath(v[keys[0]]);
    case 'relationship':
    case 'parameter':
      return typeof v[keys[0]] === 'string';
    default:
      return false;
  }
};

/** Whether a field is the relationship `name`. */
export const isRelationship = (f: Field | undefined, name: string): boolean =>
  f !== undefined && 'relationship' in f && f.relationship === name;

/** Whether a field is the attribute `name` (top level) or inside it. */
export const isInAttribute = (f: Field | undefined, name: string): boolean =>
  f !== undefined && 'attribute' in f && f.attribute[0] === name;

const dotted = (path: MemberPath): string =>
  path.reduce<string>(
    (shown, segment) =>
      typeof segment === 'number' ? `${shown}[${segment}]` : shown ? `${shown}.${segment}` : segment,
    '',
  );

/**
 * A field for people: `body.cbu`, `outputs[2].amount`, `relationship user`,
 * `parameter page[size]`, `the attributes` / `the body` for the whole.
 */
export const describeField = (f: Field): string => {
  if ('attribute' in f) return f.attribute.length === 0 ? 'the attributes' : dotted(f.attribute);
  if ('relationship' in f) return `relationship ${f.relationship}`;
  if ('parameter' in f) return `parameter ${f.parameter}`;
  return f.path.length === 0 ? 'the body' : dotted(f.path);
};
