import { errAsync, type ResultAsync } from 'neverthrow';
import { type PayoutError, payoutError } from './payout-error.js';
import type { PayoutContext, RunStatus } from './payout-run.js';

/** Cancels what is not yet accepted: drafts and quoted requests are cancelled, their rows `cancelled`. */
export const cancelRun = (_ctx: PayoutContext, _runId: string): ResultAsync<RunStatus, PayoutError> =>
  errAsync(payoutError.notImplemented('cancelRun'));
