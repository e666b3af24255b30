import { describe, expect, it } from 'vitest';
import { ManualClock, OffsetClock } from './clock.js';

describe('clocks', () => {
  it('an offset clock runs `speed` times real time from its start, plus what was advanced', () => {
    let real = 1_000_000;
    const clock = new OffsetClock(() => real, 60);
    expect(clock.now()).toBe(1_000_000);
    real += 1_000;
    expect(clock.now()).toBe(1_060_000);
    clock.advance(5_000);
    expect(clock.now()).toBe(1_065_000);
    expect(() => new OffsetClock(() => real, 0)).toThrow(RangeError);
    expect(() => clock.advance(-1)).toThrow(RangeError);
  });

  it('a manual clock moves only when advanced', () => {
    const clock = new ManualClock(0);
    expect(clock.now()).toBe(0);
    clock.advance(2_000);
    expect(clock.now()).toBe(2_000);
  });
});
