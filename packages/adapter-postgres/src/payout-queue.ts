import {
  type PayoutError,
  payoutError,
  planRun,
  type RunPlanInput,
  type RunStatus,
} from '@concierge-ts/application';
import { ResultAsync } from 'neverthrow';
import PgBoss from 'pg-boss';
import type { PostgresConnection } from './postgres-connection.js';
import { apiKeyHash } from './shared-rate-limit.js';
import type { SqlQueryable } from './sql-journal.js';

/**
 * The queue of payout runs for several workers (SPEC 10.3), on pg-boss 10: one queue per
 * API key (its hash names it), one job per run at a time (`singletonKey` = run id, the
 * `singleton` policy: one active job per run). A worker claims a run's job, works it for
 * a slice of time, then completes it and queues the next one in one transaction, so a run
 * is never without a job nor with two. A worker that dies holding a job is replaced once
 * the job expires (`claimSeconds`): pg-boss puts it back as a retry, bounded by
 * `retryLimit`, and another worker takes it.
 */

export interface QueueSettings {
  /** How long a worker holds a run without releasing it; a dead worker's run is taken over after this (default 30 s). */
  readonly claimSeconds: number;
  /** How many times a job that failed or expired is tried again before it stays failed (default 5). */
  readonly retryLimit: number;
  /** Seconds before the first retry, doubling with each (default 1). */
  readonly retryDelaySeconds: number;
}

export const DEFAULT_QUEUE_SETTINGS: QueueSettings = {
  claimSeconds: 30,
  retryLimit: 5,
  retryDelaySeconds: 1,
};

/** What a job carries: the run, nothing secret. */
export interface RunJob {
  readonly runId: string;
}

/** The pg-boss queue of the runs of one API key. */
export const queueNameOf = (keyHash: string): string => `payouts-${keyHash.slice(0, 32)}`;

/** The schema pg-boss keeps its tables in. */
export const BOSS_SCHEMA = 'pgboss';

/** Serializes pg-boss's installation between processes starting together (any number, the same in all). */
const BOSS_INSTALL_LOCK = '5361207338102';

const message = (thrown: unknown) => (thrown instanceof Error ? thrown.message : String(thrown));

/** pg-boss on the connection's pool: one pool per process for the journal, the queue and the rate limit. */
export const bossDb = (db: SqlQueryable): PgBoss.Db => ({
  executeSql: (text, values) => db.query<Record<string, unknown>>(text, values),
});

export interface BossOptions {
  /** Expire claims and archive old jobs on a timer (workers: yes; `submit`: no). */
  readonly supervise: boolean;
  /** How often expired claims are looked for (default 5 s). */
  readonly maintenanceSeconds?: number;
  /** Told about pg-boss's errors (it reports them as events). */
  readonly onError?: (error: Error) => void;
}

/**
 * Starts pg-boss on the connection, installing its schema if needed. Two processes that
 * install it at once would collide inside pg-boss's own multi-statement script, so the
 * start waits for an advisory lock held by a transaction on another connection.
 */
export const startBoss = (
  connection: PostgresConnection,
  options: BossOptions,
): ResultAsync<PgBoss, PayoutError> =>
  ResultAsync.fromPromise(
    (async () => {
      const boss = new PgBoss({
        db: bossDb(connection.db),
        schema: BOSS_SCHEMA,
        supervise: options.supervise,
        schedule: false,
        maintenanceIntervalSeconds: options.maintenanceSeconds ?? 5,
      });
      boss.on('error', (error) => options.onError?.(error));
      await connection.db.transaction(async (tx) => {
        await tx.query('SELECT pg_advisory_xact_lock($1::bigint)', [BOSS_INSTALL_LOCK]);
        await boss.start();
      });
      return boss;
    })(),
    (thrown) => payoutError.journal(`starting the queue on ${connection.where}: ${message(thrown)}`),
  );

/** pg-boss's calls that take a connection, given one transaction's. */
const inTx = (tx: SqlQueryable): { db: PgBoss.Db } => ({ db: bossDb(tx) });

export const createRunQueue = (boss: PgBoss, keyHash: string, settings: QueueSettings) =>
  boss.createQueue(queueNameOf(keyHash), {
    name: queueNameOf(keyHash),
    policy: 'singleton',
    retryLimit: settings.retryLimit,
    retryDelay: settings.retryDelaySeconds,
    retryBackoff: true,
    expireInSeconds: settings.claimSeconds,
  });

/** Sends a run's next job (inside the caller's transaction). */
export const sendRunJob = (
  boss: PgBoss,
  tx: SqlQueryable,
  queue: string,
  runId: string,
  settings: QueueSettings,
  startAfter: Date,
): Promise<string | null> =>
  boss.send(queue, { runId } satisfies RunJob, {
    singletonKey: runId,
    startAfter,
    expireInSeconds: settings.claimSeconds,
    retryLimit: settings.retryLimit,
    retryDelay: settings.retryDelaySeconds,
    retryBackoff: true,
    ...inTx(tx),
  });

interface QueueRow {
  readonly key_hash: string;
  readonly queue: string;
  readonly job_id: string | null;
  readonly claim: string | null;
  readonly claimed_by: string | null;
  readonly claimed_at: string | null;
}

/** Job states in which a run is still queued or being worked. */
const LIVE_JOB_STATES: ReadonlySet<string> = new Set(['created', 'retry', 'active']);

export interface SubmitOutcome {
  /** Where the run stands (just planned, or as it was). */
  readonly status: RunStatus;
  /** `queued`: a job was sent; `already_queued`: the run had one (nothing done); `finished`: nothing left to work. */
  readonly outcome: 'queued' | 'already_queued' | 'finished';
  readonly jobId: string | null;
}

export interface SubmitOptions {
  readonly settings?: Partial<QueueSettings>;
  readonly now?: () => Date;
}

/**
 * Queues a run for the workers of `apiKey` (SPEC 10.4 `submit`): plans it in the journal
 * (a different file under the same run id is refused and changes nothing, as `run` does),
 * then sends its job unless it already has one waiting or being worked: submitting the
 * same run again is a no-op. The database keeps the key's hash, never the key; a run
 * submitted with one key is refused with another (its requests belong to that key's user).
 */
export const submitRun = (
  connection: PostgresConnection,
  plan: RunPlanInput,
  apiKey: string,
  options: SubmitOptions = {},
): ResultAsync<SubmitOutcome, PayoutError> => {
  const settings = { ...DEFAULT_QUEUE_SETTINGS, ...options.settings };
  const now = options.now ?? (() => new Date());
  const keyHash = apiKeyHash(apiKey);
  const queue = queueNameOf(keyHash);
  return planRun(connection.journal, plan, now).andThen((status) =>
    withBoss(
      connection,
      async (boss): Promise<SubmitOutcome> => {
        await createRunQueue(boss, keyHash, settings);
        return connection.db.transaction(async (tx) => {
          const row = await lockQueueRow(tx, plan.runId, keyHash, queue, now());
          if (row.key_hash !== keyHash)
            throw new SubmitRefusal(
              payoutError.runConflict(
                plan.runId,
                `run ${plan.runId} was submitted with another API key; nothing changed`,
              ),
            );
          if (row.job_id !== null) {
            const job = await boss.getJobById(queue, row.job_id, { includeArchive: true, ...inTx(tx) });
            if (job !== null && LIVE_JOB_STATES.has(job.state))
              return { status, outcome: 'already_queued', jobId: row.job_id };
          }
          if (status.state === 'finished' || status.state === 'cancelled')
            return { status, outcome: 'finished', jobId: row.job_id };
          const jobId = await sendRunJob(boss, tx, queue, plan.runId, settings, now());
          await tx.query(
            'UPDATE payout_queue SET job_id = $2, updated_at = $3::timestamptz WHERE run_id = $1',
            [plan.runId, jobId, now().toISOString()],
          );
          return { status, outcome: 'queued', jobId };
        });
      },
      (thrown) =>
        thrown instanceof SubmitRefusal
          ? thrown.error
          : payoutError.journal(`queueing run ${plan.runId}: ${message(thrown)}`),
    ),
  );
};

/** Starts pg-boss without timers, uses it, stops it. */
const withBoss = <T>(
  connection: PostgresConnection,
  use: (boss: PgBoss) => Promise<T>,
  failed: (thrown: unknown) => PayoutError,
): ResultAsync<T, PayoutError> =>
  startBoss(connection, { supervise: false }).andThen((boss) =>
    ResultAsync.fromPromise(
      (async () => {
        try {
          return await use(boss);
        } finally {
          await boss.stop({ graceful: false, close: false }).catch(() => undefined);
        }
      })(),
      failed,
    ),
  );

class SubmitRefusal extends Error {
  constructor(readonly error: PayoutError) {
    super(error.message);
  }
}

/** The run's queue row, created if missing, locked until the transaction ends. */
const lockQueueRow = async (
  tx: SqlQueryable,
  runId: string,
  keyHash: string,
  queue: string,
  at: Date,
): Promise<QueueRow> => {
  await tx.query(
    `INSERT INTO payout_queue (run_id, key_hash, queue, submitted_at, updated_at)
     VALUES ($1, $2, $3, $4::timestamptz, $4::timestamptz) ON CONFLICT (run_id) DO NOTHING`,
    [runId, keyHash, queue, at.toISOString()],
  );
  const { rows } = await tx.query<QueueRow>(
    'SELECT key_hash, queue, job_id, claim, claimed_by, claimed_at::text FROM payout_queue WHERE run_id = $1 FOR UPDATE',
    [runId],
  );
  const row = rows[0];
  if (row === undefined) throw new Error(`run ${runId} has no queue row`);
  return row;
};

/** Where a queued run's work stands, for `status` (SPEC 10.4: retries bounded and visible). */
export interface QueueStatus {
  /**
   * The run's latest job: `created` (waiting), `retry` (waiting again after a failure or
   * an expired claim), `active` (a worker has it), `completed` (nothing left to work),
   * `failed` (retries used up: submit again), `cancelled`; `none` when never submitted.
   */
  readonly state: 'none' | 'created' | 'retry' | 'active' | 'completed' | 'cancelled' | 'failed';
  /** Times the latest job was tried again, and the most it may be. */
  readonly retries: number;
  readonly retryLimit: number;
  /** When the job may start (ISO), while it waits. */
  readonly startAfter: string | null;
  /** The worker holding the run now (while the job is active), and since when (ISO). */
  readonly worker: string | null;
  readonly claimedAt: string | null;
  /** Claims so far, and how many failed or were lost (their worker died, or was too slow and was replaced). */
  readonly claims: number;
  readonly failedClaims: number;
  /** Why the latest failure happened, if one did. */
  readonly lastError: string | null;
}

const NOT_QUEUED: QueueStatus = {
  state: 'none',
  retries: 0,
  retryLimit: 0,
  startAfter: null,
  worker: null,
  claimedAt: null,
  claims: 0,
  failedClaims: 0,
  lastError: null,
};

const iso = (value: unknown): string | null =>
  value instanceof Date ? value.toISOString() : value === null || value === undefined ? null : String(value);

/** The message pg-boss keeps with a failed job: ours (`{ message }`) or its own (`{ value: { message } }`). */
const outputMessage = (output: unknown): string | null => {
  if (typeof output !== 'object' || output === null) return null;
  const own = (output as { message?: unknown }).message;
  if (typeof own === 'string') return own;
  return outputMessage((output as { value?: unknown }).value);
};

/** The queue side of a run on a PostgreSQL server; `none` for a run never submitted. */
export const queueStatus = (
  connection: PostgresConnection,
  runId: string,
): ResultAsync<QueueStatus, PayoutError> =>
  ResultAsync.fromPromise(
    (async (): Promise<QueueStatus> => {
      const { rows } = await connection.db.query<
        QueueRow & { claims: string; failed_claims: string; last_error: string | null }
      >(
        `SELECT q.key_hash, q.queue, q.job_id, q.claim, q.claimed_by,
           to_char(q.claimed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS claimed_at,
           (SELECT count(*) FROM payout_claims c WHERE c.run_id = q.run_id)::text AS claims,
           (SELECT count(*) FROM payout_claims c WHERE c.run_id = q.run_id
              AND (c.outcome IN ('failed', 'lost')
                   OR (c.ended_at IS NULL AND c.claim IS DISTINCT FROM q.claim)))::text AS failed_claims,
           (SELECT c.error FROM payout_claims c WHERE c.run_id = q.run_id AND c.error IS NOT NULL
              ORDER BY c.started_at DESC LIMIT 1) AS last_error
         FROM payout_queue q WHERE q.run_id = $1`,
        [runId],
      );
      const row = rows[0];
      if (row === undefined || row.job_id === null) return NOT_QUEUED;
      // Not started: only read through, no timers.
      const boss = new PgBoss({
        db: bossDb(connection.db),
        schema: BOSS_SCHEMA,
        supervise: false,
        schedule: false,
      });
      const job = await boss.getJobById(row.queue, row.job_id, { includeArchive: true });
      const failed = job?.state === 'failed' || job?.state === 'retry';
      return {
        state: job?.state ?? 'none',
        retries: Number(job?.retryCount ?? 0),
        retryLimit: Number(job?.retryLimit ?? 0),
        startAfter: job && (job.state === 'created' || job.state === 'retry') ? iso(job.startAfter) : null,
        // Only while the job is active: an expired claim stays named in the row until the next one.
        worker: row.claim === null || job?.state !== 'active' ? null : row.claimed_by,
        claimedAt: row.claim === null || job?.state !== 'active' ? null : row.claimed_at,
        claims: Number(row.claims),
        failedClaims: Number(row.failed_claims),
        lastError: (failed ? outputMessage(job?.output) : null) ?? row.last_error,
      };
    })(),
    (thrown) => payoutError.journal(`reading the queue of run ${runId}: ${message(thrown)}`),
  );
