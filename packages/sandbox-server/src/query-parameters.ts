import type { ConciergeError } from '@concierge-ts/application';
import type { Context } from 'hono';
import { err, ok, type Result } from 'neverthrow';

/** A refused query parameter, named in `source.parameter`. */
export const badParameter = (parameter: string, detail: string): ConciergeError => ({
  type: 'bad_request',
  status: 400,
  code: 'invalid_parameter',
  detail,
  field: { parameter },
});

export const PAGE_PARAMETERS = ['page[number]', 'page[size]'] as const;

const shown = (name: string): string => (name.length > 200 ? `${name.slice(0, 200)}…` : name);

/** Why a parameter the endpoint does not take is refused, by the JSON:API family it belongs to. */
const whyRefused = (name: string, allowed: readonly string[]): string => {
  const family = (prefix: string) => allowed.filter((p) => p.startsWith(prefix)).join(', ');
  if (name === 'sort') return 'sort is not supported: lists come in the order their resources were created';
  if (name === 'fields' || name.startsWith('fields['))
    return `sparse fieldsets (${shown(name)}) are not supported: resources come whole`;
  if (name === 'include') return 'include is not supported on this endpoint';
  if (name === 'filter' || name.startsWith('filter['))
    return family('filter[') === ''
      ? `${shown(name)}: this endpoint has no filters`
      : `${shown(name)} is not a filter of this endpoint (filters: ${family('filter[')})`;
  if (name === 'page' || name.startsWith('page['))
    return family('page[') === ''
      ? `${shown(name)}: this endpoint is not paginated`
      : `${shown(name)}: pages are chosen with ${family('page[')}`;
  return `unknown query parameter ${shown(name)}`;
};

/**
 * Every query parameter is one the endpoint takes (JSON:API 1.0: a server that does not
 * know how to process a parameter answers 400), or the first that is not, refused.
 */
export const onlyParameters = (c: Context, allowed: readonly string[]): Result<void, ConciergeError> => {
  for (const name of new URL(c.req.url).searchParams.keys())
    if (!allowed.includes(name)) return err(badParameter(shown(name), whyRefused(name, allowed)));
  return ok(undefined);
};

/**
 * `include`: absent or empty includes nothing; otherwise every comma-separated path must
 * be one the endpoint supports.
 */
export const includePaths = <P extends string>(
  c: Context,
  supported: readonly P[],
): Result<ReadonlySet<P>, ConciergeError> => {
  const value = c.req.query('include');
  if (value === undefined || value === '') return ok(new Set());
  const paths = value.split(',');
  const unsupported = paths.find((p) => !(supported as readonly string[]).includes(p));
  return unsupported === undefined
    ? ok(new Set(paths as P[]))
    : err(
        badParameter(
          'include',
          `include=${shown(unsupported)} is not supported: this endpoint includes ${supported.join(', ')}`,
        ),
      );
};
