import { describe, expect, it } from 'vitest';
import { RequestMeter, TimeLeft } from './progress.js';

describe('progress figures', () => {
  it('counts requests per second over a window', () => {
    let now = 0;
    const meter = new RequestMeter(() => now);
    for (let i = 0; i < 10; i++) meter.record();
    now = 1000;
    expect(meter.perSecond(5000)).toBe(2);
    now = 7000;
    expect(meter.perSecond(5000)).toBe(0);
    expect(meter.total).toBe(10);
  });

  it('tells the time left from the pace since the count first moved', () => {
    let now = 0;
    const left = new TimeLeft(() => now);
    expect(left.update(0, 100)).toBe('-');
    now = 10_000;
    expect(left.update(10, 100)).toBe('-');
    now = 20_000;
    // 10 rows in 10 s: 80 left take 80 s.
    expect(left.update(20, 100)).toBe('1m20s');
    expect(left.update(100, 100)).toBe('0s');
  });
});
