import { errAsync, type ResultAsync } from 'neverthrow';
import { type PayoutError, payoutError } from './payout-error.js';
import type { PayoutContext, StepOutcome } from './payout-run.js';

/**
 * One step of a run's state machine (SPEC 10.2): reads the journal and the service,
 * writes its intent, calls, writes the outcome. Resumable from any point.
 */
export const stepRun = (_ctx: PayoutContext, _runId: string): ResultAsync<StepOutcome, PayoutError> =>
  errAsync(payoutError.notImplemented('stepRun'));
