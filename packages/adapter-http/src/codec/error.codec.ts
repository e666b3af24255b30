import { type ConciergeError, type ConciergeErrorType, STATUS_OF } from '@concierge-ts/application';
import { match } from 'ts-pattern';
import { type ErrorDocumentWire, type ErrorObjectWire, errorDocument } from './json-api.js';

/** The API's error taxonomy both ways: `ConciergeError` ↔ JSON:API error document (SPEC section 7). */

const TITLES: Readonly<Record<ConciergeErrorType, string>> = {
  bad_request: 'Bad request',
  authentication: 'Unauthorized',
  permission: 'Forbidden',
  not_found: 'Not found',
  conflict: 'Conflict',
  unprocessable: 'Unprocessable entity',
  rate_limited: 'Too many requests',
  server: 'Internal server error',
  connection: 'Bad gateway',
  timeout: 'Gateway timeout',
  decode: 'Internal server error',
};

/** The HTTP status a server answers for an error. */
export const httpStatusOf = (e: ConciergeError): number =>
  e.status ??
  STATUS_OF[e.type] ??
  match(e.type)
    .with('timeout', () => 504)
    .with('connection', () => 502)
    .otherwise(() => 500);

/** Codes whose `pointer` names a query parameter (`page[size]`, `include`), not a field of the body. */
const PARAMETER_CODES: ReadonlySet<string> = new Set(['invalid_parameter', 'invalid_page']);

/**
 * Where the problem is: a query parameter is named in `source.parameter`, a field of the
 * body by its JSON pointer in `source.pointer`. A refusal of a query parameter says so by
 * its code; otherwise what is not a pointer (`/data/id`, or `` for the whole body) is
 * taken for a parameter's name.
 */
const sourceOf = (code: string, pointer: string): ErrorObjectWire['source'] =>
  !PARAMETER_CODES.has(code) && (pointer.startsWith('/') || pointer === '')
    ? { pointer }
    : { parameter: pointer };

export const encodeError = (e: ConciergeError): ErrorDocumentWire => ({
  errors: [
    {
      status: String(httpStatusOf(e)),
      code: e.code,
      title: TITLES[e.type],
      detail: e.detail,
      ...(e.pointer === undefined ? {} : { source: sourceOf(e.code, e.pointer) }),
      ...(e.retryAfterMs === undefined ? {} : { meta: { retry_after_ms: e.retryAfterMs } }),
    },
  ],
});

/** The kind of a refusal from its HTTP status. */
export const errorTypeOf = (status: number): ConciergeErrorType => {
  if (status >= 500) return 'server';
  switch (status) {
    case 401:
      return 'authentication';
    case 403:
      return 'permission';
    case 404:
    case 410:
      return 'not_found';
    case 408:
      return 'timeout';
    case 409:
      return 'conflict';
    case 422:
      return 'unprocessable';
    case 429:
      return 'rate_limited';
    default:
      return 'bad_request';
  }
};

/**
 * A non-2xx answer as a `ConciergeError`. The body is read if it is a JSON:API error
 * document; anything else (an HTML page from a proxy) still yields a typed error.
 */
export const decodeErrorResponse = (status: number, body: unknown, retryAfterMs?: number): ConciergeError => {
  const parsed = errorDocument.safeParse(body);
  const first = parsed.success ? parsed.data.errors[0] : undefined;
  const pointer = first?.source?.pointer ?? first?.source?.parameter;
  const metaRetry = first?.meta?.retry_after_ms;
  const retry =
    retryAfterMs ?? (typeof metaRetry === 'number' && Number.isFinite(metaRetry) ? metaRetry : undefined);
  return {
    type: errorTypeOf(status),
    status,
    code: first?.code ?? `http_${status}`,
    detail: first?.detail ?? first?.title ?? `the server answered HTTP ${status}`,
    ...(pointer === undefined ? {} : { pointer }),
    ...(retry === undefined ? {} : { retryAfterMs: retry }),
  };
};
