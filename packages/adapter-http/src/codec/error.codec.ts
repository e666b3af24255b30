import type { ConciergeError, ConciergeErrorType } from '@concierge-ts/application';
import { match } from 'ts-pattern';
import { type ErrorDocumentWire, errorDocument, fieldOfSource, sourceOfField } from './json-api.js';

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
  match(e)
    .with({ type: 'timeout' }, (t) => t.status ?? 504)
    .with({ type: 'connection' }, () => 502)
    .with({ type: 'decode' }, () => 500)
    .with(
      { type: 'bad_request' },
      { type: 'authentication' },
      { type: 'permission' },
      { type: 'not_found' },
      { type: 'conflict' },
      { type: 'unprocessable' },
      { type: 'rate_limited' },
      { type: 'server' },
      (answered) => answered.status,
    )
    .exhaustive();

export const encodeError = (e: ConciergeError): ErrorDocumentWire => ({
  errors: [
    {
      status: String(httpStatusOf(e)),
      code: e.code,
      title: TITLES[e.type],
      detail: e.detail,
      // The field at fault: a query parameter in `source.parameter`, the rest by its pointer.
      ...('field' in e && e.field !== undefined ? { source: sourceOfField(e.field) } : {}),
      ...(e.type === 'rate_limited' ? { meta: { retry_after_ms: e.retryAfterMs } } : {}),
    },
  ],
});

/** The kind of a refusal from its HTTP status. */
export const errorTypeOf = (status: number): Exclude<ConciergeErrorType, 'connection' | 'decode'> => {
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

/** A 429 that says nothing of when to come back: the service's bucket refills within a second. */
export const DEFAULT_RETRY_AFTER_MS = 1_000;

/**
 * A non-2xx answer as a `ConciergeError`. The body is read if it is a JSON:API error
 * document; anything else (an HTML page from a proxy) still yields a typed error.
 * `retryAfterMs` is the answer's Retry-After header, if it had one.
 */
export const decodeErrorResponse = (status: number, body: unknown, retryAfterMs?: number): ConciergeError => {
  const parsed = errorDocument.safeParse(body);
  const first = parsed.success ? parsed.data.errors[0] : undefined;
  const at = fieldOfSource(first?.source);
  const metaRetry = first?.meta?.retry_after_ms;
  const retry =
    retryAfterMs ??
    (typeof metaRetry === 'number' && Number.isFinite(metaRetry) && metaRetry >= 0 ? metaRetry : undefined);
  const code = first?.code ?? `http_${status}`;
  const detail = first?.detail ?? first?.title ?? `the server answered HTTP ${status}`;
  const answered = { status, code, detail, ...(at === undefined ? {} : { field: at }) };
  const type = errorTypeOf(status);
  switch (type) {
    case 'bad_request':
    case 'authentication':
    case 'permission':
    case 'not_found':
    case 'conflict':
    case 'server':
      return { type, ...answered };
    case 'unprocessable':
      // A 422 that names no field is about the whole document.
      return { type, ...answered, field: at ?? { path: [] } };
    case 'rate_limited':
      return { type, ...answered, retryAfterMs: retry ?? DEFAULT_RETRY_AFTER_MS };
    case 'timeout':
      // 408: the server gave up waiting for the request, before doing anything with it.
      return { type, status, code, detail, outcome: 'not_sent' };
    default: {
      const unreachable: never = type;
      return unreachable;
    }
  }
};
