import {
  type CallOptions,
  type ConciergeError,
  conciergeError,
  type RequestOutcome,
} from '@concierge-ts/application';
import ky, { type KyInstance } from 'ky';
import { err, ok, type Result, ResultAsync } from 'neverthrow';
import { decodeErrorResponse } from './codec/error.codec.js';
import { JSON_API_MEDIA_TYPE } from './codec/json-api.js';
import { type RateLimit, TokenBucket } from './rate-limiter.js';
import {
  type BackoffOptions,
  backoffDelay,
  DEFAULT_BACKOFF,
  DEFAULT_RETRIES,
  type FailedAttempt,
  isRetryableStatus,
  neverSent,
  retryAfterMs,
} from './retry-policy.js';

/** A fetch the client can be given: the global one, undici's, or a Hono app's `fetch`. */
export type FetchLike = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

export interface TransportOptions {
  /** Where the service is, without `/api` (e.g. `http://127.0.0.1:4100`). */
  readonly baseUrl: string;
  readonly apiKey: string;
  readonly fetch?: FetchLike;
  /** Per attempt, headers and body included (default 30 s). */
  readonly timeoutMs?: number;
  /** Retries after the first attempt (default 2). */
  readonly retries?: number;
  readonly backoff?: BackoffOptions;
  /**
   * Client-side limit per API key, so that a well-behaved integrator never sees a 429:
   * requests per second (default 5, the service's limit), or `0`/`false` for none. The
   * default spaces requests evenly (burst 1), which keeps arrivals under the server's
   * bucket even when the network bunches them.
   */
  readonly rateLimit?: number | RateLimit | false;
  /** Told before each retry (logging, metrics): what failed and how long the client waits. */
  readonly onRetry?: (retry: RetryInfo) => void;
  /** For tests: the jitter source. */
  readonly random?: () => number;
}

export interface RetryInfo {
  readonly method: HttpMethod;
  readonly path: string;
  /** 1 for the first retry. */
  readonly retry: number;
  readonly delayMs: number;
  readonly error: ConciergeError;
}

export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'DELETE';

export interface Call {
  readonly method: HttpMethod;
  /** Relative to the base URL, e.g. `api/concierge_requests`. */
  readonly path: string;
  readonly query?: Readonly<Record<string, string | number | undefined>>;
  readonly body?: unknown;
  /** Safe to send again after an ambiguous failure (reads, PATCH, estimates). */
  readonly idempotent: boolean;
}

/**
 * After an ambiguous failure of a call that is not idempotent, for a call whose effect
 * the service's state shows whoever caused it (a request moved to `quoted`, `cancelled`):
 * `ok(value)`: the effect holds, here is the result; `ok(null)`: it does not, send again
 * (a late copy of the first would be refused); `err`: cannot tell. A create has none:
 * an identical resource may be another caller's, or a late copy of an earlier call.
 */
export type Reconcile<T> = () => Promise<Result<T | null, ConciergeError>>;

type Outcome = { readonly ok: true; readonly status: number; readonly json: unknown } | FailedOutcome;
type FailedOutcome = { readonly ok: false } & FailedAttempt;

const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_RATE: RateLimit = { requestsPerSecond: 5, burst: 1 };

/** Buckets shared by every client of one key on one service in this process: the limit is per key. */
const buckets = new Map<string, TokenBucket>();
const bucketFor = (baseUrl: string, apiKey: string, limit: RateLimit): TokenBucket => {
  const key = `${baseUrl}\u0000${apiKey}\u0000${limit.requestsPerSecond}\u0000${limit.burst ?? ''}`;
  let bucket = buckets.get(key);
  if (!bucket) {
    bucket = new TokenBucket(limit);
    buckets.set(key, bucket);
  }
  return bucket;
};

/** The caller aborted: `outcome` says whether a request had left before it did. */
const aborted = (outcome: RequestOutcome): ConciergeError =>
  conciergeError.connection('the call was aborted by its caller', outcome, 'aborted');

/**
 * The error a call ends with, told whether any attempt may have reached the service: an
 * earlier attempt that timed out may still be acted on, whatever the last one met.
 */
const settled = (error: ConciergeError, uncertain: boolean): ConciergeError =>
  uncertain && (error.type === 'connection' || error.type === 'timeout') && error.outcome === 'not_sent'
    ? { ...error, outcome: 'unknown' }
    : error;

/** Waits, unless the signal fires first (then false). */
const sleep = (ms: number, signal?: AbortSignal): Promise<boolean> =>
  new Promise((resolve) => {
    if (signal?.aborted) return resolve(false);
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });

const parseJson = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
};

/**
 * One API call with the resilience rules: rate limit, timeout, retries with backoff and
 * Retry-After, and no blind resend of what is not idempotent. ky does the HTTP; the loop
 * is ours because ky 1.x neither retries timeouts nor adds jitter, and a POST that may
 * have taken effect is either not sent again (its error's `outcome` is `unknown`) or
 * sent again only once the service's state shows it did not (`Reconcile`), which no
 * retry hook allows. Never throws: every failure is a `ConciergeError`.
 */
export class HttpTransport {
  private readonly ky: KyInstance;
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly backoff: Required<BackoffOptions>;
  private readonly bucket: TokenBucket | null;
  private readonly random: () => number;
  private readonly onRetry: ((retry: RetryInfo) => void) | undefined;

  constructor(options: TransportOptions) {
    const fetchImpl = options.fetch;
    this.ky = ky.create({
      prefixUrl: options.baseUrl,
      headers: {
        authorization: options.apiKey,
        version: '2.0',
        accept: JSON_API_MEDIA_TYPE,
      },
      retry: 0,
      timeout: false,
      throwHttpErrors: false,
      ...(fetchImpl === undefined ? {} : { fetch: fetchImpl }),
    });
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.retries = options.retries ?? DEFAULT_RETRIES;
    this.backoff = { ...DEFAULT_BACKOFF, ...options.backoff };
    const limit =
      options.rateLimit === undefined
        ? DEFAULT_RATE
        : options.rateLimit === false || options.rateLimit === 0
          ? null
          : typeof options.rateLimit === 'number'
            ? { requestsPerSecond: options.rateLimit, burst: 1 }
            : options.rateLimit;
    this.bucket = limit === null ? null : bucketFor(options.baseUrl, options.apiKey, limit);
    this.random = options.random ?? Math.random;
    this.onRetry = options.onRetry;
  }

  request<T>(
    call: Call,
    decode: (json: unknown, status: number) => Result<T, ConciergeError>,
    options: CallOptions = {},
    reconcile?: Reconcile<T>,
  ): ResultAsync<T, ConciergeError> {
    const run = async (): Promise<Result<T, ConciergeError>> => {
      try {
        return await this.loop(call, decode, options, reconcile);
      } catch (thrown) {
        // A bug of ours must not escape as a rejection: the port promises Results.
        return err(
          conciergeError.server(
            `client failure: ${thrown instanceof Error ? thrown.message : String(thrown)}`,
          ),
        );
      }
    };
    return new ResultAsync(run());
  }

  private async loop<T>(
    call: Call,
    decode: (json: unknown, status: number) => Result<T, ConciergeError>,
    options: CallOptions,
    reconcile?: Reconcile<T>,
  ): Promise<Result<T, ConciergeError>> {
    const retries = Math.max(0, options.retries ?? this.retries);
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    const signal = options.signal;
    // Whether an attempt so far may have reached the service and acted.
    let uncertain = false;
    const stop = (): Result<T, ConciergeError> => err(aborted(uncertain ? 'unknown' : 'not_sent'));
    for (let attempt = 0; ; attempt += 1) {
      if (this.bucket) {
        const wait = this.bucket.reserve();
        if (wait > 0 && !(await sleep(wait, signal))) return stop();
      }
      const outcome = await this.attempt(call, timeoutMs, signal);
      if (outcome.ok) return decode(outcome.json, outcome.status);
      const { error, retryable, ambiguous } = outcome;
      uncertain ||= ambiguous;
      if (!retryable) return err(settled(error, uncertain));
      if (ambiguous && !call.idempotent) {
        // Never sent again blindly: a second POST could pay someone twice. Only a call
        // whose effect the service's state shows (a request's transition) is checked.
        if (!reconcile) return err(this.notSentAgain(error));
        const held = await reconcile();
        if (held.isErr()) return err(this.notSentAgain(error));
        if (held.value !== null) return ok(held.value);
      }
      if (attempt >= retries) return err(settled(error, uncertain));
      const after = outcome.retryAfterMs;
      if (after !== undefined && after > this.backoff.maxRetryAfterMs) return err(settled(error, uncertain));
      const delay =
        after !== undefined
          ? after * (1 + this.random() * 0.1)
          : backoffDelay(attempt + 1, this.backoff, this.random);
      this.onRetry?.({ method: call.method, path: call.path, retry: attempt + 1, delayMs: delay, error });
      if (!(await sleep(delay, signal))) return stop();
    }
  }

  /** A call that may have taken effect, not sent again: its error says the outcome is unknown. */
  private notSentAgain(error: ConciergeError): ConciergeError {
    const detail = `${error.detail}; it may have reached the service, so it was not sent again`;
    return error.type === 'connection' || error.type === 'timeout'
      ? { ...error, detail, outcome: 'unknown' }
      : { ...error, detail };
  }

  private async attempt(call: Call, timeoutMs: number, signal?: AbortSignal): Promise<Outcome> {
    if (signal?.aborted) return { ok: false, error: aborted('not_sent'), retryable: false, ambiguous: false };
    const timeoutOutcome: FailedOutcome = {
      ok: false,
      error: conciergeError.timeout(
        `no complete answer within ${timeoutMs} ms (${call.method} /${call.path})`,
        'unknown',
      ),
      retryable: true,
      ambiguous: true,
    };
    // Once the exchange has started, the request may have been written.
    const abortedOutcome: FailedOutcome = {
      ok: false,
      error: aborted('unknown'),
      retryable: false,
      ambiguous: true,
    };
    // The deadline and the caller's signal decide, not the fetch noticing its abort: an
    // abort travelling through combined signals (ky's, undici's) has been seen to get
    // lost, leaving a call waiting on a stalled server far past its timeout.
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    let onAbort: (() => void) | undefined;
    const stop = new Promise<FailedOutcome>((resolve) => {
      timer = setTimeout(() => resolve(timeoutOutcome), timeoutMs);
      if (signal) {
        onAbort = () => resolve(abortedOutcome);
        signal.addEventListener('abort', onAbort, { once: true });
      }
    }).then((outcome) => {
      controller.abort();
      return outcome;
    });
    const searchParams = new URLSearchParams();
    for (const [key, value] of Object.entries(call.query ?? {}))
      if (value !== undefined) searchParams.set(key, String(value));
    const exchange = async (): Promise<Outcome> => {
      const response = await this.ky(call.path, {
        method: call.method,
        signal: controller.signal,
        ...(searchParams.size === 0 ? {} : { searchParams }),
        ...(call.body === undefined
          ? {}
          : { body: JSON.stringify(call.body), headers: { 'content-type': JSON_API_MEDIA_TYPE } }),
      });
      // The deadline covers the body too: a server that stalls mid-answer is a timeout.
      const text = await response.text();
      if (response.ok) {
        if (text.trim() === '') return { ok: true, status: response.status, json: undefined };
        const json = parseJson(text);
        if (json === undefined)
          return {
            ok: false,
            error: conciergeError.decode(`the ${response.status} answer is not JSON`),
            retryable: false,
            ambiguous: false,
          };
        return { ok: true, status: response.status, json };
      }
      const after = retryAfterMs(response.headers);
      const error = decodeErrorResponse(response.status, parseJson(text), after);
      const wait = after ?? (error.type === 'rate_limited' ? error.retryAfterMs : undefined);
      return {
        ok: false,
        error,
        retryable: isRetryableStatus(response.status),
        // 408 and 429 are refusals before any work; a 5xx may come after the work was done.
        ambiguous: response.status >= 500,
        ...(wait === undefined ? {} : { retryAfterMs: wait }),
      };
    };
    const attempt = exchange().catch((thrown: unknown): Outcome => {
      if (controller.signal.aborted) return signal?.aborted ? abortedOutcome : timeoutOutcome;
      const detail = thrown instanceof Error ? thrown.message : String(thrown);
      const outcome: RequestOutcome = neverSent(thrown) ? 'not_sent' : 'unknown';
      return {
        ok: false,
        error: conciergeError.connection(`${call.method} /${call.path} failed: ${detail}`, outcome),
        retryable: true,
        ambiguous: outcome === 'unknown',
      };
    });
    try {
      return await Promise.race([attempt, stop]);
    } finally {
      clearTimeout(timer);
      if (onAbort) signal?.removeEventListener('abort', onAbort);
      // Frees the connection of a call that lost the race; harmless after a normal end.
      if (!controller.signal.aborted) controller.abort();
    }
  }
}
