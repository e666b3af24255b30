import type { ConciergeError } from '@concierge-ts/application';

/**
 * When to try again (DESIGN, after the Anthropic SDK): 408, 429, 5xx, timeouts and
 * network failures; 2 retries by default; Retry-After honoured up to 60 s; otherwise
 * exponential backoff from 0.5 s to 8 s with jitter.
 */
export interface BackoffOptions {
  /** First backoff delay (default 500 ms). */
  readonly initialMs?: number;
  /** Longest backoff delay (default 8 s). */
  readonly maxMs?: number;
  /** Longest Retry-After honoured; a longer one is returned to the caller as is (default 60 s). */
  readonly maxRetryAfterMs?: number;
}

export const DEFAULT_RETRIES = 2;
export const DEFAULT_BACKOFF: Required<BackoffOptions> = {
  initialMs: 500,
  maxMs: 8_000,
  maxRetryAfterMs: 60_000,
};

/** The delay before retry number `retry` (1-based): doubling, capped, minus up to 25 % jitter. */
export const backoffDelay = (
  retry: number,
  backoff: Required<BackoffOptions>,
  random: () => number = Math.random,
): number => {
  const base = Math.min(backoff.maxMs, backoff.initialMs * 2 ** Math.max(0, retry - 1));
  return base * (1 - random() * 0.25);
};

/**
 * Retry-After in milliseconds: `retry-after-ms`, or `retry-after` as seconds or an
 * HTTP date. Undefined when absent or unreadable.
 */
export const retryAfterMs = (headers: Headers, now: () => number = Date.now): number | undefined => {
  const ms = headers.get('retry-after-ms');
  if (ms !== null) {
    const value = Number(ms);
    if (Number.isFinite(value) && value >= 0) return value;
  }
  const header = headers.get('retry-after');
  if (header === null) return undefined;
  const seconds = Number(header);
  if (header.trim() !== '' && Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now());
};

export const isRetryableStatus = (status: number): boolean =>
  status === 408 || status === 429 || (status >= 500 && status <= 599);

/** A failed attempt, as the retry loop sees it. */
export interface FailedAttempt {
  readonly error: ConciergeError;
  readonly retryable: boolean;
  /**
   * The server may have acted on the request: a timeout, a connection lost after
   * sending, a 5xx. A non-idempotent call must find out before sending again.
   */
  readonly ambiguous: boolean;
  /** How long the answer asked to wait (Retry-After), if it did. */
  readonly retryAfterMs?: number;
}

/** Network error codes that mean the request never reached a server. */
const NOT_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH']);

/** The `code` of a thrown network error, looking through `cause` chains (undici nests them). */
export const networkCode = (thrown: unknown): string | undefined => {
  let at: unknown = thrown;
  for (let depth = 0; depth < 5 && typeof at === 'object' && at !== null; depth += 1) {
    const code = (at as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    const errors = (at as { errors?: unknown }).errors;
    if (Array.isArray(errors) && errors.length > 0) at = errors[0];
    else at = (at as { cause?: unknown }).cause;
  }
  return undefined;
};

export const neverSent = (thrown: unknown): boolean => {
  const code = networkCode(thrown);
  return code !== undefined && NOT_SENT.has(code);
};
