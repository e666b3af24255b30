import { ok, type ResultAsync, safeTry } from 'neverthrow';
import type { PayoutError } from './payout-error.js';
import { FINAL_ROW_STATES, type PayoutContext, type RunState, type StepOutcome } from './payout-run.js';
import { chunkStep, isChunkDone } from './run-chunk.js';
import { ensureParties, needsParties } from './run-ensure.js';
import { follow } from './run-follow.js';
import { loadSnapshot } from './run-queries.js';
import { type PhaseResult, StepScope } from './run-scope.js';
import { statusOf } from './run-view.js';

/** The first chunk whose latest build is not done, if any. */
const openChunk = (scope: StepScope): number | undefined => {
  for (let chunk = 1; chunk <= scope.chunkCount(); chunk += 1)
    if (!isChunkDone(scope.build(chunk))) return chunk;
  return undefined;
};

/** Every chunk is done with: accepted, closed, or the run no longer commits anything. */
const allCommitted = (scope: StepScope): boolean =>
  scope.run.state === 'stopped' || scope.run.state === 'cancelled' || openChunk(scope) === undefined;

/** The run's state as the journal now shows it. */
const derivedState = (scope: StepScope): RunState => {
  const { run } = scope;
  if (run.state === 'stopped' || run.state === 'cancelled') return run.state;
  const open = openChunk(scope);
  // Every row final is not yet the end while a chunk is open: a draft whose every output was
  // refused pays nobody, but it is still to be cancelled.
  if (open === undefined && scope.rows.every((r) => FINAL_ROW_STATES.has(r.state))) return 'finished';
  if (run.funds !== null) return 'waiting_for_funds';
  if (open === undefined) return 'committed';
  // A step has just run, so the run's first call has been sent (SPEC 10.4: working once its
  // first request is sent). Only a run never stepped is still planned.
  return 'working';
};

/**
 * One step of a run's state machine (SPEC 10.2): reads the journal and the service,
 * writes its intent, calls, writes the outcome. Resumable from any point: every step
 * starts from what the journal says and what the service shows, never from memory.
 *
 * In order: find or create payees and instructions; then each chunk in turn, through
 * draft, outputs, estimate and quote, commit at the quote (or cancel and rebuild), and
 * accept; then follow accepted requests until every row is final.
 */
export const stepRun = (ctx: PayoutContext, runId: string): ResultAsync<StepOutcome, PayoutError> =>
  safeTry(async function* () {
    const scope = new StepScope(ctx, yield* loadSnapshot(ctx.journal, runId));
    const phase: PhaseResult = yield* nextPhase(scope);
    const state = derivedState(scope);
    if (state !== scope.run.state) {
      yield* scope.write({ run: { state } });
      scope.log({ state }, 'payout run state');
    }
    // A finished run has every chunk done and every row final: nothing is left to wait for.
    const done = phase.next === 'done' || scope.run.state === 'finished';
    const outcome: StepOutcome = {
      status: statusOf({ run: scope.run, rows: scope.rows, chunks: scope.chunks, calls: [], parties: [] }),
      step: phase.step,
      next: done ? 'done' : phase.next,
      waitMs: done ? 0 : phase.waitMs,
      committed: allCommitted(scope),
    };
    return ok(outcome);
  });

const nextPhase = (scope: StepScope): ResultAsync<PhaseResult, PayoutError> => {
  const { run } = scope;
  const committing = run.state !== 'stopped' && run.state !== 'cancelled';
  if (committing && scope.rows.some(needsParties)) return ensureParties(scope);
  const chunk = committing ? openChunk(scope) : undefined;
  if (chunk !== undefined) return chunkStep(scope, chunk);
  return follow(scope);
};
