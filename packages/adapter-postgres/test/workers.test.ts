import { createHttpConciergeClient } from '@concierge-ts/adapter-http';
import { runStatus } from '@concierge-ts/application';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { queueStatus, submitRun } from '../src/payout-queue.js';
import { runWorker, type WorkerEvent, type WorkerOptions } from '../src/payout-worker.js';
import { connectPostgres, type PostgresConnection } from '../src/postgres-connection.js';
import {
  type FetchLike,
  rateLimitedFetch,
  type SharedRateLimit,
  sharedRateLimit,
} from '../src/shared-rate-limit.js';
import { describeWithServer } from './postgres-server.js';
import { freshDatabase, type TestDatabase } from './server-database.js';
import { payroll, planOf, startWorkerWorld, verdict, type WorkerWorld } from './worker-world.js';

const TUNING = { pollIntervalMs: 500, quoteWaitMs: 100 } as const;

/** A limit kept by one process alone (what each worker would do without the database): slots spaced evenly. */
const localLimit = (requestsPerSecond: number): SharedRateLimit => {
  let next = 0;
  return {
    keyHash: 'local',
    requestsPerSecond,
    take: async () => {
      const now = Date.now();
      const at = Math.max(next, now);
      next = at + 1000 / requestsPerSecond;
      await new Promise((resolve) => setTimeout(resolve, at - now));
    },
  };
};

describeWithServer('payout runs worked by several workers on a PostgreSQL server', () => {
  let database: TestDatabase;
  let connection: PostgresConnection;
  let world: WorkerWorld;
  beforeAll(async () => {
    database = await freshDatabase('workers');
    connection = (await connectPostgres(database.url))._unsafeUnwrap();
    world = await startWorkerWorld({ rateLimit: 20 });
  });
  afterAll(async () => {
    await world?.close();
    await connection?.close();
    await database?.drop();
  });

  /** A worker in this process until `stop()`; its events are kept. */
  const startWorker = (apiKeys: readonly string[], more: Partial<WorkerOptions> = {}) => {
    const controller = new AbortController();
    const events: WorkerEvent[] = [];
    const done = runWorker({
      connection,
      apiKeys,
      clientFor: (apiKey: string, fetch: FetchLike) =>
        createHttpConciergeClient({ baseUrl: world.url, apiKey, fetch, rateLimit: false, timeoutMs: 5_000 }),
      rateLimit: 20,
      signal: controller.signal,
      pollMs: 100,
      holdMs: 300,
      maxWaitMs: 500,
      maintenanceSeconds: 1,
      tuning: TUNING,
      queue: { claimSeconds: 6, retryLimit: 1, retryDelaySeconds: 1 },
      ...more,
      onEvent: (event) => {
        if (process.env['DEBUG_WORKERS']) console.log(JSON.stringify(event).slice(0, 300));
        events.push(event);
        more.onEvent?.(event);
      },
    });
    return {
      events,
      stop: async () => {
        controller.abort();
        return (await done)._unsafeUnwrap();
      },
    };
  };

  const until = async (what: string, ready: () => Promise<boolean> | boolean, timeoutMs = 120_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!(await ready())) {
      if (Date.now() > deadline) throw new Error(`gave up waiting: ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };

  const finished = (runId: string) => async () =>
    (await runStatus(connection.journal, runId))._unsafeUnwrap().state === 'finished';

  // Every test pays from masters of its own: money is checked per payer.
  it('submit queues a run once, refuses another file under its id and another API key, and changes nothing then', async () => {
    const alpha = await world.newMaster('alpha');
    const beta = await world.newMaster('beta');
    const plan = planOf('submitted', alpha, payroll('submitted', 4), 2);
    const first = (await submitRun(connection, plan, alpha.apiKey))._unsafeUnwrap();
    expect(first.outcome).toBe('queued');
    expect(first.status.rows.total).toBe(4);
    const again = (await submitRun(connection, plan, alpha.apiKey))._unsafeUnwrap();
    expect(again).toMatchObject({ outcome: 'already_queued', jobId: first.jobId });
    const queued = (await queueStatus(connection, 'submitted'))._unsafeUnwrap();
    expect(queued).toMatchObject({ state: 'created', retries: 0, worker: null, claims: 0 });

    const otherFile = { ...plan, source: { name: 'other.csv', digest: 'sha-other' } };
    expect((await submitRun(connection, otherFile, alpha.apiKey))._unsafeUnwrapErr().code).toBe(
      'run_conflict',
    );
    const otherKey = (await submitRun(connection, plan, beta.apiKey))._unsafeUnwrapErr();
    expect(otherKey).toMatchObject({ code: 'run_conflict' });
    expect(otherKey.message).toContain('another API key');
    const badPlan = { ...plan, runId: 'bad plan' };
    expect((await submitRun(connection, badPlan, alpha.apiKey))._unsafeUnwrapErr()).toMatchObject({
      code: 'invalid_plan',
      field: 'runId',
    });
    expect((await queueStatus(connection, 'submitted'))._unsafeUnwrap()).toEqual(queued);
    // The database keeps a hash of the key, never the key.
    const { rows } = await connection.db.query<{ row: string }>(
      `SELECT row_to_json(q)::text AS row FROM payout_queue q
       UNION ALL SELECT row_to_json(r)::text FROM payout_rate_limits r
       UNION ALL SELECT data::text FROM pgboss.job`,
    );
    expect(rows.length).toBeGreaterThan(0);
    for (const { row } of rows) expect(row).not.toContain(alpha.apiKey);
  });

  it('two workers pay the runs of two keys, every row once, one worker at a time on a run', async () => {
    const alpha = await world.newMaster('two-alpha');
    const beta = await world.newMaster('two-beta');
    const runs = [
      { plan: planOf('two-a', alpha, payroll('two-a', 12), 4), master: alpha },
      { plan: planOf('two-b', beta, payroll('two-b', 12), 4), master: beta },
    ];
    for (const { plan, master } of runs) (await submitRun(connection, plan, master.apiKey))._unsafeUnwrap();
    const workers = [startWorker([alpha.apiKey, beta.apiKey]), startWorker([alpha.apiKey, beta.apiKey])];
    await until('both runs finished', async () => (await finished('two-a')()) && (await finished('two-b')()));
    const summaries = await Promise.all(workers.map((w) => w.stop()));
    expect(summaries.reduce((n, s) => n + s.steps, 0)).toBeGreaterThan(0);
    for (const { plan, master } of runs) {
      const { check, money } = await verdict(world, connection.journal, master, plan);
      expect(check.violations).toEqual([]);
      expect(check.acceptedOutputs).toBe(12);
      expect(money.conserved, money.detail).toBe(true);
      expect((await queueStatus(connection, plan.runId))._unsafeUnwrap()).toMatchObject({
        state: 'completed',
        worker: null,
      });
    }
    // Claims on one run never overlapped: each ended before the next began.
    const { rows } = await connection.db.query<{ run_id: string; started: string; ended: string | null }>(
      `SELECT run_id, started_at::text AS started, ended_at::text AS ended FROM payout_claims
       WHERE run_id IN ('two-a', 'two-b') ORDER BY run_id, started_at`,
    );
    expect(rows.length).toBeGreaterThan(2);
    for (let i = 1; i < rows.length; i += 1) {
      const [before, after] = [rows[i - 1], rows[i]];
      if (before?.run_id !== after?.run_id) continue;
      expect(before?.ended, `claim of ${before?.run_id} at ${before?.started} never ended`).not.toBeNull();
      expect(Date.parse(before?.ended ?? '')).toBeLessThanOrEqual(Date.parse(after?.started ?? ''));
    }
    expect(world.tooMany(alpha.apiKey) + world.tooMany(beta.apiKey)).toBe(0);
  });

  it('a worker told to stop finishes its step and releases its run at once, for another to go on', async () => {
    const alpha = await world.newMaster('stop');
    const plan = planOf('stopped', alpha, payroll('stopped', 8), 4);
    (await submitRun(connection, plan, alpha.apiKey))._unsafeUnwrap();
    const first = startWorker([alpha.apiKey], { workerId: 'first-worker' });
    await until('a first step', () => first.events.some((e) => e.type === 'step' && e.runId === 'stopped'));
    // Its first steps (payees, a draft) go on at once: it holds the run, and status says who.
    expect((await queueStatus(connection, 'stopped'))._unsafeUnwrap()).toMatchObject({
      state: 'active',
      worker: 'first-worker',
    });
    await first.stop();
    expect(first.events.filter((e) => e.type === 'released').at(-1)).toMatchObject({
      runId: 'stopped',
      outcome: 'stopping',
    });
    const released = (await queueStatus(connection, 'stopped'))._unsafeUnwrap();
    expect(released).toMatchObject({ state: 'created', worker: null, failedClaims: 0 });
    const second = startWorker([alpha.apiKey]);
    await until('the run finished', finished('stopped'));
    await second.stop();
    const { check } = await verdict(world, connection.journal, alpha, plan);
    expect(check.violations).toEqual([]);
  });

  it('a run whose steps keep failing is retried a bounded number of times, and status says so', async () => {
    const alpha = await world.newMaster('unknown');
    // Submitted with a key the service does not know: every step fails with authentication.
    const plan = planOf('unknown-key', alpha, payroll('unknown-key', 2), 2);
    (await submitRun(connection, plan, 'no-such-key', { settings: { retryLimit: 1 } }))._unsafeUnwrap();
    const worker = startWorker(['no-such-key'], { stepRetries: 1 });
    await until(
      'the job failed for good',
      async () => (await queueStatus(connection, 'unknown-key'))._unsafeUnwrap().state === 'failed',
    );
    await worker.stop();
    const status = (await queueStatus(connection, 'unknown-key'))._unsafeUnwrap();
    expect(status).toMatchObject({ state: 'failed', retries: 1, retryLimit: 1, claims: 2, failedClaims: 2 });
    expect(status.lastError).toContain('authentication');
    expect(worker.events.filter((e) => e.type === 'released' && e.outcome === 'failed')).toHaveLength(2);
    // Submitting it again queues it again.
    expect((await submitRun(connection, plan, 'no-such-key'))._unsafeUnwrap().outcome).toBe('queued');
  });

  it('the shared limit keeps three clients of one key under the service limit; three limits of their own do not', async () => {
    const gamma = await world.newMaster('gamma');
    const delta = await world.newMaster('delta');
    /** Three clients, 24 calls each: one after another, or (`all at once`) each sent when its limiter lets it, without waiting for the answers before. */
    const hammer = async (apiKey: string, fetchFor: () => FetchLike, allAtOnce = false) => {
      const clients = Array.from({ length: 3 }, () =>
        createHttpConciergeClient({
          baseUrl: world.url,
          apiKey,
          fetch: fetchFor(),
          rateLimit: false,
          retries: 0,
        }),
      );
      await Promise.all(
        clients.map(async (client) => {
          if (allAtOnce) await Promise.all(Array.from({ length: 24 }, () => client.users.me()));
          else for (let i = 0; i < 24; i += 1) await client.users.me();
        }),
      );
    };
    // Three workers, each with a pool of its own, sharing the key's slots through the database.
    const pools = await Promise.all(
      Array.from({ length: 3 }, async () => (await connectPostgres(database.url))._unsafeUnwrap()),
    );
    let next = 0;
    await hammer(gamma.apiKey, () =>
      rateLimitedFetch(sharedRateLimit((pools[next++ % 3] as PostgresConnection).db, gamma.apiKey, 20)),
    );
    await Promise.all(pools.map((p) => p.close()));
    expect(world.answered(gamma.apiKey)).toBe(72);
    expect(world.tooMany(gamma.apiKey)).toBe(0);
    // The control: three workers each keeping to the key's rate on its own go three times too
    // fast. Their calls leave when each limiter lets them, not when the previous answer came
    // back, so a slow machine cannot hide the excess.
    await hammer(delta.apiKey, () => rateLimitedFetch(localLimit(20)), true);
    expect(world.tooMany(delta.apiKey)).toBeGreaterThan(0);
  });
});
