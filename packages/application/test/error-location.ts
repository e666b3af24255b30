import { conciergeError } from '../src/gateway/errors.js';
import { type Field, field, type MemberPath } from '../src/gateway/field.js';

// Where an unprocessable (422) error points, in the one place the tests say it. Tests
// write the place as the JSON:API pointer an integrator sees on the wire
// (`/data/attributes/body/cbu`); the application's errors carry it as a field in the
// resource's own names, which this reads the pointer into.

const segments = (pointer: string): MemberPath =>
  pointer
    .split('/')
    .slice(1)
    .map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'))
    .map((s) => (/^(0|[1-9][0-9]*)$/.test(s) ? Number(s) : s));

/** The field a wire pointer names: an attribute's path, a relationship, else a path. */
export const fieldAt = (pointer: string): Field => {
  const [data, kind, ...rest] = segments(pointer);
  if (data === 'data' && kind === 'attributes') return field.attribute(...rest);
  if (data === 'data' && kind === 'relationships' && typeof rest[0] === 'string')
    return field.relationship(rest[0]);
  return field.path(...segments(pointer));
};

const escaped = (segment: string | number) => String(segment).replaceAll('~', '~0').replaceAll('/', '~1');

/** The wire pointer of a field (its parameter's name, for a query parameter). */
export const pointerOf = (f: Field): string => {
  if ('attribute' in f) return ['/data/attributes', ...f.attribute.map(escaped)].join('/');
  if ('relationship' in f) return `/data/relationships/${escaped(f.relationship)}`;
  if ('parameter' in f) return f.parameter;
  return f.path.map((s) => `/${escaped(s)}`).join('');
};

/** A 422 at a place in the request document. */
export const errorAt = (code: string, pointer: string) =>
  conciergeError.unprocessable(code, code, fieldAt(pointer));

/** What an unprocessable error carries to say where it points (matched with `toMatchObject`). */
export const located = (pointer: string) => ({ type: 'unprocessable', status: 422, field: fieldAt(pointer) });
