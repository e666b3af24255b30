import { describe, expect, it } from 'vitest';
import { backoffDelay, DEFAULT_BACKOFF, isRetryableStatus, neverSent, retryAfterMs } from './retry-policy.js';

describe('retry policy', () => {
  it('backs off from 0.5 s, doubling, up to 8 s, with up to 25 % jitter off', () => {
    const none = () => 0;
    const most = () => 0.999;
    expect([1, 2, 3, 4, 5, 6, 9].map((n) => backoffDelay(n, DEFAULT_BACKOFF, none))).toEqual([
      500, 1000, 2000, 4000, 8000, 8000, 8000,
    ]);
    expect(backoffDelay(1, DEFAULT_BACKOFF, most)).toBeGreaterThan(375);
    expect(backoffDelay(1, DEFAULT_BACKOFF, most)).toBeLessThan(500);
  });

  it('reads Retry-After as seconds, as an HTTP date, and retry-after-ms', () => {
    const at = Date.UTC(2026, 0, 5, 12, 0, 0);
    const headers = (init: Record<string, string>) => new Headers(init);
    expect(retryAfterMs(headers({ 'retry-after': '3' }))).toBe(3000);
    expect(retryAfterMs(headers({ 'retry-after': '0.5' }))).toBe(500);
    expect(retryAfterMs(headers({ 'retry-after': 'Mon, 05 Jan 2026 12:00:10 GMT' }), () => at)).toBe(10_000);
    expect(retryAfterMs(headers({ 'retry-after-ms': '250', 'retry-after': '9' }))).toBe(250);
    expect(retryAfterMs(headers({ 'retry-after': 'soon' }))).toBeUndefined();
    expect(retryAfterMs(headers({}))).toBeUndefined();
  });

  it('retries 408, 429 and 5xx only', () => {
    expect([408, 429, 500, 502, 503, 504].every(isRetryableStatus)).toBe(true);
    expect([400, 401, 403, 404, 409, 422].some(isRetryableStatus)).toBe(false);
  });

  it('knows a refused connection never reached the server', () => {
    const refused = Object.assign(new TypeError('fetch failed'), {
      cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
    });
    const reset = Object.assign(new TypeError('fetch failed'), {
      cause: Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' }),
    });
    expect(neverSent(refused)).toBe(true);
    expect(neverSent(reset)).toBe(false);
    expect(neverSent(new Error('no code'))).toBe(false);
  });
});
