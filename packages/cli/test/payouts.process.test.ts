import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { allItems, type OutputView, type RequestView } from '@concierge-ts/application';
import { parseMoney, TEST_IDENTIFIERS } from '@concierge-ts/domain';
import { type Listening, listenOnLoopback } from '@concierge-ts/sandbox-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { raise, seededFile, startProvider, TEST_KEY, testSandbox } from './fast-sandbox.js';

/**
 * The built `concierge` command (`node packages/cli/dist/main.js`, after `tsc -b`) in real
 * child processes, against the sandbox server on loopback and a PGlite journal in a
 * directory. `pnpm test` runs these after the build. Each command is a process that loads
 * Node and opens the journal: seconds each on a busy machine, hence the long time limits.
 */
const LIMIT = 180_000;

const BIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));

let sandbox: ReturnType<typeof testSandbox>;
let server: Listening;
let stopProvider: () => Promise<void>;
let dir: string;

beforeAll(async () => {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: build first (node_modules/.bin/tsc -b)`);
  sandbox = testSandbox();
  stopProvider = startProvider(sandbox.concierge);
  server = await listenOnLoopback(sandbox.app);
  dir = await mkdtemp(join(tmpdir(), 'concierge-cli-process-'));
  // The journal directory is created by the first command, which takes the longest (PGlite
  // sets up its database): once here rather than inside a test's time.
  const first = await concierge(['payouts', 'list']);
  expect(first.stdout).toContain('no runs yet');
}, 180_000);

afterAll(async () => {
  await stopProvider();
  sandbox.app.close();
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

interface Ended {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the command; `stopAfter` sends a signal once stdout has that many lines. */
const concierge = (
  args: readonly string[],
  stopAfter?: { readonly lines: number; readonly signal: NodeJS.Signals },
): Promise<Ended> =>
  new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: dir,
      env: {
        PATH: process.env['PATH'] ?? '',
        CONCIERGE_API_URL: server.url,
        CONCIERGE_API_KEY: TEST_KEY,
        CONCIERGE_DB: join(dir, 'journal'),
        CONCIERGE_RATE_LIMIT: '0',
        CONCIERGE_POLL_INTERVAL: '0.05',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let sent = false;
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (stopAfter && !sent && stdout.split('\n').length > stopAfter.lines)
        sent = child.kill(stopAfter.signal);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });

const payer = () => sandbox.concierge.seeded?.payerId ?? raise('a seeded payer');
const runArgs = (file: string, runId: string) => [
  'payouts',
  'run',
  file,
  '--origin',
  'ar_ars',
  '--payer',
  payer(),
  '--run-id',
  runId,
];

/** What the service holds for a run: its requests, and the outputs of those it accepted. */
const serviceOf = async (runId: string) => {
  const { client } = sandbox.concierge;
  const requests: RequestView[] = [];
  for (const r of (await allItems((page) => client.requests.list({ page }), 500))._unsafeUnwrap())
    if ((r.externalId ?? '').startsWith(`${runId}/`)) requests.push(r);
  const accepted: OutputView[] = [];
  for (const r of requests.filter((r) => r.quoteAcceptedAt !== null))
    accepted.push(
      ...(await allItems((page) => client.outputs.list({ requestId: r.id, page }), 500))._unsafeUnwrap(),
    );
  return { requests, accepted };
};

const allRequestCount = async () =>
  (await sandbox.concierge.client.requests.list({ page: { size: 500 } }))._unsafeUnwrap().items.length;

const parseCsv = (text: string) => {
  const [header, ...lines] = text.trimEnd().split('\r\n');
  const columns = (header ?? '').split(',');
  return lines.map((line) => Object.fromEntries(line.split(',').map((cell, i) => [columns[i], cell])));
};

describe('the concierge command in a real process', () => {
  it(
    'pays every row of a good file; status --json and the report agree with the service',
    async () => {
      const seeded = sandbox.concierge.seeded ?? raise('seeded');
      const ar = TEST_IDENTIFIERS.settles.AR;
      const file = `${seededFile(sandbox.concierge, [
        ['p1', 'cl_clp', '12000'],
        ['p2', 'mx_mxn', '950.25'],
      ])}`;
      // One payee the run creates (email, name and an instruction body of SPEC 7.1).
      const lines = file.trimEnd().split('\n');
      const header = `${lines[0]},email,name,payment_method,cbu,cuit`;
      const withNew = [
        header,
        ...lines.slice(1).map((l) => `${l},,,,,`),
        `p3,ar_ars,7000,,,new.payee@example.com,Nueva Persona,domestic_bank,${ar.cbu},${ar.cuit}`,
      ];
      await writeFile(join(dir, 'good.csv'), `${withNew.join('\n')}\n`);

      const ran = await concierge([...runArgs('good.csv', 'good'), '--yes']);
      expect(ran.code, ran.stderr).toBe(0);
      expect(ran.stdout.split('\n')[0]).toBe('run good');
      expect(ran.stdout).toContain('run good finished: every row is final (settled 3).');

      const status = await concierge(['payouts', 'status', 'good', '--json']);
      expect(status.code).toBe(0);
      const json = JSON.parse(status.stdout);
      const { requests, accepted } = await serviceOf('good');
      expect(json).toEqual({
        run_id: 'good',
        state: 'finished',
        rows: {
          pending: 0,
          committed: 0,
          settled: 3,
          rejected: 0,
          returned: 0,
          cancelled: 0,
          failed: 0,
          total: 3,
        },
        requests: requests.map((r) => ({ external_id: r.externalId, id: r.id, state: r.state })),
      });

      const report = await concierge(['payouts', 'report', 'good']);
      expect(report.code).toBe(0);
      const rows = parseCsv(report.stdout);
      expect(rows.map((r) => r['reference'])).toEqual(['p1', 'p2', 'p3']);
      for (const row of rows) {
        const output = accepted.find((o) => o.id === row['output_id']) ?? raise(`output ${row['output_id']}`);
        expect([row['request_id'], row['state'], row['port_code']]).toEqual([
          output.requestId,
          output.state,
          output.portCode,
        ]);
      }
      // The new payee was created once, with the instruction the file gave.
      const created = accepted.find((o) => o.portCode === 'ar_ars') ?? raise('the ar_ars output');
      expect(created.payeeId).not.toBe(seeded.payerId);
      const instruction = (
        await sandbox.concierge.client.withdrawalInstructions.get(created.withdrawalInstructionId)
      )._unsafeUnwrap();
      expect(instruction.body).toMatchObject({ cbu: ar.cbu, cuit: ar.cuit, name: 'Nueva Persona' });

      // The same run id with another file is refused, and nothing changes.
      const before = { status: status.stdout, requests: await allRequestCount() };
      await writeFile(join(dir, 'other.csv'), seededFile(sandbox.concierge, [['p1', 'cl_clp', '99999']]));
      const again = await concierge([...runArgs('other.csv', 'good'), '--yes']);
      expect(again.code).toBe(1);
      expect(again.stderr).toMatch(
        /run good exists for another file \(good\.csv, sha256 [0-9a-f]{64}\); nothing changed/,
      );
      expect((await concierge(['payouts', 'status', 'good', '--json'])).stdout).toBe(before.status);
      expect(await allRequestCount()).toBe(before.requests);
    },
    LIMIT,
  );

  it(
    'refuses a bad file whole: exit 1, every bad line named, nothing sent, no run',
    async () => {
      const before = await allRequestCount();
      const good = seededFile(sandbox.concierge, [
        ['b1', 'cl_clp', '1000'],
        ['b2', 'cl_clp', '1000.5'],
        ['b3', 'us_usd', '10'],
        ['b1', 'mx_mxn', '10'],
      ]);
      await writeFile(join(dir, 'bad.csv'), good.replace('b3,us_usd,10,', 'b3,us_usd,,'));
      const ran = await concierge([...runArgs('bad.csv', 'bad'), '--yes']);
      expect(ran.code).toBe(1);
      expect(ran.stderr).toContain('bad.csv is refused, nothing was sent: 3 problems');
      expect(ran.stderr).toMatch(/line 3, amount: "1000.5" is not a valid CLP amount/);
      expect(ran.stderr).toContain('line 4, amount: a row needs an amount or a budget');
      expect(ran.stderr).toContain('line 5, reference: the reference "b1" is already on line 2');
      expect(await allRequestCount()).toBe(before);
      // Nothing was written either: the run is unknown.
      const status = await concierge(['payouts', 'status', 'bad', '--json']);
      expect(status.code).toBe(1);
      expect(status.stderr).toContain('no run bad');
    },
    LIMIT,
  );

  it(
    'stopped by SIGINT and killed by SIGKILL at random moments, then resumed: every row paid exactly once',
    async () => {
      const rows: [string, string, string][] = Array.from({ length: 12 }, (_, i) => [
        `k${i + 1}`,
        ['cl_clp', 'mx_mxn', 'uy_uyu'][i % 3] ?? 'cl_clp',
        // Identical rows on purpose: k4 pays what k1 pays, k5 what k2 pays, k6 what k3 pays.
        String(1000 + (i % 6 < 3 ? i % 6 : (i % 6) - 3) + (i >= 6 ? 10 : 0)),
      ]);
      await writeFile(join(dir, 'kill.csv'), seededFile(sandbox.concierge, rows));
      const args = [...runArgs('kill.csv', 'killed'), '--chunk-size', '4', '--yes'];

      // A clean stop first: SIGINT after the first steps; it says how to go on.
      const interrupted = await concierge(args, { lines: 4, signal: 'SIGINT' });
      expect(interrupted.code).toBe(1);
      expect(interrupted.stderr).toContain('Interrupted: run killed stopped after its current call.');
      expect(interrupted.stderr).toContain('go on with: concierge payouts resume killed');

      // Then killed outright, at random moments, by resume or run again with the same file.
      const kills: number[] = [];
      for (let life = 0; life < 2; life += 1) {
        const lines = 2 + Math.floor(Math.random() * 8);
        const ended = await concierge(life % 2 === 0 ? ['payouts', 'resume', 'killed', '--yes'] : args, {
          lines,
          signal: 'SIGKILL',
        });
        if (ended.signal === 'SIGKILL') kills.push(lines);
        else expect(ended.code, ended.stderr).toBe(0);
      }
      const last = await concierge(['payouts', 'resume', 'killed']);
      expect(last.code, `${last.stdout}\n${last.stderr}`).toBe(0);
      console.log(`payouts run: SIGINT after 4 lines, then SIGKILL after ${kills.join(', ') || 'no'} lines`);

      // Exactly once: the accepted outputs are the rows, as a multiset; identical rows both paid.
      const { accepted } = await serviceOf('killed');
      const seeded = sandbox.concierge.seeded ?? raise('seeded');
      const expected = rows
        .map(([, port, amount]) => {
          const payee = seeded.payees.find((p) => p.portCode === port) ?? raise(port);
          const minor = parseMoney(amount, port.slice(3))._unsafeUnwrap().amount;
          return `${payee.userId}|${port}|${minor}`;
        })
        .sort();
      expect(accepted.map((o) => `${o.payeeId}|${o.portCode}|${o.amount?.amount}`).sort()).toEqual(expected);
      expect(new Set(expected).size).toBe(6);
      expect(accepted.every((o) => o.state === 'settled')).toBe(true);

      const report = parseCsv((await concierge(['payouts', 'report', 'killed'])).stdout);
      expect(report.map((r) => r['reference'])).toEqual(rows.map(([reference]) => reference));
      expect(new Set(report.map((r) => r['output_id'])).size).toBe(12);
      expect(
        report.every((r) => accepted.some((o) => o.id === r['output_id'] && o.state === r['state'])),
      ).toBe(true);
    },
    LIMIT,
  );
});
