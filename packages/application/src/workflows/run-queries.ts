import { errAsync, okAsync, type ResultAsync } from 'neverthrow';
import { type PayoutError, payoutError } from './payout-error.js';
import type { PayoutJournal, RunSnapshot } from './payout-journal.js';
import type { ReportLine, RunStatus, RunSummary } from './payout-run.js';
import { reportOf, statusOf, summaryOf } from './run-view.js';

/** The run's snapshot, or `run_not_found`. */
export const loadSnapshot = (journal: PayoutJournal, runId: string): ResultAsync<RunSnapshot, PayoutError> =>
  journal
    .loadRun(runId)
    .andThen((snapshot) =>
      snapshot === null ? errAsync(payoutError.runNotFound(runId)) : okAsync(snapshot),
    );

/** Where a run stands, from the journal (no call to the service). */
export const runStatus = (journal: PayoutJournal, runId: string): ResultAsync<RunStatus, PayoutError> =>
  loadSnapshot(journal, runId).map(statusOf);

/** One line per row, in file order (SPEC 10.4). */
export const runReport = (
  journal: PayoutJournal,
  runId: string,
): ResultAsync<readonly ReportLine[], PayoutError> => loadSnapshot(journal, runId).map(reportOf);

/** Every run in the journal, oldest first. */
export const listRuns = (journal: PayoutJournal): ResultAsync<readonly RunSummary[], PayoutError> =>
  journal.listRuns().map((runs) => runs.map(summaryOf));
