import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInMemoryJournal } from '@concierge-ts/adapter-memory';
import type { ClosableJournal } from '@concierge-ts/adapter-postgres';
import { allItems, type OutputView, type RequestView, runStatus } from '@concierge-ts/application';
import { moneyText } from '@concierge-ts/domain';
import { inProcessFetch } from '@concierge-ts/sandbox-server';
import { okAsync } from 'neverthrow';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { seededFile, startProvider, TEST_KEY, testSandbox } from '../../test/fast-sandbox.js';
import { runConcierge } from '../program.js';
import type { CliIo } from './payouts-command.js';
import { REPORT_COLUMNS } from './views.js';

/**
 * Whole runs of `concierge payouts` in this process, against a sandbox whose clock runs
 * an hour a second (its HTTP app reached through the client's fetch) and an in-memory
 * journal kept between invocations, as a directory would be.
 */

const setup = async () => {
  const { concierge, app } = testSandbox();
  const stopProvider = startProvider(concierge);
  const journal = Object.assign(createInMemoryJournal(), { close: async () => {} }) as ClosableJournal;
  const dir = await mkdtemp(join(tmpdir(), 'concierge-cli-run-'));
  const out: string[] = [];
  const err: string[] = [];
  let interrupt: (() => void) | undefined;
  const io = (extra: Partial<CliIo> = {}): CliIo => ({
    out: (line) => out.push(line),
    err: (line) => err.push(line),
    write: (text) => out.push(text),
    env: { CONCIERGE_API_KEY: TEST_KEY, CONCIERGE_RATE_LIMIT: '0' },
    cwd: dir,
    stdoutIsTTY: false,
    fetch: inProcessFetch(app),
    openJournal: () => okAsync(journal),
    tuning: { quoteWaitMs: 20, pollIntervalMs: 50 },
    onInterrupt: (handler) => {
      interrupt = handler;
      return () => {
        interrupt = undefined;
      };
    },
    ...extra,
  });
  const seeded = concierge.seeded;
  if (!seeded) throw new Error('a seeded sandbox');
  return { concierge, app, stopProvider, journal, dir, out, err, io, seeded, interrupt: () => interrupt?.() };
};

let w: Awaited<ReturnType<typeof setup>>;
beforeEach(async () => {
  w = await setup();
});
afterEach(async () => {
  await w.stopProvider();
  w.app.close();
});

const payouts = (args: string[], extra?: Partial<CliIo>) => runConcierge(['payouts', ...args], w.io(extra));

const runArgs = (file: string, runId: string) => [
  'run',
  file,
  '--origin',
  'ar_ars',
  '--payer',
  w.seeded.payerId,
  '--run-id',
  runId,
];

const service = async () => {
  const requests: RequestView[] = (
    await allItems((page) => w.concierge.client.requests.list({ page }), 100)
  )._unsafeUnwrap();
  const outputs: OutputView[] = (
    await allItems((page) => w.concierge.client.outputs.list({ page }), 500)
  )._unsafeUnwrap();
  return { requests, outputs };
};

const ROWS = [
  ['r1', 'cl_clp', '15000'],
  ['r2', 'mx_mxn', '1200.50'],
  ['r3', 'uy_uyu', '3000'],
  ['r4', 'cl_clp', '20000'],
  ['r5', 'ar_ars', '5000.25'],
] as const;
const AMOUNTS = ['15000', '1200.50', '3000.00', '20000', '5000.25'];

describe('concierge payouts run, in this process', () => {
  it('pays every row of a good file; status --json and the report agree with the service', async () => {
    await writeFile(join(w.dir, 'pay.csv'), seededFile(w.concierge, ROWS));
    expect(await payouts([...runArgs('pay.csv', 'june'), '--chunk-size', '2'])).toBe(0);
    expect(w.out[0]).toBe('run june');
    expect(w.out.at(-1)).toMatch(/^run june finished: every row is final \(settled 5\)/);

    const { requests, outputs } = await service();
    // Three chunks of at most two rows, one request each, named after the run.
    expect(requests.map((r) => r.externalId).sort()).toEqual(['june/1', 'june/2', 'june/3']);
    expect(requests.every((r) => r.state === 'finished')).toBe(true);
    expect(outputs).toHaveLength(5);

    w.out.length = 0;
    expect(await payouts(['status', 'june', '--json'])).toBe(0);
    const status = JSON.parse(w.out.join(''));
    expect(Object.keys(status)).toEqual(['run_id', 'state', 'rows', 'requests']);
    expect(status).toMatchObject({
      run_id: 'june',
      state: 'finished',
      rows: {
        pending: 0,
        committed: 0,
        settled: 5,
        rejected: 0,
        returned: 0,
        cancelled: 0,
        failed: 0,
        total: 5,
      },
    });
    expect(status.requests).toEqual(
      [...requests]
        .sort((a, b) => (a.externalId ?? '').localeCompare(b.externalId ?? ''))
        .map((r) => ({ external_id: r.externalId, id: r.id, state: r.state })),
    );

    w.out.length = 0;
    expect(await payouts(['report', 'june', '--out', 'june.csv'])).toBe(0);
    const [header, ...lines] = (await readFile(join(w.dir, 'june.csv'), 'utf8')).trimEnd().split('\r\n');
    expect(header).toBe(REPORT_COLUMNS.join(','));
    expect(lines).toHaveLength(5);
    for (const [i, line] of lines.entries()) {
      const cells = line.split(',');
      const cell = (column: (typeof REPORT_COLUMNS)[number]) => cells[REPORT_COLUMNS.indexOf(column)];
      const output = outputs.find((o) => o.id === cell('output_id'));
      expect(cell('reference')).toBe(ROWS[i]?.[0]);
      expect(output?.requestId).toBe(cell('request_id'));
      expect(output?.state).toBe(cell('state'));
      // The amount as the service holds it, with its currency's decimals (3000 UYU is 3000.00).
      expect(cell('amount')).toBe(output?.amount ? moneyText(output.amount) : 'none');
      expect(cell('amount')).toBe(AMOUNTS[i]);
    }
  });

  it('refuses the same run id with another file and changes nothing; with the same file it goes on', async () => {
    await writeFile(join(w.dir, 'a.csv'), seededFile(w.concierge, ROWS.slice(0, 2)));
    await writeFile(join(w.dir, 'b.csv'), seededFile(w.concierge, ROWS.slice(0, 3)));
    expect(await payouts(runArgs('a.csv', 'once'))).toBe(0);
    const before = (await runStatus(w.journal, 'once'))._unsafeUnwrap();
    const requests = (await service()).requests.length;

    expect(await payouts(runArgs('b.csv', 'once'))).toBe(1);
    expect(w.err.join('\n')).toMatch(/run once exists for another file .*nothing changed/);
    expect((await runStatus(w.journal, 'once'))._unsafeUnwrap()).toEqual(before);
    expect((await service()).requests).toHaveLength(requests);

    w.out.length = 0;
    expect(await payouts(runArgs('a.csv', 'once'))).toBe(0);
    expect(w.out).toContain('run once is already finished for this file: going on with it.');
    expect((await service()).outputs).toHaveLength(2);
  });

  it('pays identical rows twice when their references differ', async () => {
    await writeFile(
      join(w.dir, 'twins.csv'),
      seededFile(w.concierge, [
        ['bonus-1', 'cl_clp', '10000'],
        ['bonus-2', 'cl_clp', '10000'],
      ]),
    );
    expect(await payouts(runArgs('twins.csv', 'twins'))).toBe(0);
    const { outputs } = await service();
    expect(outputs.map((o) => [o.payeeId, o.portCode, o.amount?.amount, o.state])).toEqual([
      [outputs[0]?.payeeId, 'cl_clp', 10000n, 'settled'],
      [outputs[0]?.payeeId, 'cl_clp', 10000n, 'settled'],
    ]);
  });

  it('returns once every chunk is accepted with --detach; resume follows the rows to the end', async () => {
    await writeFile(join(w.dir, 'pay.csv'), seededFile(w.concierge, ROWS));
    expect(await payouts([...runArgs('pay.csv', 'det'), '--detach', '--chunk-size', '3'])).toBe(0);
    const committed = (await runStatus(w.journal, 'det'))._unsafeUnwrap();
    expect(committed.state).toBe('committed');
    expect(
      committed.requests
        .map((r) => r.state)
        .every((s) => ['quote_accepted', 'working', 'finished'].includes(s)),
    ).toBe(true);
    expect(w.out.join('\n')).toContain('Follow it to the end with: concierge payouts resume det');

    expect(await payouts(['resume', 'det'])).toBe(0);
    expect((await runStatus(w.journal, 'det'))._unsafeUnwrap().rows.settled).toBe(5);
    expect((await service()).outputs).toHaveLength(5);
  });

  it('stops after the current call on an interrupt, says how to resume, and resume pays every row once', async () => {
    await writeFile(join(w.dir, 'pay.csv'), seededFile(w.concierge, ROWS));
    let steps = 0;
    const status = await payouts([...runArgs('pay.csv', 'int'), '--chunk-size', '2', '--db', 'runs'], {
      out: (line) => {
        w.out.push(line);
        // The third step line: the run is under way.
        if (line.startsWith('draft') || line.startsWith('add') || line.startsWith('ensure')) steps += 1;
        if (steps === 3) w.interrupt();
      },
    });
    expect(status).toBe(1);
    const said = w.err.join('\n');
    expect(said).toContain('Stopping after the current call');
    expect(said).toContain('Interrupted: run int stopped after its current call.');
    expect(said).toContain('go on with: concierge payouts resume int --db runs');
    expect((await runStatus(w.journal, 'int'))._unsafeUnwrap().rows.settled).toBeLessThan(5);

    expect(await payouts(['resume', 'int'])).toBe(0);
    const { outputs } = await service();
    expect(outputs).toHaveLength(5);
    expect(outputs.every((o) => o.state === 'settled')).toBe(true);
  });

  it('prints one JSON object per step with --json', async () => {
    await writeFile(join(w.dir, 'pay.csv'), seededFile(w.concierge, ROWS.slice(0, 2)));
    expect(await payouts([...runArgs('pay.csv', 'js'), '--json'])).toBe(0);
    const [first, ...steps] = w.out.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
    expect(first).toEqual({ run_id: 'js' });
    expect(steps.length).toBeGreaterThan(3);
    for (const step of steps) {
      expect(step).toMatchObject({ run_id: 'js', step: expect.any(String), rows: { total: 2 } });
      expect(typeof step.requests_per_second).toBe('number');
    }
    expect(steps.at(-1)).toMatchObject({ state: 'finished', rows: { settled: 2 } });
  });

  it('asks before anything is sent when it can, and sends nothing on a no', async () => {
    await writeFile(join(w.dir, 'pay.csv'), seededFile(w.concierge, ROWS.slice(0, 2)));
    const asked: string[] = [];
    const confirm = async (question: string) => {
      asked.push(question);
      return false;
    };
    expect(await payouts(runArgs('pay.csv', 'ask'), { confirm })).toBe(1);
    expect(asked).toHaveLength(1);
    expect(w.err.join('\n')).toContain(
      'Nothing was sent. The run is kept; start it later with: concierge payouts resume ask',
    );
    expect((await service()).requests).toHaveLength(0);
    // --yes does not ask.
    expect(await payouts(['resume', 'ask', '--yes'], { confirm })).toBe(0);
    expect(asked).toHaveLength(1);
  });

  it('cancels a run that has sent nothing', async () => {
    await writeFile(join(w.dir, 'pay.csv'), seededFile(w.concierge, ROWS.slice(0, 2)));
    expect(await payouts(runArgs('pay.csv', 'cx'), { confirm: async () => false })).toBe(1);
    expect(await payouts(['cancel', 'cx', '--json'])).toBe(0);
    expect(JSON.parse(w.out.at(-1) ?? '{}')).toMatchObject({ run_id: 'cx', state: 'cancelled' });
    expect(await payouts(['resume', 'cx'])).toBe(1);
  });
});
