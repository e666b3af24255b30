/**
 * A token bucket in its GCRA form (one number per key: the theoretical arrival time),
 * shared by the client, which waits its turn, and the sandbox server, which refuses
 * with a Retry-After. Written by hand: the libraries that do this are tied to Redis or
 * to a web framework, and this is twenty lines.
 */
export interface RateLimit {
  /** Sustained requests per second. */
  readonly requestsPerSecond: number;
  /** How many may go at once after a quiet spell (default: one second's worth). */
  readonly burst?: number;
}

export class TokenBucket {
  private readonly interval: number;
  private readonly tolerance: number;
  private tat = Number.NEGATIVE_INFINITY;

  constructor(
    limit: RateLimit,
    private readonly now: () => number = () => performance.now(),
  ) {
    if (!(limit.requestsPerSecond > 0) || !Number.isFinite(limit.requestsPerSecond))
      throw new RangeError('requestsPerSecond must be a positive number');
    const burst = Math.max(1, Math.floor(limit.burst ?? limit.requestsPerSecond));
    this.interval = 1000 / limit.requestsPerSecond;
    this.tolerance = this.interval * (burst - 1);
  }

  /** Takes a token if one is there: 0, or the milliseconds until one will be (nothing taken). */
  tryTake(): number {
    const now = this.now();
    const tat = Math.max(this.tat, now);
    const wait = tat - this.tolerance - now;
    if (wait > 0) return wait;
    this.tat = tat + this.interval;
    return 0;
  }

  /** Reserves the next token, first come first served: the milliseconds to wait before using it. */
  reserve(): number {
    const now = this.now();
    const tat = Math.max(this.tat, now);
    this.tat = tat + this.interval;
    return Math.max(0, tat - this.tolerance - now);
  }

  /** True when the bucket is full again (nothing to remember). */
  idle(): boolean {
    return this.tat <= this.now();
  }
}

/** One bucket per key, forgetting the idle ones now and then. */
export class KeyedRateLimiter {
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(
    private readonly limit: RateLimit,
    private readonly now: () => number = () => performance.now(),
  ) {}

  tryTake(key: string): number {
    let bucket = this.buckets.get(key);
    if (!bucket) {
      if (this.buckets.size >= 10_000) this.sweep();
      bucket = new TokenBucket(this.limit, this.now);
      this.buckets.set(key, bucket);
    }
    return bucket.tryTake();
  }

  private sweep(): void {
    for (const [key, bucket] of this.buckets) if (bucket.idle()) this.buckets.delete(key);
  }
}
