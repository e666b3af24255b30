import { fileURLToPath } from 'node:url';
import { runReport, runStatus } from '@concierge-ts/application';
import { type FaultSchedule, startFaultProxy } from '@concierge-ts/sandbox-server/testing';
import { submitRun } from '../src/payout-queue.js';
import { connectPostgres } from '../src/postgres-connection.js';
import { type Child, runFromSource } from './from-source.js';
import { freshDatabase, restartServer, SERVER_PGDATA } from './server-database.js';
import { type Master, payroll, planOf, startWorkerWorld, verdict } from './worker-world.js';

/**
 * One soak trial of workers on a PostgreSQL server: three runs on three API keys, worked by
 * `workers` worker processes against the sandbox server (each key limited), through the
 * fault proxy when `faults` is given, while workers are SIGKILLed at random steps (each
 * replaced, as a supervisor would) and the server is restarted once; then the guarantee,
 * the money and the 429s counted at the service.
 */
export interface WorkerTrialOptions {
  readonly seed: number;
  /**
   * The fault proxy's schedule between the workers and the service (resets, late
   * deliveries, lost answers, 5xx and 429 storms); none: the workers reach the service
   * directly. Its seed is the trial's.
   */
  readonly faults?: Omit<FaultSchedule, 'seed'>;
  readonly rows: number;
  readonly chunkSize: number;
  readonly workers: number;
  readonly kills: number;
  readonly restart: boolean;
  readonly rate: number;
  readonly claimSeconds: number;
}

export interface WorkerTrialResult {
  readonly seed: number;
  readonly runs: number;
  readonly rows: number;
  readonly acceptedOutputs: number;
  readonly duplicates: number;
  readonly unpaidWithReason: number;
  readonly unpaidWithoutReason: number;
  readonly conserved: boolean;
  readonly kills: number;
  readonly restarts: number;
  /** 429s the service itself answered (the proxy's injected ones are not the service's). */
  readonly answers429: number;
  readonly requests: number;
  /** Faults the proxy injected, by kind. */
  readonly faults: Readonly<Record<string, number>>;
  readonly steps: number;
  readonly seconds: number;
  readonly violations: readonly string[];
}

const CHILD = fileURLToPath(new URL('./worker-child.ts', import.meta.url));

/** A small seeded generator (mulberry32): the same seed kills at the same steps. */
const seeded = (seed: number) => {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
};

export const workerTrial = async (o: WorkerTrialOptions): Promise<WorkerTrialResult> => {
  const random = seeded(o.seed);
  const started = Date.now();
  const world = await startWorkerWorld({ rateLimit: o.rate });
  const proxy =
    o.faults === undefined
      ? undefined
      : await startFaultProxy({ upstream: world.url, schedule: { ...o.faults, seed: o.seed } });
  const database = await freshDatabase(`soak_${o.seed}`);
  const connection = (await connectPostgres(database.url, { onIdleError: () => undefined }))._unsafeUnwrap();
  const children: Child[] = [];
  try {
    const masters: Master[] = [];
    for (let k = 0; k < 3; k += 1) masters.push(await world.newMaster(`soak${o.seed}-${k}`));
    const plans = masters.map((m, k) =>
      planOf(`soak-${o.seed}-${k}`, m, payroll(`soak-${o.seed}-${k}`, o.rows), o.chunkSize),
    );
    for (const [k, plan] of plans.entries())
      (await submitRun(connection, plan, (masters[k] as Master).apiKey))._unsafeUnwrap();

    // Kills at random step counts; the restart at a random step among them.
    const expectedSteps = Math.max(10, Math.ceil((3 * o.rows) / o.chunkSize) * 6);
    const killAt = Array.from({ length: o.kills }, () => Math.floor(random() * expectedSteps) + 1).sort(
      (a, b) => a - b,
    );
    const restartAt = o.restart ? Math.floor(random() * expectedSteps) + 1 : Number.POSITIVE_INFINITY;
    let steps = 0;
    let kills = 0;
    let restarts = 0;
    let restarting: Promise<void> | undefined;
    const live = new Set<Child>();
    const start = (id: string) => {
      const child: Child = runFromSource(
        CHILD,
        {
          WORKER_SETTINGS: JSON.stringify({
            db: database.url,
            api: proxy?.url ?? world.url,
            keys: masters.map((m) => m.apiKey),
            rateLimit: o.rate,
            workerId: id,
            claimSeconds: o.claimSeconds,
            maintenanceSeconds: 1,
            tuning: { pollIntervalMs: 500, quoteWaitMs: 100 },
            timeoutMs: 2_000,
          }),
        },
        (line) => {
          if ((line as { type?: string }).type !== 'step') return;
          steps += 1;
          while (killAt.length > 0 && steps >= (killAt[0] as number) && live.has(child)) {
            killAt.shift();
            live.delete(child);
            child.process.kill('SIGKILL');
            kills += 1;
            start(`${id}.${kills}`);
          }
          if (restarting === undefined && steps >= restartAt) {
            restarts += 1;
            restarting = restartServer();
          }
        },
      );
      children.push(child);
      live.add(child);
    };
    for (let w = 0; w < o.workers; w += 1) start(`w${w + 1}`);

    const deadline = Date.now() + 10 * 60_000;
    for (;;) {
      const states = await Promise.all(
        plans.map(async (p) => {
          const status = await runStatus(connection.journal, p.runId);
          return status.isOk() && status.value.state === 'finished';
        }),
      );
      if (states.every(Boolean)) break;
      if (Date.now() > deadline) throw new Error(`trial ${o.seed}: the runs did not finish in 10 minutes`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    await restarting;
    for (const child of live) child.process.kill('SIGTERM');
    await Promise.all([...live].map((c) => c.exited));

    const violations: string[] = [];
    let accepted = 0;
    let duplicates = 0;
    let conserved = true;
    let withReason = 0;
    let withoutReason = 0;
    for (const [k, plan] of plans.entries()) {
      const { check, money } = await verdict(world, connection.journal, masters[k] as Master, plan);
      violations.push(...check.violations.map((v) => `${plan.runId}: ${v}`));
      accepted += check.acceptedOutputs;
      duplicates += check.duplicates;
      conserved &&= money.conserved;
      if (!money.conserved) violations.push(`${plan.runId}: money not conserved: ${money.detail}`);
      const report = (await runReport(connection.journal, plan.runId))._unsafeUnwrap();
      for (const line of report)
        if (line.outputId === null) {
          if (line.reason === null) withoutReason += 1;
          else withReason += 1;
        }
    }
    const answers429 = masters.reduce((n, m) => n + world.tooMany(m.apiKey), 0);
    if (answers429 > 0) violations.push(`${answers429} answers 429 at the service`);
    return {
      seed: o.seed,
      runs: plans.length,
      rows: plans.length * o.rows,
      acceptedOutputs: accepted,
      duplicates,
      unpaidWithReason: withReason,
      unpaidWithoutReason: withoutReason,
      conserved,
      kills,
      restarts,
      answers429,
      requests: masters.reduce((n, m) => n + world.answered(m.apiKey), 0),
      faults: proxy?.counts() ?? {},
      steps,
      seconds: (Date.now() - started) / 1000,
      violations,
    };
  } finally {
    for (const child of children) if (child.process.exitCode === null) child.process.kill('SIGKILL');
    await connection.close();
    await database.drop();
    await proxy?.close();
    await world.close();
  }
};

/** Whether the server can be restarted here (CONCIERGE_TEST_PGDATA is known). */
export const canRestart = (): boolean => SERVER_PGDATA !== undefined;
