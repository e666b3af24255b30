import type { QueueStatus, SubmitOutcome, WorkerEvent } from '@concierge-ts/adapter-postgres';
import { match } from 'ts-pattern';
import { rowCountsText } from './views.js';

/**
 * What `submit`, `worker` and `status` print about the queue of a run on a PostgreSQL
 * server (SPEC 10.3, 10.4): lines for people, one JSON object a line for scripts.
 */

export interface QueueJson {
  readonly state: QueueStatus['state'];
  readonly retries: number;
  readonly retry_limit: number;
  readonly worker: string | null;
  readonly claimed_at: string | null;
  readonly start_after: string | null;
  readonly claims: number;
  readonly failed_claims: number;
  readonly last_error: string | null;
}

/** `status --json`'s `queue`. */
export const queueJson = (queue: QueueStatus): QueueJson => ({
  state: queue.state,
  retries: queue.retries,
  retry_limit: queue.retryLimit,
  worker: queue.worker,
  claimed_at: queue.claimedAt,
  start_after: queue.startAfter,
  claims: queue.claims,
  failed_claims: queue.failedClaims,
  last_error: queue.lastError,
});

const retries = (queue: QueueStatus) =>
  queue.retries > 0 ? `, retry ${queue.retries} of ${queue.retryLimit}` : '';

/** `status`'s line about the queue. */
export const queueLine = (queue: QueueStatus): string =>
  match(queue.state)
    .with('none', () => 'queue: not submitted to workers')
    .with(
      'created',
      'retry',
      () =>
        `queue: waiting for a worker${queue.startAfter ? ` (from ${queue.startAfter})` : ''}${retries(queue)}`,
    )
    .with(
      'active',
      () => `queue: worked by ${queue.worker ?? 'a worker'} since ${queue.claimedAt ?? '?'}${retries(queue)}`,
    )
    .with(
      'completed',
      () =>
        `queue: done (${queue.claims} claim${queue.claims === 1 ? '' : 's'} by workers, ${queue.failedClaims} failed or lost)`,
    )
    .with('cancelled', () => 'queue: cancelled')
    .with(
      'failed',
      () =>
        `queue: FAILED after ${queue.retries} retries: ${queue.lastError ?? 'no reason kept'}; submit the run again to queue it again`,
    )
    .exhaustive();

/** What `submit` says it did. */
export const submitLine = (outcome: SubmitOutcome): string =>
  match(outcome.outcome)
    .with(
      'queued',
      () =>
        `run ${outcome.status.runId} queued for workers: ${outcome.status.rows.total} rows (${rowCountsText(outcome.status)}).`,
    )
    .with(
      'already_queued',
      () => `run ${outcome.status.runId} is already queued or being worked: nothing changed.`,
    )
    .with('finished', () => `run ${outcome.status.runId} is ${outcome.status.state}: nothing left to queue.`)
    .exhaustive();

export const submitJson = (outcome: SubmitOutcome) => ({
  run_id: outcome.status.runId,
  outcome: outcome.outcome,
  job_id: outcome.jobId,
  state: outcome.status.state,
  rows: outcome.status.rows.total,
});

/** A worker's event as one JSON object (snake_case, as `status --json`). */
export const workerEventJson = (event: WorkerEvent): Record<string, unknown> =>
  match(event)
    .with({ type: 'started' }, (e) => ({ event: 'started', worker: e.workerId, keys: e.queues }))
    .with({ type: 'claimed' }, (e) => ({
      event: 'claimed',
      worker: e.workerId,
      run_id: e.runId,
      job_id: e.jobId,
      retry: e.retry,
    }))
    .with({ type: 'step' }, (e) => ({
      event: 'step',
      run_id: e.runId,
      step: e.step,
      state: e.status.state,
      rows: e.status.rows,
    }))
    .with({ type: 'released' }, (e) => ({
      event: 'released',
      run_id: e.runId,
      outcome: e.outcome,
      steps: e.steps,
      ...(e.error === undefined ? {} : { error: e.error }),
    }))
    .with({ type: 'trouble' }, (e) => ({ event: 'trouble', message: e.message }))
    .with({ type: 'stopped' }, (e) => ({ event: 'stopped', worker: e.workerId, claims: e.claims }))
    .exhaustive();

/** A worker's event as a line for people. */
export const workerEventLine = (event: WorkerEvent): string =>
  match(event)
    .with(
      { type: 'started' },
      (e) => `worker ${e.workerId}: waiting for runs of ${e.queues} API key${e.queues === 1 ? '' : 's'}`,
    )
    .with(
      { type: 'claimed' },
      (e) =>
        `took run ${e.runId}${e.retry > 0 ? ` (retry ${e.retry}: its previous claim failed or expired)` : ''}`,
    )
    .with({ type: 'step' }, (e) => `${e.runId}: ${e.step} (${e.status.state}; ${rowCountsText(e.status)})`)
    .with(
      { type: 'released' },
      (e) =>
        `let go of run ${e.runId}: ${e.outcome} after ${e.steps} step${e.steps === 1 ? '' : 's'}${e.error === undefined ? '' : ` (${e.error})`}`,
    )
    .with({ type: 'trouble' }, (e) => `trouble: ${e.message} (going on)`)
    .with(
      { type: 'stopped' },
      (e) => `worker ${e.workerId} stopped after ${e.claims} claim${e.claims === 1 ? '' : 's'}`,
    )
    .exhaustive();
