import { errAsync, type ResultAsync } from 'neverthrow';
import { type PayoutError, payoutError } from './payout-error.js';
import type { DriveOptions, PayoutContext, RunStatus } from './payout-run.js';

/** Steps a run until it is done (or committed, with `detach`), sleeping where a step says to wait. */
export const driveRun = (
  _ctx: PayoutContext,
  _runId: string,
  _options: DriveOptions = {},
): ResultAsync<RunStatus, PayoutError> => errAsync(payoutError.notImplemented('driveRun'));
