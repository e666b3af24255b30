import { randomUUID } from 'node:crypto';
import type { Logger } from '@concierge-ts/application';
import type { Context, MiddlewareHandler } from 'hono';
import type { DeliveryAttempt } from './webhook-delivery.js';

type WritableLevel = Exclude<Logger['level'], 'silent'>;

/** The header that carries a request's id, both ways. */
export const REQUEST_ID_HEADER = 'X-Request-Id';

/** An incoming request id is kept when it is a short token: letters, digits and `._:-`, 64 at most. */
const SAFE_REQUEST_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;

/** Bodies longer than this are logged as their length only. */
export const MAX_LOGGED_BODY_CHARS = 64 * 1024;

/**
 * The id of a request: the caller's `X-Request-Id` when it is a short safe token (and
 * not the caller's own API key, or a piece of it, sent by mistake), else a new UUID.
 */
export const requestIdFor = (incoming: string | undefined, apiKey: string | undefined): string => {
  const candidate = incoming?.trim();
  const looksLikeKey =
    candidate !== undefined &&
    apiKey !== undefined &&
    apiKey !== '' &&
    (candidate.includes(apiKey) || (candidate.length >= 8 && apiKey.includes(candidate)));
  return candidate !== undefined && SAFE_REQUEST_ID.test(candidate) && !looksLikeKey
    ? candidate
    : randomUUID();
};

/** Server failures at error, refusals (4xx) at warn, the rest at info. */
export const levelOfStatus = (status: number): WritableLevel =>
  status >= 500 ? 'error' : status >= 400 ? 'warn' : 'info';

/** A logger whose level check or write throws never breaks a request. */
const enabled = (logger: Logger, level: WritableLevel): boolean => {
  try {
    return logger.isLevelEnabled(level);
  } catch {
    return false;
  }
};

const safely = async (run: () => void | Promise<void>): Promise<void> => {
  try {
    await run();
  } catch {
    // Logging is best effort.
  }
};

const requestIds = new WeakMap<Context, string>();

/** The id the logging middleware gave this request, if it ran. */
export const requestIdOf = (c: Context): string | undefined => requestIds.get(c);

/**
 * A body as a log field: parsed JSON (the logger redacts it field by field), or only
 * its length. Text that is not JSON is never written: the redactor finds account
 * numbers by their key, which free text does not have.
 */
const bodyField = (text: string): unknown => {
  if (text === '') return undefined;
  if (text.length > MAX_LOGGED_BODY_CHARS) return `[${text.length} characters, not logged]`;
  try {
    return JSON.parse(text);
  } catch {
    return `[${text.length} characters, not JSON, not logged]`;
  }
};

const requestBodyOf = async (c: Context, status: number): Promise<unknown> => {
  if (status === 413) return '[too large, not logged]';
  const declared = Number(c.req.header('content-length') ?? '0');
  if (declared > MAX_LOGGED_BODY_CHARS * 4) return `[${declared} bytes, not logged]`;
  try {
    // The handler's read is cached by Hono; a body nobody read is read now.
    return bodyField(await c.req.text());
  } catch {
    return '[unreadable]';
  }
};

const responseBodyOf = async (response: Response): Promise<unknown> => {
  if (response.body === null) return undefined;
  if (!/json/i.test(response.headers.get('content-type') ?? '')) return '[not JSON, not logged]';
  try {
    return bodyField(await response.clone().text());
  } catch {
    return '[unreadable]';
  }
};

const queryOf = (url: string): Record<string, string | string[]> | undefined => {
  const params = new URL(url).searchParams;
  const query: Record<string, string | string[]> = {};
  for (const [key, value] of params) {
    const seen = query[key];
    query[key] = seen === undefined ? value : [...(Array.isArray(seen) ? seen : [seen]), value];
  }
  return Object.keys(query).length === 0 ? undefined : query;
};

export interface RequestLoggingOptions {
  readonly logger: Logger;
  /** The caller's API key, so that an `X-Request-Id` carrying it is not echoed or logged. */
  readonly apiKeyOf: (c: Context) => string | undefined;
}

/**
 * One line per request, written once it is answered: `requestId`, `method`, `path` (no
 * query string), `status` and `durationMs`; at debug also the request (headers, query,
 * JSON body) and the response (headers, JSON body), which the logger redacts. Answers
 * carry the request id in `X-Request-Id`.
 */
export const requestLogging =
  ({ logger, apiKeyOf }: RequestLoggingOptions): MiddlewareHandler =>
  async (c, next) => {
    const started = performance.now();
    const requestId = requestIdFor(c.req.header(REQUEST_ID_HEADER), apiKeyOf(c));
    requestIds.set(c, requestId);
    let thrown: { readonly error: unknown } | undefined;
    try {
      await next();
    } catch (error) {
      thrown = { error };
    }
    const durationMs = Math.round((performance.now() - started) * 100) / 100;
    if (thrown === undefined)
      try {
        c.res.headers.set(REQUEST_ID_HEADER, requestId);
      } catch {
        c.res = new Response(c.res.body, c.res);
        c.res.headers.set(REQUEST_ID_HEADER, requestId);
      }
    const status = thrown === undefined ? c.res.status : 500;
    const level = levelOfStatus(status);
    await safely(async () => {
      if (!enabled(logger, level)) return;
      const fields: Record<string, unknown> = {
        requestId,
        method: c.req.method,
        path: c.req.path,
        status,
        durationMs,
      };
      if (enabled(logger, 'debug')) {
        fields.request = {
          headers: c.req.raw.headers,
          query: queryOf(c.req.url),
          body: await requestBodyOf(c, status),
        };
        if (thrown === undefined)
          fields.response = { headers: c.res.headers, body: await responseBodyOf(c.res) };
      }
      logger[level](fields, status >= 500 ? 'request failed' : 'request completed');
    });
    if (thrown !== undefined) throw thrown.error;
  };

/** Logs a webhook delivery attempt: delivered at info, retrying at warn, given up at error. */
export const logWebhookAttempt = (logger: Logger, attempt: DeliveryAttempt): void => {
  const level: WritableLevel =
    attempt.outcome === 'delivered' ? 'info' : attempt.outcome === 'retrying' ? 'warn' : 'error';
  void safely(() => {
    if (!enabled(logger, level)) return;
    logger[level](
      {
        op: 'webhook.deliver',
        eventId: attempt.eventId,
        eventType: attempt.eventType,
        url: attempt.url,
        attempt: attempt.attempt,
        status: attempt.status,
        outcome: attempt.outcome,
        ...(attempt.error === undefined ? {} : { error: attempt.error }),
      },
      `webhook ${attempt.outcome === 'gave_up' ? 'given up' : attempt.outcome}`,
    );
  });
};
