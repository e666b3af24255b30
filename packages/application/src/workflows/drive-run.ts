import { err, ok, type ResultAsync, safeTry } from 'neverthrow';
import { type PayoutError, payoutError } from './payout-error.js';
import type { DriveOptions, PayoutContext, RunStatus, StepOutcome } from './payout-run.js';
import { DEFAULT_TUNING } from './run-scope.js';
import { stepRun } from './step-run.js';

/** A failed step worth trying again after a pause: the service or the journal may come back. */
const transient = (error: PayoutError): boolean =>
  (error.code === 'journal' && error.conflict) ||
  (error.code === 'service' && error.error.type !== 'authentication' && error.error.type !== 'permission');

const backoff = (failures: number, error: PayoutError): number => {
  const base = Math.min(30_000, 500 * 2 ** (failures - 1));
  return error.code === 'service' && error.error.retryAfterMs !== undefined
    ? Math.max(base, error.error.retryAfterMs)
    : base;
};

/**
 * Steps a run until nothing is left to do (every row final, or the run stopped or
 * cancelled with nothing committed left to follow), or with `detach` until every chunk
 * is accepted. Sleeps where a step says to wait; a step that fails for a passing reason
 * (the service or the journal unreachable, another worker first) is tried again after a
 * backoff, up to `maxFailedSteps` in a row. The signal stops it between steps
 * (`interrupted`); the run stays resumable.
 */
export const driveRun = (
  ctx: PayoutContext,
  runId: string,
  options: DriveOptions = {},
): ResultAsync<RunStatus, PayoutError> =>
  safeTry(async function* () {
    const maxFailed = ctx.tuning?.maxFailedSteps ?? DEFAULT_TUNING.maxFailedSteps;
    const pause = async (ms: number) => {
      try {
        await ctx.sleep(ms, options.signal);
      } catch {
        // An aborted sleep: the loop sees the signal.
      }
    };
    let failures = 0;
    for (;;) {
      if (options.signal?.aborted) return err(payoutError.interrupted(runId));
      const stepped = await stepRun(ctx, runId);
      if (stepped.isErr()) {
        failures += 1;
        if (!transient(stepped.error) || failures > maxFailed) return err(stepped.error);
        ctx.logger?.warn(
          { runId, error: stepped.error.message, failures },
          'payout step failed; trying again',
        );
        await pause(backoff(failures, stepped.error));
        continue;
      }
      failures = 0;
      const outcome: StepOutcome = stepped.value;
      options.onStep?.(outcome.status, outcome.step);
      if (outcome.next === 'done') return ok(outcome.status);
      if (options.detach && outcome.committed) return ok(outcome.status);
      if (outcome.next === 'wait') await pause(outcome.waitMs);
    }
  });
