import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInMemoryConcierge, InMemoryPayoutJournal, OffsetClock } from '@concierge-ts/adapter-memory';
import {
  connectPostgres,
  openJournal,
  type PostgresConnection,
  submitRun,
} from '@concierge-ts/adapter-postgres';
import {
  type ConciergeClient,
  driveRun,
  type Page,
  type PayoutJournal,
  type PayoutRowInput,
  planRun,
  type RequestView,
  type RunPlanInput,
  runReport,
  runStatus,
} from '@concierge-ts/application';
import { createSandboxApp, listenOnLoopback } from '@concierge-ts/sandbox-server';
import { Client } from 'pg';
import {
  type Benchmark,
  fmtInt,
  fmtMs,
  fmtRatio,
  isMeasurement,
  type Measurement,
  MemoryProbe,
  now,
  printTable,
  type Results,
  verdict,
} from './harness.js';
import { createPayees, fund, unwrap } from './world.js';

/**
 * Two benchmarks of payout runs on PostgreSQL (SPEC 10.3):
 *
 * `workers`: three runs on three API keys, worked by one worker process, then by three,
 * against the sandbox server on 127.0.0.1 limiting each key to `BENCH_WORKER_RATE`
 * requests a second, the workers sharing each key's limit through the server. The time
 * from the submission to the last row settled, side by side; the goal is three workers
 * at least 2.5 times faster than one (each key's limit, not the worker, sets the pace).
 *
 * `journals`: one run of `BENCH_JOURNAL_ROWS` rows driven in this process against the
 * in-process sandbox (no network, no rate limit, the sandbox clock moved instead of
 * waited for), its journal in memory, on PGlite and on the server: the time per row
 * journaled, side by side.
 *
 * The server is `BENCH_DB` (`pnpm bench --db URL` sets it) or `CONCIERGE_TEST_DATABASE_URL`;
 * without one, the server parts are skipped with a message. Each run works in a schema of
 * its own, dropped at the end.
 */

const SERVER_URL = process.env['BENCH_DB'] ?? process.env['CONCIERGE_TEST_DATABASE_URL'];
const ROWS_PER_RUN = Number(process.env['BENCH_WORKER_ROWS'] ?? 60);
const RATE = Number(process.env['BENCH_WORKER_RATE'] ?? 5);
const JOURNAL_ROWS = Number(process.env['BENCH_JOURNAL_ROWS'] ?? 1_000);
const CHUNK = 40;
const CLOCK_SPEED = 3_600;
const WORKER = fileURLToPath(new URL('./worker-child.js', import.meta.url));

export const WORKERS_GOALS = { minSpeedup: 2.5, max429: 0 };
/** The journal must never be what a run waits for: a row's journaling well under one request at the default 5/s. */
export const JOURNAL_GOALS = { maxMsPerRow: 20 };

/** A schema of its own on the server: the URL with its search_path, and how to drop it. */
const freshSchema = async (url: string, label: string) => {
  const name = `bench_${label}_${Date.now().toString(36)}`;
  const admin = new Client({ connectionString: url });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${name}`);
  await admin.end();
  const scoped = new URL(url);
  scoped.searchParams.set('options', `-c search_path=${name}`);
  return {
    url: scoped.toString(),
    drop: async () => {
      const c = new Client({ connectionString: url });
      await c.connect();
      await c.query(`DROP SCHEMA ${name} CASCADE`);
      await c.end();
    },
  };
};

/** A payroll of `count` rows to the payees, amounts in each destination's currency. */
const rowsFor = (label: string, payees: Awaited<ReturnType<typeof createPayees>>, count: number) =>
  Array.from({ length: count }, (_, i): PayoutRowInput => {
    const payee = payees[i % payees.length] as (typeof payees)[number];
    return {
      line: i + 2,
      reference: `${label}-${i}`,
      portCode: payee.destination.port,
      amount: String(payee.destination.amount + (i % 7)),
      payeeId: payee.id,
      withdrawalInstructionId: payee.instructionId,
    };
  });

/** Outputs in the run's accepted requests at the service, and whether each row's output is its own. */
const paidOnce = async (client: ConciergeClient, journal: PayoutJournal, runId: string, rows: number) => {
  const report = unwrap('report', (await runReport(journal, runId)).mapErr(toConcierge));
  const requests: RequestView[] = [];
  for (let page: number | null = 1; page !== null; ) {
    const listed: Page<RequestView> = unwrap(
      'requests',
      await client.requests.list({ page: { number: page, size: 500 } }),
    );
    requests.push(...listed.items.filter((r) => (r.externalId ?? '').startsWith(`${runId}/`)));
    page = listed.next;
  }
  let accepted = 0;
  for (const r of requests.filter((r) => r.quoteAcceptedAt !== null)) accepted += r.counters.total;
  const distinct = new Set(report.map((l) => l.outputId).filter((id) => id !== null)).size;
  return {
    accepted,
    distinct,
    settled: report.filter((l) => l.state === 'settled').length,
    ok: accepted === rows && distinct === rows,
  };
};

const toConcierge = (e: { message: string }) => ({
  type: 'server' as const,
  status: 500,
  code: 'journal',
  detail: e.message,
});

interface Lap {
  readonly workers: number;
  readonly totalMs: number;
  readonly requests: number;
  readonly answers429: number;
  readonly claims: number;
  readonly runMs: readonly number[];
  readonly allPaidOnce: boolean;
}

/** Three runs on three keys, `workers` worker processes, from the submission to every row settled. */
const lap = async (url: string, workers: number): Promise<Lap> => {
  const speed = CLOCK_SPEED;
  const concierge = createInMemoryConcierge({
    clock: new OffsetClock(Date.now, speed),
    newClock: () => new OffsetClock(Date.now, speed),
    windows: { acceptQuoteMs: 96 * 3_600_000, provisionFundsMs: 192 * 3_600_000 },
    seed: false,
  });
  const app = createSandboxApp(concierge, { rateLimit: RATE, webhooks: false });
  const statuses = new Map<number, number>();
  const listening = await listenOnLoopback({
    fetch: async (request: Request, ...rest: unknown[]) => {
      const response = await (app.fetch as (r: Request, ...more: unknown[]) => Promise<Response>)(
        request,
        ...rest,
      );
      statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
      return response;
    },
  });
  const schema = await freshSchema(url, `w${workers}`);
  const connection: PostgresConnection = unwrap(
    'connect',
    (await connectPostgres(schema.url)).mapErr(toConcierge),
  );
  const children: ChildProcess[] = [];
  try {
    // Three masters with a payer and payees each, set up in-process (nothing counted at the server).
    const runs: { plan: RunPlanInput; client: ConciergeClient; apiKey: string }[] = [];
    for (let k = 0; k < 3; k += 1) {
      const tenant = concierge.addMaster(`bench-master-${k}@bench.test`);
      const payer = unwrap(
        'payer',
        await tenant.client.users.create({ email: `payer${k}@bench.test`, name: 'Payer' }),
      );
      await fund(tenant.operator, payer.id, ROWS_PER_RUN);
      const payees = await createPayees(tenant.client);
      const runId = `bench-w${workers}-k${k}`;
      runs.push({
        apiKey: tenant.apiKey,
        client: tenant.client,
        plan: {
          runId,
          originPort: 'ar_ars',
          payerId: payer.id,
          chunkSize: CHUNK,
          source: { name: `${runId}.csv`, digest: runId },
          rows: rowsFor(runId, payees, ROWS_PER_RUN),
        },
      });
    }
    statuses.clear();
    const keys = runs.map((r) => r.apiKey);
    for (let w = 0; w < workers; w += 1) {
      const child = spawn(process.execPath, [WORKER], {
        env: {
          PATH: process.env['PATH'] ?? '',
          WORKER_SETTINGS: JSON.stringify({
            db: schema.url,
            api: listening.url,
            keys,
            rateLimit: RATE,
            workerId: `bench-${w + 1}`,
            tuning: { pollIntervalMs: 500, quoteWaitMs: 100 },
          }),
        },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      children.push(child);
      await new Promise<void>((resolve, reject) => {
        let out = '';
        child.stdout?.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.includes('"type":"started"')) resolve();
        });
        child.on('exit', (code) => reject(new Error(`worker exited with ${code}: ${out.slice(-500)}`)));
      });
    }
    // The clock starts with every worker waiting for work.
    const t0 = now();
    for (const run of runs)
      unwrap('submit', (await submitRun(connection, run.plan, run.apiKey)).mapErr(toConcierge));
    const runMs: number[] = runs.map(() => Number.NaN);
    while (runMs.some(Number.isNaN)) {
      for (const [i, run] of runs.entries()) {
        if (!Number.isNaN(runMs[i] as number)) continue;
        const status = await runStatus(connection.journal, run.plan.runId);
        if (status.isOk() && status.value.state === 'finished') runMs[i] = now() - t0;
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const totalMs = now() - t0;
    let allPaidOnce = true;
    for (const run of runs) {
      const paid = await paidOnce(run.client, connection.journal, run.plan.runId, ROWS_PER_RUN);
      allPaidOnce &&= paid.ok && paid.settled === ROWS_PER_RUN;
    }
    const { rows } = await connection.db.query<{ n: string }>(
      'SELECT count(*)::text AS n FROM payout_claims',
    );
    return {
      workers,
      totalMs,
      requests: [...statuses.values()].reduce((a, b) => a + b, 0),
      answers429: statuses.get(429) ?? 0,
      claims: Number(rows[0]?.n ?? 0),
      runMs,
      allPaidOnce,
    };
  } finally {
    for (const child of children) child.kill('SIGTERM');
    await Promise.all(
      children.map(
        (c) => new Promise((resolve) => (c.exitCode !== null ? resolve(null) : c.on('exit', resolve))),
      ),
    );
    await connection.close();
    await schema.drop();
    app.close();
    await listening.close();
  }
};

const runWorkers = async (n: number): Promise<Measurement> => {
  if (SERVER_URL === undefined)
    throw new Error('skipped: no server (give BENCH_DB, --db or CONCIERGE_TEST_DATABASE_URL)');
  const probe = new MemoryProbe();
  const one = await lap(SERVER_URL, 1);
  const three = await lap(SERVER_URL, 3);
  const memory = await probe.finish();
  return {
    bench: 'workers',
    n,
    totalMs: one.totalMs + three.totalMs,
    phases: { oneWorker: one.totalMs, threeWorkers: three.totalMs },
    ...memory,
    extra: {
      rowsPerRun: ROWS_PER_RUN,
      rate: RATE,
      ...Object.fromEntries(
        [one, three].flatMap((l) => [
          [`requests${l.workers}`, l.requests],
          [`answers429_${l.workers}`, l.answers429],
          [`claims${l.workers}`, l.claims],
          [`paidOnce${l.workers}`, l.allPaidOnce],
          [`runs${l.workers}`, l.runMs.map((ms) => fmtMs(ms)).join(', ')],
        ]),
      ),
    },
  };
};

/** One run of JOURNAL_ROWS rows driven on a journal, against the in-process sandbox: ms per row. */
const driveOn = async (journal: PayoutJournal, label: string): Promise<number> => {
  const concierge = createInMemoryConcierge();
  const seeded = concierge.seeded;
  if (!seeded) throw new Error('no seeded sandbox');
  await fund(concierge.operator, seeded.payerId, JOURNAL_ROWS);
  const payees = await createPayees(concierge.client);
  const runId = `bench-journal-${label}`;
  const t0 = now();
  unwrap(
    'plan',
    (
      await planRun(journal, {
        runId,
        originPort: 'ar_ars',
        payerId: seeded.payerId,
        chunkSize: 250,
        source: { name: 'bench.csv', digest: runId },
        rows: rowsFor(runId, payees, JOURNAL_ROWS),
      })
    ).mapErr(toConcierge),
  );
  const status = unwrap(
    'drive',
    (
      await driveRun(
        {
          client: concierge.client,
          journal,
          now: () => new Date(concierge.clock.now()),
          sleep: async (ms) => {
            concierge.service.advance(concierge.clock, Math.max(0, Math.round(ms)));
          },
          tuning: { pollIntervalMs: 10 * 60_000, quoteWaitMs: 1_000 },
        },
        runId,
      )
    ).mapErr(toConcierge),
  );
  const ms = now() - t0;
  if (status.state !== 'finished' || status.rows.settled !== JOURNAL_ROWS)
    throw new Error(`${label}: the run ended ${status.state} with ${status.rows.settled} rows settled`);
  return ms / JOURNAL_ROWS;
};

const runJournals = async (n: number): Promise<Measurement> => {
  const probe = new MemoryProbe();
  const memoryMs = await driveOn(new InMemoryPayoutJournal(), 'memory');
  const dir = mkdtempSync(join(tmpdir(), 'concierge-bench-journal-'));
  let pgliteMs = Number.NaN;
  try {
    const journal = unwrap('pglite', (await openJournal(dir)).mapErr(toConcierge));
    pgliteMs = await driveOn(journal, 'pglite');
    await journal.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  let serverMs = Number.NaN;
  if (SERVER_URL !== undefined) {
    const schema = await freshSchema(SERVER_URL, 'journal');
    try {
      const journal = unwrap('server', (await openJournal(schema.url)).mapErr(toConcierge));
      serverMs = await driveOn(journal, 'server');
      await journal.close();
    } finally {
      await schema.drop();
    }
  }
  const memory = await probe.finish();
  return {
    bench: 'journals',
    n,
    totalMs: (memoryMs + pgliteMs + (Number.isNaN(serverMs) ? 0 : serverMs)) * JOURNAL_ROWS,
    phases: {
      memory: memoryMs * JOURNAL_ROWS,
      pglite: pgliteMs * JOURNAL_ROWS,
      server: serverMs * JOURNAL_ROWS,
    },
    ...memory,
    extra: {
      rows: JOURNAL_ROWS,
      memoryMsPerRow: memoryMs,
      pgliteMsPerRow: pgliteMs,
      serverMsPerRow: serverMs,
    },
  };
};

const num = (m: Measurement, key: string): number => Number(m.extra[key] ?? Number.NaN);

const notRun = (results: Results, name: string, title: string): boolean => {
  const runs = results.get(name) ?? [];
  if (runs.some(isMeasurement)) return false;
  const failure = runs.find((o) => !isMeasurement(o));
  console.log(`\n${title}\n  ${failure && !isMeasurement(failure) ? failure.error : 'not run'}`);
  return true;
};

const reportWorkers = (results: Results): void => {
  const title = `Workers — 3 runs of ${ROWS_PER_RUN} rows on 3 API keys, the sandbox server limiting each key to ${RATE} requests/s`;
  if (notRun(results, 'workers', title)) return;
  const r = (results.get('workers') ?? []).find(isMeasurement) as Measurement;
  const one = r.phases['oneWorker'] ?? Number.NaN;
  const three = r.phases['threeWorkers'] ?? Number.NaN;
  printTable(
    title,
    [
      'workers',
      'submitted → every row settled',
      'each run',
      'requests',
      '429 answers',
      'claims',
      'every row paid once',
    ],
    [1, 3].map((w) => [
      String(w),
      fmtMs(w === 1 ? one : three),
      String(r.extra[`runs${w}`] ?? ''),
      fmtInt(num(r, `requests${w}`)),
      fmtInt(num(r, `answers429_${w}`)),
      fmtInt(num(r, `claims${w}`)),
      r.extra[`paidOnce${w}`] === true ? 'yes' : 'NO',
    ]),
  );
  const speedup = one / three;
  const answers429 = num(r, 'answers429_1') + num(r, 'answers429_3');
  printTable(
    'Workers goals',
    ['goal', 'measured', 'verdict'],
    [
      [
        `3 workers ≥ ${WORKERS_GOALS.minSpeedup}× faster than 1`,
        fmtRatio(speedup),
        verdict(speedup >= WORKERS_GOALS.minSpeedup),
      ],
      ['no 429 answer at the service', fmtInt(answers429), verdict(answers429 <= WORKERS_GOALS.max429)],
      [
        'every row paid exactly once, settled',
        r.extra['paidOnce1'] === true && r.extra['paidOnce3'] === true ? 'yes' : 'no',
        verdict(r.extra['paidOnce1'] === true && r.extra['paidOnce3'] === true),
      ],
    ],
  );
  console.log(
    `  Workers are processes running the built adapter-postgres (bench/dist/worker-child.js); the sandbox clock runs ${fmtInt(CLOCK_SPEED)}× real time, so settling takes about a second. BENCH_WORKER_ROWS=${ROWS_PER_RUN}, BENCH_WORKER_RATE=${RATE}.`,
  );
};

const reportJournals = (results: Results): void => {
  const title = `Journals — one run of ${fmtInt(JOURNAL_ROWS)} rows driven against the in-process sandbox, its journal in memory, on PGlite, on a PostgreSQL server`;
  if (notRun(results, 'journals', title)) return;
  const r = (results.get('journals') ?? []).find(isMeasurement) as Measurement;
  const server = num(r, 'serverMsPerRow');
  printTable(
    title,
    ['journal', 'whole run', 'per row', '÷ memory'],
    (
      [
        ['memory', num(r, 'memoryMsPerRow')],
        ['PGlite', num(r, 'pgliteMsPerRow')],
        ['PostgreSQL server', server],
      ] as const
    ).map(([name, ms]) =>
      Number.isNaN(ms)
        ? [name, '—', 'skipped: no server (BENCH_DB, --db or CONCIERGE_TEST_DATABASE_URL)', '—']
        : [name, fmtMs(ms * JOURNAL_ROWS), fmtMs(ms), fmtRatio(ms / num(r, 'memoryMsPerRow'))],
    ),
  );
  printTable(
    'Journals goals',
    ['goal', 'measured', 'verdict'],
    [
      [
        `PGlite: ≤ ${JOURNAL_GOALS.maxMsPerRow} ms per row`,
        fmtMs(num(r, 'pgliteMsPerRow')),
        verdict(num(r, 'pgliteMsPerRow') <= JOURNAL_GOALS.maxMsPerRow),
      ],
      [
        `server: ≤ ${JOURNAL_GOALS.maxMsPerRow} ms per row`,
        Number.isNaN(server) ? 'skipped' : fmtMs(server),
        Number.isNaN(server) ? '—' : verdict(server <= JOURNAL_GOALS.maxMsPerRow),
      ],
    ],
  );
};

export const workersBenchmark: Benchmark = {
  name: 'workers',
  title: 'payout runs by one worker and by three, each API key rate-limited at the service',
  fixedSize: true,
  run: runWorkers,
  report: reportWorkers,
};

export const journalsBenchmark: Benchmark = {
  name: 'journals',
  title: 'one payout run with its journal in memory, on PGlite and on a PostgreSQL server',
  fixedSize: true,
  run: runJournals,
  report: reportJournals,
};
