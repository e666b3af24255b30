import type { ResultAsync } from 'neverthrow';
import { match } from 'ts-pattern';
import type { ConciergeError } from '../gateway/errors.js';
import { isRelationship } from '../gateway/field.js';
import { type PayoutError, payoutError } from './payout-error.js';
import type {
  CallKind,
  CallRecord,
  ChunkRecord,
  JournalWrite,
  RowRecord,
  RunRecord,
  RunSnapshot,
} from './payout-journal.js';
import type { PayoutContext, PayoutTuning } from './payout-run.js';

export const DEFAULT_TUNING: Required<PayoutTuning> = {
  pollIntervalMs: 60_000,
  quoteWaitMs: 1_000,
  maxRebuilds: 3,
  outputBatch: 50,
  maxFailedSteps: 10,
};

/** What a phase of a step answers: what it did and when to step again. */
export interface PhaseResult {
  readonly step: string;
  readonly next: 'continue' | 'wait' | 'done';
  readonly waitMs: number;
}

export const progress = (step: string): PhaseResult => ({ step, next: 'continue', waitMs: 0 });
export const waitFor = (step: string, waitMs: number): PhaseResult => ({ step, next: 'wait', waitMs });

/**
 * One step's view of the run: the snapshot read at its start, kept up to date by its own
 * writes (each one transaction, checked against the version read).
 */
export class StepScope {
  run: RunRecord;
  rows: RowRecord[];
  chunks: ChunkRecord[];
  /** The latest call per call prefix (kind/target, without the try number). */
  private readonly latest = new Map<string, CallRecord>();
  private readonly tries = new Map<string, number>();
  readonly tuning: Required<PayoutTuning>;
  readonly parties: Map<string, string>;

  constructor(
    readonly ctx: PayoutContext,
    snapshot: RunSnapshot,
  ) {
    this.run = snapshot.run;
    this.rows = [...snapshot.rows];
    this.chunks = [...snapshot.chunks];
    this.tuning = { ...DEFAULT_TUNING, ...ctx.tuning };
    this.parties = new Map(snapshot.parties.map((p) => [p.key, p.id]));
    for (const call of snapshot.calls) this.remember(call);
  }

  get runId(): string {
    return this.run.runId;
  }

  at(): string {
    return this.ctx.now().toISOString();
  }

  private remember(call: CallRecord): void {
    const { prefix, attempt } = splitKey(call.key);
    if (attempt >= (this.tries.get(prefix) ?? 0)) {
      this.tries.set(prefix, attempt);
      this.latest.set(prefix, call);
    }
  }

  /** The latest call for a target (e.g. `output/1.2/17`), if any was made. */
  lastCall(prefix: string): CallRecord | undefined {
    return this.latest.get(prefix);
  }

  /** A new call's intent for a target: its key carries the next try number. */
  intent(kind: CallKind, prefix: string): CallRecord {
    const attempt = (this.tries.get(prefix) ?? 0) + 1;
    return {
      runId: this.runId,
      key: `${prefix}#${attempt}`,
      kind,
      state: 'intent',
      resourceId: null,
      detail: null,
      at: this.at(),
    };
  }

  /** Writes in one transaction and takes the written records in. */
  write(change: Omit<JournalWrite, 'expectedVersion' | 'at'>): ResultAsync<void, PayoutError> {
    return this.ctx.journal
      .write(this.runId, { ...change, expectedVersion: this.run.version, at: this.at() })
      .map((run) => {
        this.run = run;
        for (const row of change.rows ?? []) this.rows[row.index] = row;
        for (const chunk of change.chunks ?? []) {
          const i = this.chunks.findIndex((c) => c.chunk === chunk.chunk && c.attempt === chunk.attempt);
          if (i >= 0) this.chunks[i] = chunk;
          else this.chunks.push(chunk);
        }
        for (const call of change.calls ?? []) this.remember(call);
        for (const party of change.parties ?? []) this.parties.set(party.key, party.id);
        return undefined;
      });
  }

  /** The latest build of a chunk. */
  build(chunk: number): ChunkRecord | undefined {
    let found: ChunkRecord | undefined;
    for (const c of this.chunks) if (c.chunk === chunk && (!found || c.attempt > found.attempt)) found = c;
    return found;
  }

  rowsOf(chunk: number): RowRecord[] {
    return this.rows.filter((r) => r.chunk === chunk);
  }

  chunkCount(): number {
    return this.rows.reduce((n, r) => Math.max(n, r.chunk), 0);
  }

  log(fields: Record<string, unknown>, message: string): void {
    this.ctx.logger?.info({ runId: this.runId, ...fields }, message);
  }
}

export const splitKey = (key: string): { readonly prefix: string; readonly attempt: number } => {
  const hash = key.lastIndexOf('#');
  return hash < 0
    ? { prefix: key, attempt: 1 }
    : { prefix: key.slice(0, hash), attempt: Number(key.slice(hash + 1)) || 1 };
};

/**
 * What a failed call with an effect tells (SPEC 10.2, conservative): `refused` only for a
 * definitive refusal (the service answered and did nothing); `retry` when the call surely
 * did not reach the service or was turned away before any work (429, or a connection
 * refused before sending); `fatal` when no call can work (an unknown API key); anything
 * else (timeout, connection lost, 5xx, an answer that does not decode) is `unknown`: it
 * may have happened, and only the protocol can settle it.
 */
export type CallFailure = 'refused' | 'retry' | 'unknown' | 'fatal';

export const classifyFailure = (error: ConciergeError): CallFailure => {
  if ((error.type === 'connection' || error.type === 'timeout') && error.outcome === 'not_sent')
    return 'retry';
  return match(error.type)
    .with('bad_request', 'unprocessable', 'not_found', 'conflict', 'permission', () => 'refused' as const)
    .with('authentication', () => 'fatal' as const)
    .with('rate_limited', () => 'retry' as const)
    .with('server', 'connection', 'timeout', 'decode', () => 'unknown' as const)
    .exhaustive();
};

/** The refusal concerns the request itself (gone, not a draft any more), not the row. */
export const refusesRequest = (error: ConciergeError): boolean =>
  error.type === 'conflict' ||
  error.type === 'not_found' ||
  ('field' in error && isRelationship(error.field, 'request'));

export const describe = (error: ConciergeError): string => `${error.code}: ${error.detail}`;

export const serviceFailed = (doing: string) => (error: ConciergeError) => payoutError.service(error, doing);
