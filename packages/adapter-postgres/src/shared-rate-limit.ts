import { createHash } from 'node:crypto';
import type { SqlQueryable } from './sql-journal.js';

/**
 * One rate limit per API key across every worker (SPEC 10.4: `--rate-limit` is the total
 * for the key): a GCRA row per key hash on the PostgreSQL server. A worker takes the
 * key's next slot with one atomic statement that moves the row's theoretical arrival
 * time one interval on, then waits until its slot comes. Slots are spaced by the
 * interval whoever takes them, so the requests of all workers together stay under the
 * limit, and keys do not wait for each other. Written by hand: it is one statement, and
 * the rate-limit libraries keep their state in Redis or in the process.
 */

/** What the database keeps instead of an API key: its SHA-256, in hex. */
export const apiKeyHash = (apiKey: string): string =>
  createHash('sha256').update(apiKey, 'utf8').digest('hex');

/** A fetch as ky and the HTTP client take it. */
export type FetchLike = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

export interface SharedRateLimit {
  readonly keyHash: string;
  readonly requestsPerSecond: number;
  /**
   * Takes the key's next slot and waits for it. Rejects with an `AbortError` when the
   * signal fires, and with a {@link NoSlotError} when the database cannot be reached.
   */
  take(signal?: AbortSignal): Promise<void>;
}

/**
 * The database did not answer, so no slot was taken and nothing was sent. Its `code` is
 * `ECONNREFUSED` (the database refused or dropped the connection), which is what makes an
 * HTTP client count the request as never sent: it may try again, no outcome to settle.
 */
export class NoSlotError extends Error {
  readonly code = 'ECONNREFUSED';
  constructor(cause: unknown) {
    super(
      `no rate-limit slot, the request was not sent: the database did not answer (${cause instanceof Error ? cause.message : String(cause)})`,
      { cause },
    );
    this.name = 'NoSlotError';
  }
}

const abortError = (): Error =>
  new DOMException('the request was aborted while waiting for its slot', 'AbortError');

const wait = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortError());
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortError());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });

/** Takes a slot: moves the key's arrival time one interval on and answers how long to wait for it. */
const TAKE_SLOT = `
  INSERT INTO payout_rate_limits AS b (key_hash, tat)
  VALUES ($1, clock_timestamp() + $2 * interval '1 millisecond')
  ON CONFLICT (key_hash) DO UPDATE
    SET tat = greatest(b.tat, clock_timestamp()) + $2 * interval '1 millisecond'
  RETURNING greatest(0, extract(epoch FROM (b.tat - clock_timestamp())) * 1000 - $2)::float8 AS wait_ms`;

/** The shared limit of one key: `requestsPerSecond` for every worker of that key together. */
export const sharedRateLimit = (
  db: SqlQueryable,
  apiKey: string,
  requestsPerSecond: number,
): SharedRateLimit => {
  if (!(requestsPerSecond > 0) || !Number.isFinite(requestsPerSecond))
    throw new RangeError('requestsPerSecond must be a positive number');
  const keyHash = apiKeyHash(apiKey);
  const intervalMs = 1000 / requestsPerSecond;
  return {
    keyHash,
    requestsPerSecond,
    take: async (signal) => {
      if (signal?.aborted) throw abortError();
      let waitMs: number;
      try {
        const { rows } = await db.query<{ wait_ms: number }>(TAKE_SLOT, [keyHash, intervalMs]);
        waitMs = Number(rows[0]?.wait_ms ?? 0);
      } catch (thrown) {
        throw new NoSlotError(thrown);
      }
      if (waitMs > 0) await wait(waitMs, signal);
    },
  };
};

/** A fetch that takes a slot of the shared limit before each request leaves. */
export const rateLimitedFetch =
  (limit: SharedRateLimit, inner: FetchLike = fetch): FetchLike =>
  async (input, init) => {
    const signal = init?.signal ?? (input instanceof Request ? input.signal : undefined);
    await limit.take(signal ?? undefined);
    return inner(input, init);
  };
