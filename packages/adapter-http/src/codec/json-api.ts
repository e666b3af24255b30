import { conciergeError, type DecodeError, type Field, type MemberPath } from '@concierge-ts/application';
import { err, ok, type Result } from 'neverthrow';
import { z } from 'zod';

/** JSON:API media type; plain `application/json` is accepted too (SPEC section 7). */
export const JSON_API_MEDIA_TYPE = 'application/vnd.api+json';

/** Resource type names on the wire. */
export const RESOURCE_TYPES = {
  port: 'concierge_ports',
  request: 'concierge_requests',
  output: 'concierge_request_outputs',
  estimate: 'concierge_estimates',
  user: 'users',
  withdrawalInstruction: 'withdrawal_instructions',
  event: 'events',
  document: 'concierge_documents',
  /** An output's failure, as its `failures` relationship names them (linkage only: no route serves one). */
  outputFailure: 'concierge_request_output_failures',
} as const;

/**
 * An id as it travels: always a string in responses, a string or an integer in requests
 * (the provider's own guide sends integers). Decoding yields the string.
 */
export const wireId = z.codec(z.union([z.string().min(1), z.int()]), z.string(), {
  decode: (id) => String(id),
  encode: (id) => id,
});

/** `{ type, id }` of a given type (relationships in responses tolerate any type name). */
export const identifier = <T extends string>(type: T) => z.object({ type: z.literal(type), id: wireId });
export const anyIdentifier = z.object({ type: z.string(), id: wireId });
export const toOne = <T extends string>(type: T) => z.object({ data: identifier(type) });
export const looseToOne = z.object({ data: anyIdentifier });

/** JSON:API error object (SPEC section 7: status, code, title, detail, source.pointer). */
export const errorObject = z.object({
  status: z.string().optional(),
  code: z.string().optional(),
  title: z.string().optional(),
  detail: z.string().optional(),
  source: z.object({ pointer: z.string().optional(), parameter: z.string().optional() }).optional(),
  meta: z.record(z.string(), z.unknown()).optional(),
});
export const errorDocument = z.object({ errors: z.array(errorObject).min(1) });
export type ErrorObjectWire = z.input<typeof errorObject>;
export type ErrorDocumentWire = z.input<typeof errorDocument>;

/** A JSON:API link: a URL, or a link object with its URL in `href`. */
export const linkWire = z.union([z.string(), z.looseObject({ href: z.string() })]);
export type LinkWire = z.output<typeof linkWire>;

/** The URL of a link, whichever form it takes. */
export const hrefOf = (value: LinkWire | null | undefined): string | null | undefined =>
  typeof value === 'object' && value !== null ? value.href : value;

/**
 * Pagination as lists carry it: `links` `self`, `first`, `prev`, `next` and `last`
 * (`prev` and `next` null at the ends), and the page in `meta`.
 */
export const pageLinks = z.object({
  self: linkWire.nullable().optional(),
  first: linkWire.nullable().optional(),
  prev: linkWire.nullable().optional(),
  next: linkWire.nullable().optional(),
  last: linkWire.nullable().optional(),
});
export const pageMeta = z.object({
  page: z
    .object({
      number: z.int().positive().optional(),
      size: z.int().positive().optional(),
      next: z.int().positive().nullable().optional(),
    })
    .optional(),
});

/** RFC 6901 pointer from a path: `['data', 'attributes', 'amount']` → `/data/attributes/amount`. */
export const pointerOf = (path: readonly PropertyKey[]): string =>
  path.map((p) => `/${String(p).replaceAll('~', '~0').replaceAll('/', '~1')}`).join('');

/** An array index as RFC 6901 writes it: `0`, or digits without a leading zero. */
const INDEX = /^(?:0|[1-9][0-9]{0,14})$/;

/**
 * The path of an RFC 6901 pointer (`~1` is `/`, `~0` is `~`), array indexes as numbers:
 * `/data/attributes/outputs/2/amount` → `['data', 'attributes', 'outputs', 2, 'amount']`.
 * `''` is the whole document (`[]`).
 */
export const pathOfPointer = (pointer: string): MemberPath =>
  pointer === ''
    ? []
    : pointer
        .slice(pointer.startsWith('/') ? 1 : 0)
        .split('/')
        .map((segment) => segment.replaceAll('~1', '/').replaceAll('~0', '~'))
        .map((segment) => (INDEX.test(segment) ? Number(segment) : segment));

/**
 * The field at a path of a JSON:API request document: under `/data/attributes` an
 * attribute, `/data/relationships/<name>` a relationship, anything else (the document's
 * structure, inside a relationship's linkage, a plain JSON body) a path. The one place
 * that decides it, for the server rendering a refusal and the client reading one.
 */
export const fieldAt = (path: readonly PropertyKey[]): Field => {
  const segments = path.map((p) => (typeof p === 'number' ? p : String(p)));
  const [root, section, ...rest] = segments;
  if (root === 'data' && section === 'attributes') return { attribute: rest };
  if (root === 'data' && section === 'relationships' && rest.length === 1 && typeof rest[0] === 'string')
    return { relationship: rest[0] };
  return { path: segments };
};

/** Where a field is on the wire: a JSON:API error's `source` (RFC 6901 escapes in `pointer`). */
export const sourceOfField = (f: Field): { pointer: string } | { parameter: string } => {
  if ('parameter' in f) return { parameter: f.parameter };
  if ('attribute' in f) return { pointer: pointerOf(['data', 'attributes', ...f.attribute]) };
  if ('relationship' in f) return { pointer: pointerOf(['data', 'relationships', f.relationship]) };
  return { pointer: pointerOf(f.path) };
};

/** The field a JSON:API error's `source` names (undefined when it names none). */
export const fieldOfSource = (
  source: { readonly pointer?: string | undefined; readonly parameter?: string | undefined } | undefined,
): Field | undefined => {
  if (source?.pointer !== undefined) return fieldAt(pathOfPointer(source.pointer));
  if (source?.parameter !== undefined) return { parameter: source.parameter };
  return undefined;
};

/** A zod failure as a decode error naming the first offending field. */
export const decodeFailure = (error: z.ZodError): DecodeError => {
  const issue = error.issues[0];
  if (!issue) return conciergeError.decode('the document does not match its schema');
  const path = issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0] ?? ''] : issue.path;
  const pointer = pointerOf(path);
  return conciergeError.decode(`${pointer || 'the document'}: ${issue.message}`, pointer || '/');
};

/** Runs a zod schema (a codec or a plain schema) in the decoding direction, as a Result. */
export const decodeWith = <S extends z.ZodType>(
  schema: S,
  json: unknown,
): Result<z.output<S>, DecodeError> => {
  const parsed = schema.safeParse(json);
  return parsed.success ? ok(parsed.data) : err(decodeFailure(parsed.error));
};

/** Walks a pointer path into a parsed JSON value (undefined when absent). */
export const valueAt = (json: unknown, path: readonly PropertyKey[]): unknown => {
  let at: unknown = json;
  for (const key of path) {
    if (typeof at !== 'object' || at === null) return undefined;
    at = (at as Record<PropertyKey, unknown>)[key];
  }
  return at;
};
