import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connectPostgres, type PostgresConnection } from '@concierge-ts/adapter-postgres';
import { allItems, type OutputView, runStatus } from '@concierge-ts/application';
import { type Listening, listenOnLoopback } from '@concierge-ts/sandbox-server';
import { afterAll, beforeAll, expect, it } from 'vitest';
// The PostgreSQL server of the tests, as adapter-postgres's own tests use it.
import { describeWithServer } from '../../adapter-postgres/test/postgres-server.js';
import { freshDatabase, type TestDatabase } from '../../adapter-postgres/test/server-database.js';
import { raise, seededFile, startProvider, TEST_KEY, testSandbox } from './fast-sandbox.js';

/**
 * `concierge payouts submit` and `concierge payouts worker`, the built command in real
 * processes, against the sandbox server on loopback and a PostgreSQL server
 * (CONCIERGE_TEST_DATABASE_URL): a bad file refused as `run` refuses it, a good one queued
 * (twice: the second a no-op), two workers paying it, stopped with SIGTERM, and
 * `status --json` with the queue.
 */

const BIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));

interface Ended {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

describeWithServer('concierge payouts submit and worker on a PostgreSQL server, in real processes', () => {
  let sandbox: ReturnType<typeof testSandbox>;
  let server: Listening;
  let stopProvider: () => Promise<void>;
  let database: TestDatabase;
  let connection: PostgresConnection;
  let dir: string;

  beforeAll(async () => {
    if (!existsSync(BIN)) throw new Error(`${BIN} is missing: build first (node_modules/.bin/tsc -b)`);
    sandbox = testSandbox();
    stopProvider = startProvider(sandbox.concierge);
    server = await listenOnLoopback(sandbox.app);
    database = await freshDatabase('cli_workers');
    connection = (await connectPostgres(database.url))._unsafeUnwrap();
    dir = await mkdtemp(join(tmpdir(), 'concierge-cli-workers-'));
  }, 120_000);

  afterAll(async () => {
    await stopProvider?.();
    sandbox?.app.close();
    await server?.close();
    await connection?.close();
    await database?.drop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const env = () => ({
    PATH: process.env['PATH'] ?? '',
    CONCIERGE_API_URL: server.url,
    CONCIERGE_API_KEY: TEST_KEY,
    CONCIERGE_DB: database.url,
    CONCIERGE_RATE_LIMIT: '20',
    CONCIERGE_POLL_INTERVAL: '0.2',
  });

  const start = (args: readonly string[]): { child: ChildProcess; ended: Promise<Ended> } => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: dir,
      env: env(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const ended = new Promise<Ended>((resolve) =>
      child.on('close', (code) => resolve({ code, stdout, stderr })),
    );
    return { child, ended };
  };
  const concierge = (args: readonly string[]) => start(args).ended;

  const payer = () => sandbox.concierge.seeded?.payerId ?? raise('a seeded payer');

  it('refuses a bad file as run does, queues a good one once, and two workers pay it; status shows the queue', async () => {
    const good = seededFile(sandbox.concierge, [
      ['w1', 'cl_clp', '12000'],
      ['w2', 'mx_mxn', '950.25'],
      ['w3', 'uy_uyu', '3000'],
      ['w4', 'cl_clp', '12000'],
      ['w5', 'py_pyg', '100000'],
    ]);
    await writeFile(join(dir, 'good.csv'), good);
    await writeFile(join(dir, 'bad.csv'), `${good}w6,cl_clp,10.5,1,2\nw1,cl_clp,5,1,2\n`);
    const submit = (file: string, runId: string) =>
      concierge([
        'payouts',
        'submit',
        file,
        '--origin',
        'ar_ars',
        '--payer',
        payer(),
        '--run-id',
        runId,
        '--chunk-size',
        '2',
      ]);

    const refused = await submit('bad.csv', 'cli-bad');
    expect(refused.code, refused.stderr).toBe(1);
    expect(refused.stderr).toContain('bad.csv is refused, nothing was sent: 2 problems');
    expect(refused.stderr).toMatch(/line 7, amount/);
    expect(refused.stderr).toMatch(/line 8, reference/);
    expect((await connection.journal.getRun('cli-bad'))._unsafeUnwrap()).toBeNull();

    const queued = await submit('good.csv', 'cli-run');
    expect(queued.code, queued.stderr).toBe(0);
    expect(queued.stdout).toContain('run cli-run queued for workers: 5 rows');
    const again = await submit('good.csv', 'cli-run');
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('already queued or being worked: nothing changed');
    const waiting = await concierge(['payouts', 'status', 'cli-run', '--json']);
    expect(JSON.parse(waiting.stdout)).toMatchObject({
      state: 'planned',
      queue: { state: 'created', claims: 0 },
    });

    const workers = [
      start(['payouts', 'worker', '--claim-timeout', '10']),
      start(['payouts', 'worker', '--json']),
    ];
    const deadline = Date.now() + 120_000;
    for (;;) {
      const status = await runStatus(connection.journal, 'cli-run');
      if (status.isOk() && status.value.state === 'finished') break;
      if (Date.now() > deadline) throw new Error('the run did not finish in 2 minutes');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    for (const w of workers) w.child.kill('SIGTERM');
    const [text, json] = await Promise.all(workers.map((w) => w.ended));
    expect(text?.code, text?.stderr).toBe(0);
    expect(json?.code, json?.stderr).toBe(0);
    expect(text?.stdout).toMatch(/waiting for runs of 1 API key/);
    expect(text?.stdout).toMatch(/worker .* stopped after \d+ claims?/);
    const events = (json?.stdout ?? '')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { event: string });
    expect(events[0]).toMatchObject({ event: 'started', keys: 1 });
    expect(events.at(-1)).toMatchObject({ event: 'stopped' });
    // The run was taken by one worker or both (whichever polled first), each saying so its way; the key was never printed.
    const claimed =
      (text?.stdout.match(/took run cli-run/g) ?? []).length +
      events.filter((e) => e.event === 'claimed' && (e as { run_id?: string }).run_id === 'cli-run').length;
    expect(claimed).toBeGreaterThan(0);
    expect(`${text?.stdout}${text?.stderr}${json?.stdout}${json?.stderr}`).not.toContain(TEST_KEY);

    const done = await concierge(['payouts', 'status', 'cli-run', '--json']);
    expect(done.code, done.stderr).toBe(0);
    const status = JSON.parse(done.stdout) as {
      state: string;
      rows: Record<string, number>;
      queue: Record<string, unknown>;
    };
    expect(status).toMatchObject({
      state: 'finished',
      rows: { settled: 5, total: 5 },
      queue: { state: 'completed', retries: 0, worker: null, failed_claims: 0 },
    });
    const text2 = await concierge(['payouts', 'status', 'cli-run']);
    expect(text2.stdout).toMatch(/queue: done \(\d+ claims? by workers, 0 failed or lost\)/);

    // Every row once at the service: the accepted outputs are the file's five.
    const { client } = sandbox.concierge;
    const requests = (await allItems((page) => client.requests.list({ page }), 500))
      ._unsafeUnwrap()
      .filter((r) => (r.externalId ?? '').startsWith('cli-run/') && r.quoteAcceptedAt !== null);
    const accepted: OutputView[] = [];
    for (const r of requests)
      accepted.push(
        ...(await allItems((page) => client.outputs.list({ requestId: r.id, page }), 500))._unsafeUnwrap(),
      );
    expect(accepted).toHaveLength(5);
    expect(accepted.every((o) => o.state === 'settled')).toBe(true);
  }, 240_000);
});
