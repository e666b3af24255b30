import {
  type CallRecord,
  type ChunkRecord,
  type JournalWrite,
  type PartyRecord,
  type PayoutError,
  type PayoutJournal,
  payoutError,
  type RowRecord,
  type RunRecord,
  type RunSnapshot,
} from '@concierge-ts/application';
import { errAsync, okAsync } from 'neverthrow';

interface StoredRun {
  run: RunRecord;
  readonly rows: RowRecord[];
  readonly chunks: Map<string, ChunkRecord>;
  readonly calls: Map<string, CallRecord>;
  readonly parties: Map<string, PartyRecord>;
}

const chunkKey = (c: Pick<ChunkRecord, 'chunk' | 'attempt'>) => `${c.chunk}.${c.attempt}`;

const byChunk = (a: ChunkRecord, b: ChunkRecord) => a.chunk - b.chunk || a.attempt - b.attempt;

/**
 * The payout journal in memory: for tests and for runs that need not survive the
 * process. Records are frozen copies, so a caller cannot change the journal behind its
 * back; a write is all or nothing and checks the run's version like the SQL journal.
 */
export class InMemoryPayoutJournal implements PayoutJournal {
  private readonly runs = new Map<string, StoredRun>();

  createRun(run: RunRecord, rows: readonly RowRecord[]) {
    const found = this.runs.get(run.runId);
    if (found) return okAsync({ created: false, run: found.run });
    const stored: StoredRun = {
      run: Object.freeze({ ...run, version: 1 }),
      rows: rows.map((r) => Object.freeze({ ...r })),
      chunks: new Map(),
      calls: new Map(),
      parties: new Map(),
    };
    this.runs.set(run.runId, stored);
    return okAsync({ created: true, run: stored.run });
  }

  getRun(runId: string) {
    return okAsync(this.runs.get(runId)?.run ?? null);
  }

  loadRun(runId: string) {
    const stored = this.runs.get(runId);
    if (!stored) return okAsync<RunSnapshot | null, PayoutError>(null);
    return okAsync<RunSnapshot | null, PayoutError>({
      run: stored.run,
      rows: [...stored.rows],
      chunks: [...stored.chunks.values()].sort(byChunk),
      calls: [...stored.calls.values()],
      parties: [...stored.parties.values()],
    });
  }

  listRuns() {
    return okAsync<readonly RunRecord[], PayoutError>(
      [...this.runs.values()].map((s) => s.run).sort((a, b) => a.createdAt.localeCompare(b.createdAt)),
    );
  }

  write(runId: string, change: JournalWrite) {
    const stored = this.runs.get(runId);
    if (!stored) return errAsync<RunRecord, PayoutError>(payoutError.runNotFound(runId));
    if (stored.run.version !== change.expectedVersion)
      return errAsync<RunRecord, PayoutError>(
        payoutError.journal(
          `run ${runId} moved (version ${stored.run.version}, expected ${change.expectedVersion})`,
          true,
        ),
      );
    for (const row of change.rows ?? []) {
      if (row.runId !== runId || stored.rows[row.index] === undefined)
        return errAsync<RunRecord, PayoutError>(
          payoutError.journal(`row ${row.index} is not in run ${runId}`),
        );
    }
    for (const row of change.rows ?? []) stored.rows[row.index] = Object.freeze({ ...row });
    for (const chunk of change.chunks ?? []) stored.chunks.set(chunkKey(chunk), Object.freeze({ ...chunk }));
    for (const call of change.calls ?? []) stored.calls.set(call.key, Object.freeze({ ...call }));
    for (const party of change.parties ?? []) stored.parties.set(party.key, Object.freeze({ ...party }));
    stored.run = Object.freeze({
      ...stored.run,
      ...change.run,
      updatedAt: change.at,
      version: stored.run.version + 1,
    });
    return okAsync<RunRecord, PayoutError>(stored.run);
  }
}

/** A fresh in-memory journal. */
export const createInMemoryJournal = (): PayoutJournal => new InMemoryPayoutJournal();
