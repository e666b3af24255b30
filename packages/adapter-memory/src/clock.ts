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

/** Real time plus whatever the operator added: the sandbox server's clock. */
export class OffsetClock implements ControllableClock {
  private offset = 0;

  constructor(private readonly source: () => number = Date.now) {}

  now(): number {
    return this.source() + this.offset;
  }

  advance(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError('a clock only moves forward');
    this.offset += ms;
  }
}
