import { randomBytes } from 'node:crypto';
import type { IdKind, IdSource } from '@concierge-ts/application';

/** Ids as the provider gives them: decimal strings, counting up per kind. */
export class SequentialIds implements IdSource {
  private readonly counters: Record<IdKind, number> = { request: 0, output: 0, user: 0, instruction: 0 };

  next(kind: IdKind): string {
    this.counters[kind] += 1;
    return String(this.counters[kind]);
  }

  apiKey(): string {
    return `sk_sandbox_${randomBytes(24).toString('hex')}`;
  }
}
