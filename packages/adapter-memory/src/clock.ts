import type { ControllableClock } from '@concierge-ts/application';

/** A clock that moves only when told: deterministic tests. */
export class ManualClock implements ControllableClock {
  constructor(private current: number = Date.UTC(2026, 0, 5, 12, 0, 0)) {}

  now(): number {
    return this.current;
  }

  advance(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError('a clock only moves forward');
    this.current += ms;
  }
}

/**
 * Real time, sped up `speed` times from when it was made, plus whatever the operator
 * added: the sandbox server's clock (`CONCIERGE_SANDBOX_CLOCK_SPEED`; 60 makes a minute
 * pass each second).
 */
export class OffsetClock implements ControllableClock {
  private offset = 0;
  private readonly start: number;

  constructor(
    private readonly source: () => number = Date.now,
    private readonly speed = 1,
  ) {
    if (!Number.isFinite(speed) || speed <= 0) throw new RangeError('a clock speed is a number above 0');
    this.start = source();
  }

  now(): number {
    return Math.floor(this.start + (this.source() - this.start) * this.speed) + this.offset;
  }

  advance(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError('a clock only moves forward');
    this.offset += ms;
  }
}
