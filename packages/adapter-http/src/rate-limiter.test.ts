import { describe, expect, it } from 'vitest';
import { KeyedRateLimiter, TokenBucket } from './rate-limiter.js';

describe('token bucket', () => {
  it('lets a burst through, then one request per interval, and says how long to wait', () => {
    let now = 0;
    const bucket = new TokenBucket({ requestsPerSecond: 5 }, () => now);
    expect([1, 2, 3, 4, 5].map(() => bucket.tryTake())).toEqual([0, 0, 0, 0, 0]);
    expect(bucket.tryTake()).toBeCloseTo(200);
    now = 200;
    expect(bucket.tryTake()).toBe(0);
    expect(bucket.tryTake()).toBeCloseTo(200);
    now = 10_000;
    expect(bucket.idle()).toBe(true);
  });

  it('reserves turns first come first served, evenly spaced without a burst', () => {
    const bucket = new TokenBucket({ requestsPerSecond: 4, burst: 1 }, () => 0);
    expect([1, 2, 3, 4].map(() => bucket.reserve())).toEqual([0, 250, 500, 750]);
  });

  it('keeps one bucket per key', () => {
    const limiter = new KeyedRateLimiter({ requestsPerSecond: 1 }, () => 0);
    expect(limiter.tryTake('a')).toBe(0);
    expect(limiter.tryTake('a')).toBeGreaterThan(0);
    expect(limiter.tryTake('b')).toBe(0);
  });

  it('refuses a rate that is not positive', () => {
    expect(() => new TokenBucket({ requestsPerSecond: 0 })).toThrow(RangeError);
  });
});
