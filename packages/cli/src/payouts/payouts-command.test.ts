import { readFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInMemoryConcierge, createInMemoryJournal } from '@concierge-ts/adapter-memory';
import type { ClosableJournal } from '@concierge-ts/adapter-postgres';
import { runStatus } from '@concierge-ts/application';
import { parsePortCode } from '@concierge-ts/domain';
import { createSandboxApp, inProcessFetch } from '@concierge-ts/sandbox-server';
import { okAsync } from 'neverthrow';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runConcierge } from '../program.js';
import { parsePayoutFile } from './payout-file.js';
import type { CliIo } from './payouts-command.js';
import { SETTINGS } from './settings.js';

/**
 * The command in this process: its arguments, variables and exit statuses, against an
 * in-process sandbox (the HTTP client's fetch goes to the app) and an in-memory journal.
 * The real process, socket and embedded journal are tested in test/payouts.process.test.ts.
 */

const KEY = 'sk_cli_test_key';

const setup = async () => {
  const concierge = createInMemoryConcierge({ masterApiKey: KEY });
  const app = createSandboxApp(concierge, { rateLimit: 0, webhooks: false });
  const journal = createInMemoryJournal();
  const dir = await mkdtemp(join(tmpdir(), 'concierge-cli-'));
  const out: string[] = [];
  const err: string[] = [];
  const journals: string[] = [];
  const io = (env: Record<string, string> = {}): CliIo => ({
    out: (line) => out.push(line),
    err: (line) => err.push(line),
    write: (text) => out.push(text),
    env: { CONCIERGE_API_KEY: KEY, ...env },
    cwd: dir,
    stdoutIsTTY: false,
    fetch: inProcessFetch(app),
    openJournal: (location) => {
      journals.push(location);
      return okAsync<ClosableJournal>({ ...bind(journal), close: async () => {} });
    },
  });
  const seeded = concierge.seeded ?? raise('seeded sandbox expected');
  return { concierge, app, journal, dir, out, err, io, journals, seeded };
};

const bind = <T extends object>(target: T): T => {
  const bound: Record<string, unknown> = {};
  for (const key of Object.getOwnPropertyNames(Object.getPrototypeOf(target)))
    if (key !== 'constructor')
      bound[key] = (target as Record<string, (...a: unknown[]) => unknown>)[key]?.bind(target);
  return bound as T;
};

const raise = (message: string): never => {
  throw new Error(message);
};

let world: Awaited<ReturnType<typeof setup>>;
beforeEach(async () => {
  world = await setup();
});
afterEach(() => world.app.close());

const run = (args: string[], env?: Record<string, string>) => runConcierge(args, world.io(env));

describe('concierge payouts: help and usage', () => {
  it('lists the subcommands, and each has its own help naming its variables', async () => {
    expect(await run(['payouts', '--help'])).toBe(0);
    const help = world.out.join('');
    for (const sub of ['run', 'resume', 'status', 'report', 'list', 'cancel', 'submit', 'worker'])
      expect(help).toMatch(new RegExp(`\\n  ${sub}\\b`));
    world.out.length = 0;
    expect(await run(['payouts', 'run', '--help'])).toBe(0);
    const runHelp = world.out.join('');
    for (const text of [
      '--origin',
      'CONCIERGE_API_URL',
      'default http://127.0.0.1:4100',
      'CONCIERGE_RATE_LIMIT',
      '--detach',
      '--yes',
      'CONCIERGE_DB',
    ])
      expect(runHelp).toContain(text);
    world.out.length = 0;
    expect(await run(['payouts', 'resume', '--help'])).toBe(0);
    expect(world.out.join('')).not.toContain('--origin');
  });

  it('exits 2 on a usage error, naming the flag or the variable', async () => {
    expect(await run(['payouts'])).toBe(2);
    expect(await run(['payouts', 'run', 'payroll.csv', '--payer', '2'])).toBe(2);
    expect(world.err.join('\n')).toContain('--origin (or CONCIERGE_ORIGIN) is required');
    world.err.length = 0;
    expect(
      await run(['payouts', 'run', 'p.csv', '--origin', 'ar_ars', '--payer', '2', '--rate-limit', 'fast']),
    ).toBe(2);
    expect(world.err.join('\n')).toContain('--rate-limit "fast": expected requests per second');
    world.err.length = 0;
    expect(
      await run(['payouts', 'run', 'p.csv', '--origin', 'ar_ars', '--payer', '2'], {
        CONCIERGE_CHUNK_SIZE: '0',
      }),
    ).toBe(2);
    expect(world.err.join('\n')).toContain('CONCIERGE_CHUNK_SIZE="0": expected rows per request');
    world.err.length = 0;
    expect(
      await run(['payouts', 'run', 'p.csv', '--origin', 'arars', '--payer', '2', '--max-total', '1']),
    ).toBe(2);
    expect(world.err.join('\n')).toContain('--origin "arars"');
    world.err.length = 0;
    expect(
      await run(['payouts', 'run', 'p.csv', '--origin', 'cl_clp', '--payer', '2', '--max-total', '10.5']),
    ).toBe(2);
    expect(world.err.join('\n')).toContain('CLP allows 0 decimals');
    expect(
      await run(['payouts', 'run', 'p.csv', '--origin', 'ar_ars', '--payer', '2'], {
        CONCIERGE_YES: 'maybe',
      }),
    ).toBe(2);
    expect(await run(['payouts', 'resume', 'r1', '--origin', 'ar_ars'])).toBe(2);
    expect(await run(['payouts', 'run', 'missing.csv', '--origin', 'ar_ars', '--payer', '2'])).toBe(2);
    expect(world.err.join('\n')).toContain('cannot read missing.csv: ENOENT');
    // Nothing was sent for any of them.
    expect((await world.concierge.client.requests.list())._unsafeUnwrap().items).toEqual([]);
  });

  it('refuses submit and worker without a PostgreSQL --db, a worker without a key, and bad worker settings, before connecting', async () => {
    expect(await run(['payouts', 'submit', 'p.csv', '--origin', 'ar_ars', '--payer', '2'])).toBe(2);
    expect(world.err.join('\n')).toContain('payouts submit needs a PostgreSQL --db');
    expect(await run(['payouts', 'worker'])).toBe(2);
    expect(world.err.join('\n')).toContain('payouts worker needs a PostgreSQL --db');
    world.err.length = 0;
    // db.example is never reached: every problem is found first.
    const server = ['--db', 'postgres://db.example/concierge'];
    expect(await run(['payouts', 'worker', ...server], { CONCIERGE_API_KEY: '' })).toBe(2);
    expect(world.err.join('\n')).toContain('--key (or CONCIERGE_API_KEY) is required');
    world.err.length = 0;
    expect(
      await run([
        'payouts',
        'worker',
        ...server,
        '--key',
        'ok',
        '--key',
        'has space',
        '--claim-timeout',
        '2',
      ]),
    ).toBe(2);
    expect(world.err.join('\n')).toContain('--key "has space": expected printable ASCII without spaces');
    expect(world.err.join('\n')).toContain(
      '--claim-timeout "2": expected seconds: a whole number from 3 to 3600',
    );
    world.err.length = 0;
    expect(await run(['payouts', 'worker', ...server], { CONCIERGE_API_KEY: 'k1,k 2' })).toBe(2);
    expect(world.err.join('\n')).toContain('CONCIERGE_API_KEY="k 2"');
  });
});

describe('concierge payouts: the file and the journal', () => {
  const header = 'reference,port_code,amount,budget,payee_id,withdrawal_instruction_id';

  it('refuses a bad file whole, naming every bad line, and sends nothing', async () => {
    const payee = world.seeded.payees.find((p) => p.portCode === 'cl_clp') ?? raise('payee');
    const rows = [
      `a,cl_clp,1000,,${payee.userId},${payee.withdrawalInstructionId}`,
      `b,cl_clp,10.5,,${payee.userId},${payee.withdrawalInstructionId}`,
      `c,zz_zzz,1,,${payee.userId},${payee.withdrawalInstructionId}`,
      `a,cl_clp,5,,${payee.userId},${payee.withdrawalInstructionId}`,
    ];
    await writeFile(join(world.dir, 'bad.csv'), [header, ...rows].join('\n'));
    const status = await run([
      'payouts',
      'run',
      'bad.csv',
      '--origin',
      'ar_ars',
      '--payer',
      world.seeded.payerId,
      '--run-id',
      'r1',
    ]);
    expect(status).toBe(1);
    const said = world.err.join('\n');
    expect(said).toContain('bad.csv is refused, nothing was sent: 3 problems');
    expect(said).toContain('line 3, amount:');
    expect(said).toContain('line 4, port_code:');
    expect(said).toContain('line 5, reference: the reference "a" is already on line 2');
    expect(world.out[0]).toBe('run r1');
    expect((await world.concierge.client.requests.list())._unsafeUnwrap().items).toEqual([]);
    expect((await runStatus(world.journal, 'r1')).isErr()).toBe(true);
  });

  it('status, report and resume of an unknown run exit non-zero', async () => {
    expect(await run(['payouts', 'status', 'nope'])).toBe(1);
    expect(world.err.join('\n')).toContain('no run nope');
    expect(await run(['payouts', 'report', 'nope'])).toBe(1);
    expect(await run(['payouts', 'resume', 'nope'])).toBe(1);
    expect(await run(['payouts', 'list'])).toBe(0);
    expect(world.out).toContain('no runs yet');
  });

  it('opens the journal at --db, else CONCIERGE_DB, else .concierge, relative to the working directory', async () => {
    await run(['payouts', 'list']);
    await run(['payouts', 'list'], { CONCIERGE_DB: 'elsewhere' });
    await run(['payouts', 'list', '--db', '/var/runs'], { CONCIERGE_DB: 'elsewhere' });
    expect(world.journals).toEqual([
      join(world.dir, '.concierge'),
      join(world.dir, 'elsewhere'),
      '/var/runs',
    ]);
  });
});

describe('the guide (docs/payouts.md)', () => {
  const guide = readFileSync(new URL('../../../../docs/payouts.md', import.meta.url), 'utf8');

  it('names every option and its variable', () => {
    for (const spec of Object.values(SETTINGS)) {
      expect(guide).toContain(`\`${spec.flags.split(' ')[0]}`);
      expect(guide).toContain(`\`${spec.env}`);
    }
    expect(guide).toContain('`CONCIERGE_POLL_INTERVAL`');
  });

  it('shows a file the command reads', () => {
    const csv = /```csv\n([\s\S]*?)```/.exec(guide)?.[1] ?? '';
    const rows = parsePayoutFile(csv, { origin: parsePortCode('ar_ars')._unsafeUnwrap() })._unsafeUnwrap();
    expect(rows.map((r) => r.reference)).toEqual(['inv-1', 'inv-2', 'inv-3']);
  });
});
