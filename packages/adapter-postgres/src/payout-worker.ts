import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import {
  type ConciergeClient,
  type Logger,
  type PayoutContext,
  type PayoutError,
  type PayoutTuning,
  payoutError,
  type RunStatus,
  stepRun,
} from '@concierge-ts/application';
import { errAsync, ResultAsync } from 'neverthrow';
import type PgBoss from 'pg-boss';
import {
  bossDb,
  createRunQueue,
  DEFAULT_QUEUE_SETTINGS,
  type QueueSettings,
  queueNameOf,
  type RunJob,
  sendRunJob,
  startBoss,
} from './payout-queue.js';
import { type PostgresConnection, untilAnswered } from './postgres-connection.js';
import { apiKeyHash, type FetchLike, rateLimitedFetch, sharedRateLimit } from './shared-rate-limit.js';
import type { SqlQueryable } from './sql-journal.js';

/**
 * A worker (SPEC 10.3, 10.4 `worker`): takes queued runs of its API keys one at a time
 * and steps them with the same `stepRun` as `payouts run`. It holds a run for a slice of
 * its claim, then releases it: completes the run's job and queues the next one in one
 * transaction, due at once, or when the run's next step is due (a quote, a poll), so
 * another worker (or this one) picks it up. Before each step it checks that it still
 * holds the run: a worker too slow for its claim, replaced after the claim expired, stops
 * at its next step, and the journal's version check refuses what it would still write.
 * Failed steps are tried again a few times, then the job is failed, which pg-boss retries
 * after a delay up to `retryLimit` times; `status` shows the retries.
 */

export interface WorkerOptions {
  readonly connection: PostgresConnection;
  /** The API keys this worker works runs of; each run is worked with the key it was submitted with. */
  readonly apiKeys: readonly string[];
  /** A client for a key whose requests go through `fetch` (it waits for the key's shared slots). */
  readonly clientFor: (apiKey: string, fetch: FetchLike) => ConciergeClient;
  /** Requests per second per key, the total for all workers of the key (0: no limit). */
  readonly rateLimit: number;
  /** Stops the worker: it finishes the step it is in, releases its run, and returns. */
  readonly signal: AbortSignal;
  /** Names the worker in `status` and the claims (default host, pid and a few random letters). */
  readonly workerId?: string;
  readonly queue?: Partial<QueueSettings>;
  /** How long the worker holds a run before letting others have it (default a third of the claim). */
  readonly sliceMs?: number;
  /** A wait this short is slept through holding the run (a quote due in a second); a longer one releases it (default 2 s). */
  readonly holdMs?: number;
  /**
   * The longest a run is put aside before its next step, whatever the step asks (default:
   * as long as it asks, e.g. until a quote's `eta`). Against a sandbox whose clock runs
   * faster than real time, its times mean little here: cap them.
   */
  readonly maxWaitMs?: number;
  /** Between two looks for work while idle (default 1 s). */
  readonly pollMs?: number;
  /** How often expired claims are looked for (default 5 s). */
  readonly maintenanceSeconds?: number;
  /** How long the worker keeps trying to start while the server does not answer, in ms (default 60 s). */
  readonly startTimeoutMs?: number;
  /** Failed steps in a row before the job is failed for pg-boss to retry (default 3). */
  readonly stepRetries?: number;
  readonly tuning?: PayoutTuning;
  readonly logger?: Logger;
  /** Told what the worker does, for progress lines. */
  readonly onEvent?: (event: WorkerEvent) => void;
  /** The network (default the global fetch). */
  readonly fetch?: FetchLike;
  readonly now?: () => Date;
}

/** How a claim ended. */
export type ClaimOutcome =
  /** Every row final, or nothing left to do: no next job. */
  | 'finished'
  /** The next step is due later: released with a job due then. */
  | 'waiting'
  /** The slice was used up: released with a job due now. */
  | 'yielded'
  /** The worker was told to stop: released with a job due now. */
  | 'stopping'
  /** Steps kept failing: the job was failed, pg-boss retries it later. */
  | 'failed'
  /** Another worker took the run over (the claim had expired). */
  | 'lost'
  /** The run is no longer in the journal. */
  | 'gone';

export type WorkerEvent =
  | { readonly type: 'started'; readonly workerId: string; readonly queues: number }
  | {
      readonly type: 'claimed';
      readonly workerId: string;
      readonly runId: string;
      readonly jobId: string;
      readonly retry: number;
    }
  | { readonly type: 'step'; readonly runId: string; readonly step: string; readonly status: RunStatus }
  | {
      readonly type: 'released';
      readonly runId: string;
      readonly outcome: ClaimOutcome;
      readonly steps: number;
      readonly error?: string;
    }
  | { readonly type: 'trouble'; readonly message: string }
  | { readonly type: 'stopped'; readonly workerId: string; readonly claims: number };

export interface WorkerSummary {
  readonly workerId: string;
  readonly claims: number;
  readonly steps: number;
  /** Runs this worker saw finish. */
  readonly finished: readonly string[];
}

const message = (thrown: unknown) => (thrown instanceof Error ? thrown.message : String(thrown));

const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal?.aborted || ms <= 0) return resolve();
    const onAbort = () => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });

export const defaultWorkerId = (): string => `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;

interface KeyWork {
  readonly keyHash: string;
  readonly queue: string;
  readonly client: ConciergeClient;
}

/**
 * Runs a worker until its signal fires. Answers an error only when it cannot start (the
 * server unreachable, pg-boss not installable); once started, trouble with the database
 * or the service is waited out.
 */
export const runWorker = (options: WorkerOptions): ResultAsync<WorkerSummary, PayoutError> => {
  const settings: QueueSettings = { ...DEFAULT_QUEUE_SETTINGS, ...options.queue };
  if (options.apiKeys.length === 0)
    return errAsync(payoutError.invalidPlan('apiKeys', 'a worker needs at least one API key'));
  const workerId = options.workerId ?? defaultWorkerId();
  const { connection } = options;
  const tell = (event: WorkerEvent) => options.onEvent?.(event);
  const start = () =>
    startBoss(connection, {
      supervise: true,
      maintenanceSeconds: options.maintenanceSeconds ?? 5,
      onError: (error) => tell({ type: 'trouble', message: `queue: ${error.message}` }),
    });
  // A server restarting as the worker starts is waited for (startTimeoutMs), as the step loop waits it out later.
  const started = ResultAsync.fromPromise(
    untilAnswered(
      async () => {
        const boss = await start();
        if (boss.isErr()) throw new StartFailure(boss.error);
        return boss.value;
      },
      {
        waitForServerMs: options.startTimeoutMs ?? 60_000,
        signal: options.signal,
        onWaiting: (problem) => tell({ type: 'trouble', message: `starting: ${problem}` }),
      },
    ),
    (thrown) =>
      thrown instanceof StartFailure
        ? thrown.error
        : payoutError.journal(`worker ${workerId}: ${message(thrown)}`),
  );
  return started.andThen((boss) =>
    ResultAsync.fromPromise(
      (async () => {
        try {
          const keys = new Map<string, KeyWork>();
          for (const apiKey of options.apiKeys) {
            const keyHash = apiKeyHash(apiKey);
            if (keys.has(keyHash)) continue;
            await createRunQueue(boss, keyHash, settings);
            const network = options.fetch ?? fetch;
            const limited =
              options.rateLimit > 0
                ? rateLimitedFetch(sharedRateLimit(connection.db, apiKey, options.rateLimit), network)
                : network;
            keys.set(keyHash, {
              keyHash,
              queue: queueNameOf(keyHash),
              client: options.clientFor(apiKey, limited),
            });
          }
          tell({ type: 'started', workerId, queues: keys.size });
          return await new Worker(boss, options, settings, workerId, [...keys.values()]).loop();
        } finally {
          await boss.stop({ graceful: false, close: false }).catch(() => undefined);
        }
      })(),
      (thrown) => payoutError.journal(`worker ${workerId}: ${message(thrown)}`),
    ),
  );
};

/** A start that failed, carried through the waiting as the error it was. */
class StartFailure extends Error {
  constructor(readonly error: PayoutError) {
    super(error.message);
  }
}

class Worker {
  private claims = 0;
  private steps = 0;
  private readonly finished = new Set<string>();
  private turn = 0;
  private readonly now: () => Date;
  private readonly sliceMs: number;

  constructor(
    private readonly boss: PgBoss,
    private readonly options: WorkerOptions,
    private readonly settings: QueueSettings,
    private readonly workerId: string,
    private readonly keys: readonly KeyWork[],
  ) {
    this.now = options.now ?? (() => new Date());
    this.sliceMs = options.sliceMs ?? (settings.claimSeconds * 1000) / 3;
  }

  private tell(event: WorkerEvent): void {
    this.options.onEvent?.(event);
  }

  async loop(): Promise<WorkerSummary> {
    const { signal } = this.options;
    while (!signal.aborted) {
      const found = await this.next();
      if (found === null) {
        await sleep(this.options.pollMs ?? 1000, signal);
        continue;
      }
      await this.work(found.key, found.job);
    }
    this.tell({ type: 'stopped', workerId: this.workerId, claims: this.claims });
    return { workerId: this.workerId, claims: this.claims, steps: this.steps, finished: [...this.finished] };
  }

  /** The next job of any of the worker's keys, the keys taken in turn. */
  private async next(): Promise<{ key: KeyWork; job: PgBoss.JobWithMetadata<RunJob> } | null> {
    for (let i = 0; i < this.keys.length; i += 1) {
      const key = this.keys[(this.turn + i) % this.keys.length] as KeyWork;
      let jobs: PgBoss.JobWithMetadata<RunJob>[];
      try {
        jobs = await this.boss.fetch<RunJob>(key.queue, { batchSize: 1, includeMetadata: true });
      } catch (thrown) {
        this.tell({ type: 'trouble', message: `looking for work: ${message(thrown)}` });
        return null;
      }
      const job = jobs[0];
      if (job !== undefined) {
        this.turn = (this.turn + i + 1) % this.keys.length;
        return { key, job };
      }
    }
    return null;
  }

  private async work(key: KeyWork, job: PgBoss.JobWithMetadata<RunJob>): Promise<void> {
    const { connection, signal } = this.options;
    const runId = typeof job.data?.runId === 'string' ? job.data.runId : '';
    this.claims += 1;
    const claim = `${this.workerId}/${job.id}/${job.retryCount}/${this.claims}`;
    const claimed = await attempt(() => this.claim(claim, runId, key, job));
    if (claimed === 'failed') return; // The job stays active and expires: it is tried again.
    if (claimed === 'gone') {
      await this.release(claim, runId, key, job, 'gone', 0, null);
      return;
    }
    this.tell({ type: 'claimed', workerId: this.workerId, runId, jobId: job.id, retry: job.retryCount });
    const ctx: PayoutContext = {
      client: key.client,
      journal: connection.journal,
      now: this.now,
      sleep,
      ...(this.options.logger === undefined ? {} : { logger: this.options.logger }),
      tuning: this.tuning(),
    };
    const sliceEnd = Date.now() + this.sliceMs;
    const holdMs = this.options.holdMs ?? 2000;
    const maxFailures = this.options.stepRetries ?? 3;
    let steps = 0;
    let failures = 0;
    let lastError = '';
    for (;;) {
      if (signal.aborted) return this.release(claim, runId, key, job, 'stopping', steps, 0);
      if (Date.now() >= sliceEnd) return this.release(claim, runId, key, job, 'yielded', steps, 0);
      const held = await this.holds(connection.db, runId, claim);
      if (held === false) return this.endLost(claim, runId, steps);
      const stepped = held === null ? null : await stepRun(ctx, runId);
      if (stepped === null || stepped.isErr()) {
        const error: PayoutError | null = stepped?.error ?? null;
        if (error?.code === 'run_not_found') return this.release(claim, runId, key, job, 'gone', steps, null);
        failures += 1;
        lastError = error === null ? 'the database did not answer' : error.message;
        this.options.logger?.warn({ runId, error: lastError, failures }, 'payout step failed');
        if (failures > maxFailures) return this.fail(claim, runId, key, job, steps, lastError);
        await sleep(Math.min(8_000, 250 * 2 ** failures), signal);
        continue;
      }
      failures = 0;
      steps += 1;
      this.steps += 1;
      const outcome = stepped.value;
      this.tell({ type: 'step', runId, step: outcome.step, status: outcome.status });
      if (outcome.next === 'done') {
        this.finished.add(runId);
        return this.release(claim, runId, key, job, 'finished', steps, null);
      }
      if (outcome.next === 'wait') {
        const waitMs = Math.min(outcome.waitMs, this.options.maxWaitMs ?? Number.POSITIVE_INFINITY);
        if (waitMs <= holdMs && Date.now() + waitMs < sliceEnd) {
          await sleep(waitMs, signal);
          continue;
        }
        return this.release(claim, runId, key, job, 'waiting', steps, waitMs);
      }
    }
  }

  /** The worker's tuning: output batches small enough that a step fits well inside a claim at the key's rate. */
  private tuning(): PayoutTuning {
    const rate = this.options.rateLimit;
    const batch =
      rate > 0 ? Math.max(1, Math.min(50, Math.floor((rate * this.settings.claimSeconds) / 8))) : undefined;
    return { ...(batch === undefined ? {} : { outputBatch: batch }), ...this.options.tuning };
  }

  /** Takes the run: the queue row names this claim, and the claim is written down. */
  private async claim(
    claim: string,
    runId: string,
    key: KeyWork,
    job: PgBoss.JobWithMetadata<RunJob>,
  ): Promise<'claimed' | 'gone'> {
    return this.options.connection.db.transaction(async (tx) => {
      const at = this.now().toISOString();
      const { rows } = await tx.query<{ key_hash: string }>(
        'SELECT key_hash FROM payout_queue WHERE run_id = $1 FOR UPDATE',
        [runId],
      );
      if (rows[0]?.key_hash !== key.keyHash) return 'gone';
      await tx.query(
        `UPDATE payout_queue SET claim = $2, claimed_by = $3, claimed_at = $4::timestamptz, job_id = $5,
           updated_at = $4::timestamptz
         WHERE run_id = $1`,
        [runId, claim, this.workerId, at, job.id],
      );
      await tx.query(
        `INSERT INTO payout_claims (claim, run_id, job_id, worker, retry, started_at)
         VALUES ($1, $2, $3, $4, $5, $6::timestamptz)`,
        [claim, runId, job.id, this.workerId, job.retryCount, at],
      );
      return 'claimed';
    });
  }

  /** Whether this claim still holds the run; null when the database does not answer. */
  private async holds(db: SqlQueryable, runId: string, claim: string): Promise<boolean | null> {
    try {
      const { rows } = await db.query<{ claim: string | null }>(
        'SELECT claim FROM payout_queue WHERE run_id = $1',
        [runId],
      );
      return rows[0]?.claim === claim;
    } catch {
      return null;
    }
  }

  /**
   * Lets the run go: completes its job and, unless it is finished, queues the next one due
   * after `dueInMs`, in one transaction, and only while the claim still holds the run.
   */
  private async release(
    claim: string,
    runId: string,
    key: KeyWork,
    job: PgBoss.JobWithMetadata<RunJob>,
    outcome: ClaimOutcome,
    steps: number,
    dueInMs: number | null,
  ): Promise<void> {
    const done = await attempt(() =>
      this.options.connection.db.transaction(async (tx) => {
        if (!(await this.lockClaim(tx, runId, claim)) && outcome !== 'gone') return 'lost' as const;
        await this.boss.complete(
          key.queue,
          job.id,
          { outcome, steps, worker: this.workerId },
          { db: bossDb(tx) },
        );
        if (dueInMs !== null) {
          const jobId = await sendRunJob(
            this.boss,
            tx,
            key.queue,
            runId,
            this.settings,
            new Date(this.now().getTime() + dueInMs),
          );
          await tx.query('UPDATE payout_queue SET job_id = COALESCE($2, job_id) WHERE run_id = $1', [
            runId,
            jobId,
          ]);
        }
        await this.endClaim(tx, runId, claim, outcome, steps, null);
        return 'released' as const;
      }),
    );
    if (done === 'lost') return this.endLost(claim, runId, steps, outcome);
    this.tell({
      type: 'released',
      runId,
      outcome,
      steps,
      ...(done === 'failed' ? { error: 'the database did not answer; the claim will expire' } : {}),
    });
  }

  /** Gives the job back to pg-boss as failed: retried after a delay while retries remain. */
  private async fail(
    claim: string,
    runId: string,
    key: KeyWork,
    job: PgBoss.JobWithMetadata<RunJob>,
    steps: number,
    error: string,
  ): Promise<void> {
    const done = await attempt(() =>
      this.options.connection.db.transaction(async (tx) => {
        if (!(await this.lockClaim(tx, runId, claim))) return 'lost' as const;
        await this.boss.fail(
          key.queue,
          job.id,
          { message: error, worker: this.workerId },
          { db: bossDb(tx) },
        );
        await this.endClaim(tx, runId, claim, 'failed', steps, error);
        return 'released' as const;
      }),
    );
    if (done === 'lost') return this.endLost(claim, runId, steps, 'failed');
    this.tell({ type: 'released', runId, outcome: 'failed', steps, error });
  }

  /** Locks the run's queue row; true while this claim holds it (and clears the claim). */
  private async lockClaim(tx: SqlQueryable, runId: string, claim: string): Promise<boolean> {
    const { rows } = await tx.query<{ claim: string | null }>(
      'SELECT claim FROM payout_queue WHERE run_id = $1 FOR UPDATE',
      [runId],
    );
    if (rows[0]?.claim !== claim) return false;
    await tx.query(
      `UPDATE payout_queue SET claim = NULL, claimed_by = NULL, claimed_at = NULL, updated_at = $2::timestamptz
       WHERE run_id = $1`,
      [runId, this.now().toISOString()],
    );
    return true;
  }

  private async endClaim(
    q: SqlQueryable,
    runId: string,
    claim: string,
    outcome: ClaimOutcome,
    steps: number,
    error: string | null,
  ): Promise<void> {
    await q.query(
      `UPDATE payout_claims SET ended_at = $3::timestamptz, outcome = $4, steps = $5, error = $6
       WHERE claim = $1 AND run_id = $2`,
      [claim, runId, this.now().toISOString(), outcome, steps, error],
    );
  }

  /**
   * The run's queue row no longer names this claim. Either another worker took the run
   * over (the claim expired: it ends as `lost`, without touching the job), or this worker
   * let it go in an earlier try whose commit went through unanswered (the server
   * restarting): then the claim has ended already, as released, and is left as it is.
   */
  private async endLost(claim: string, runId: string, steps: number, letGo?: ClaimOutcome): Promise<void> {
    const ended = await attempt(async () => {
      const { rows } = await this.options.connection.db.query<{ claim: string }>(
        `UPDATE payout_claims SET ended_at = $3::timestamptz, outcome = 'lost', steps = $4
         WHERE claim = $1 AND run_id = $2 AND ended_at IS NULL RETURNING claim`,
        [claim, runId, this.now().toISOString(), steps],
      );
      return rows.length > 0;
    });
    this.tell({
      type: 'released',
      runId,
      outcome: ended === false && letGo !== undefined ? letGo : 'lost',
      steps,
    });
  }
}

/**
 * Does `work`, trying again a few times over about ten seconds when the database does not
 * answer (it may be restarting); `failed` when it never did. What it left undone is
 * settled by the claim expiring.
 */
const attempt = async <T>(work: () => Promise<T>): Promise<T | 'failed'> => {
  for (let tries = 0; ; tries += 1) {
    try {
      return await work();
    } catch {
      if (tries >= 5) return 'failed';
      // Not cut short by the worker's signal: releasing cleanly is what a stopping worker must still do.
      await sleep(250 * 2 ** tries);
    }
  }
};
