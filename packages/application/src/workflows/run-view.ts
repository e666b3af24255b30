import type { ChunkRecord, RowRecord, RunRecord, RunSnapshot } from './payout-journal.js';
import { type ReportLine, ROW_STATES, type RowState, type RunStatus, type RunSummary } from './payout-run.js';

/** Counts of rows by state, and the total. */
export const rowCounts = (rows: readonly RowRecord[]): Record<RowState | 'total', number> => {
  const counts = Object.fromEntries([...ROW_STATES, 'total'].map((s) => [s, 0])) as Record<
    RowState | 'total',
    number
  >;
  for (const row of rows) {
    counts[row.state] += 1;
    counts.total += 1;
  }
  return counts;
};

const requestState = (chunk: ChunkRecord): string =>
  chunk.requestState ?? (chunk.requestId ? 'draft' : 'unsent');

/** Where a run stands, from its journal alone. */
export const statusOf = (snapshot: RunSnapshot): RunStatus => {
  const { run } = snapshot;
  return {
    runId: run.runId,
    state: run.state,
    rows: rowCounts(snapshot.rows),
    requests: snapshot.chunks.map((c) => ({
      chunk: c.chunk,
      externalId: c.externalId,
      id: c.requestId,
      state: requestState(c),
    })),
    ...(run.reason === null ? {} : { reason: run.reason }),
    ...(run.funds === null ? {} : { funds: run.funds }),
  };
};

/** The report: one line per row, in file order. */
export const reportOf = (snapshot: RunSnapshot): readonly ReportLine[] =>
  snapshot.rows.map((row) => ({
    reference: row.reference,
    portCode: row.portCode,
    amount: row.quotedAmount ?? row.amount,
    budget: row.quotedBudget ?? row.budget,
    rate: row.rate,
    allInRate: row.allInRate,
    feeAndCost: row.feeAndCost,
    requestId: row.requestId,
    outputId: row.outputId,
    state: row.state,
    reason: row.reason,
    attempts: row.attempts,
    updatedAt: row.updatedAt,
  }));

export const summaryOf = (run: RunRecord): RunSummary => ({
  runId: run.runId,
  state: run.state,
  originPort: run.originPort,
  rows: run.rowCount,
  createdAt: run.createdAt,
  updatedAt: run.updatedAt,
});
