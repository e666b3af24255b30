import { randomBytes } from 'node:crypto';
import type { IdKind, IdSource } from '@concierge-ts/application';

/**
 * Ids as the provider gives them: decimal strings, counting up per kind from `start`
 * (the first id is `start + 1`).
 */
export class SequentialIds implements IdSource {
  private readonly counters: Record<IdKind, number>;

  constructor(start = 0) {
    if (!Number.isSafeInteger(start) || start < 0) throw new RangeError('ids start at a whole number ≥ 0');
    this.counters = { request: start, output: start, user: start, instruction: start };
  }

  next(kind: IdKind): string {
    this.counters[kind] += 1;
    return String(this.counters[kind]);
  }

  /**
   * Ids for a server that restarts: counting from the wall clock in milliseconds times a
   * thousand, so a restarted server never hands out an id an earlier run gave (unless that
   * run made more than a thousand ids of one kind per millisecond between the two starts).
   */
  static neverReused(now: number = Date.now()): SequentialIds {
    return new SequentialIds(now * 1000);
  }

  apiKey(): string {
    return `sk_sandbox_${randomBytes(24).toString('hex')}`;
  }
}
