import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInMemoryConcierge } from '@concierge-ts/adapter-memory';
import {
  bodyFor,
  checkGuarantee,
  describeJournalContract,
  FaultyNetwork,
  MAGIC_ACCOUNTS,
  runHostile,
  sampleRows,
  sampleRun,
  sandboxPayoutContext,
} from '@concierge-ts/adapter-memory/testing';
import { driveRun, type PayoutRowInput, planRun, runStatus } from '@concierge-ts/application';
import { PGlite } from '@electric-sql/pglite';
import { afterAll, describe, expect, it } from 'vitest';
import { migrate, readMigrations } from './migrations.js';
import { openJournal } from './open-journal.js';
import { type SqlDatabase, sqlJournal } from './sql-journal.js';

const tempDir = () => mkdtempSync(join(tmpdir(), 'concierge-journal-'));

// One embedded database for the contract (starting PGlite takes seconds), emptied after each test.
let shared: Promise<PGlite> | undefined;
const sharedDatabase = () => {
  shared ??= (async () => {
    const pg = await PGlite.create();
    const db = { query: pg.query.bind(pg), transaction: pg.transaction.bind(pg) } as unknown as SqlDatabase;
    await migrate(db, await readMigrations());
    return pg;
  })();
  return shared;
};
afterAll(async () => {
  await (await shared)?.close();
});

describeJournalContract('PGlite', async () => {
  const pg = await sharedDatabase();
  const db = { query: pg.query.bind(pg), transaction: pg.transaction.bind(pg) } as unknown as SqlDatabase;
  return {
    journal: sqlJournal(db),
    dispose: async () => {
      await pg.query('TRUNCATE payout_runs CASCADE');
    },
  };
});

describe('the PGlite journal', () => {
  it('creates a missing directory, keeps runs across a close and a reopen, and migrates once', async () => {
    const dir = join(tempDir(), 'nested', '.concierge');
    const first = (await openJournal(dir))._unsafeUnwrap();
    (await first.createRun(sampleRun('kept'), sampleRows('kept')))._unsafeUnwrap();
    await first.close();
    const second = (await openJournal(dir))._unsafeUnwrap();
    const snapshot = (await second.loadRun('kept'))._unsafeUnwrap();
    expect(snapshot?.rows).toEqual(sampleRows('kept'));
    await second.close();
  });

  it('refuses an empty location and a postgres:// URL that is no URL, naming it', async () => {
    expect((await openJournal('  '))._unsafeUnwrapErr().code).toBe('journal');
    const refused = (await openJournal('postgres://[nope'))._unsafeUnwrapErr();
    expect(refused).toMatchObject({ code: 'journal' });
    expect(refused.message).toContain('not a postgres:// URL');
  });

  it('a run on PGlite through faults and kills pays every row exactly once, resuming from the database', async () => {
    const dir = tempDir();
    const journal = (await openJournal(dir))._unsafeUnwrap();
    const concierge = createInMemoryConcierge();
    const seeded = concierge.seeded;
    if (!seeded) throw new Error('no seed');
    const payee = seeded.payees.find((p) => p.portCode === 'cl_clp');
    const rows: PayoutRowInput[] = Array.from({ length: 30 }, (_, i) =>
      i % 3 === 0
        ? {
            line: i + 2,
            reference: `r${i}`,
            portCode: 'mx_mxn',
            amount: '1200.50',
            email: `p${i % 4}@example.com`,
            name: 'P',
            body: bodyFor('mx_mxn', MAGIC_ACCOUNTS.settles),
          }
        : {
            line: i + 2,
            reference: `r${i}`,
            portCode: 'cl_clp',
            amount: String(20_000 + (i % 2) * 1000),
            payeeId: payee?.userId ?? '',
            withdrawalInstructionId: payee?.withdrawalInstructionId ?? '',
          },
    );
    (
      await planRun(journal, {
        runId: 'pg-run',
        originPort: 'ar_ars',
        payerId: seeded.payerId,
        chunkSize: 8,
        source: { name: 'payroll.csv', digest: 'd1' },
        rows,
      })
    )._unsafeUnwrap();
    let n = 0;
    const network = new FaultyNetwork((_, call) => {
      n += 1;
      if (!call.effect) return n % 11 === 0 ? 'server_error' : 'pass';
      return (
        (
          [
            'pass',
            'pass',
            'lose_answer',
            'pass',
            'late',
            'pass',
            'crash_after',
            'pass',
            'reset_before',
          ] as const
        )[n % 9] ?? 'pass'
      );
    });
    const outcome = await runHostile({
      concierge,
      journal,
      runId: 'pg-run',
      rows,
      payerId: seeded.payerId,
      network,
    });
    expect(outcome.check.violations).toEqual([]);
    expect(outcome.check.duplicates).toBe(0);
    expect(outcome.conserved.conserved, outcome.conserved.detail).toBe(true);
    expect(outcome.restarts).toBeGreaterThan(0);
    expect(outcome.status.rows.total).toBe(30);
    await journal.close();
    // Reopened: the same run, the same report.
    const reopened = (await openJournal(dir))._unsafeUnwrap();
    expect((await runStatus(reopened, 'pg-run'))._unsafeUnwrap()).toEqual(outcome.status);
    expect((await checkGuarantee(concierge.client, reopened, 'pg-run', rows)).violations).toEqual([]);
    await reopened.close();
    rmSync(dir, { recursive: true, force: true });
  }, 240_000);

  // An embedded database on a loaded 2-core machine can take minutes here; its speed is measured in bench/, not here.
  it('1,000 rows in the in-process sandbox are journaled, each once', async () => {
    const dir = tempDir();
    const journal = (await openJournal(dir))._unsafeUnwrap();
    const concierge = createInMemoryConcierge();
    const seeded = concierge.seeded;
    if (!seeded) throw new Error('no seed');
    const payee = seeded.payees.find((p) => p.portCode === 'uy_uyu');
    const rows: PayoutRowInput[] = Array.from({ length: 1000 }, (_, i) => ({
      line: i + 2,
      reference: `r${i}`,
      portCode: 'uy_uyu',
      amount: String(1000 + (i % 50)),
      payeeId: payee?.userId ?? '',
      withdrawalInstructionId: payee?.withdrawalInstructionId ?? '',
    }));
    const started = performance.now();
    (
      await planRun(journal, {
        runId: 'big',
        originPort: 'ar_ars',
        payerId: seeded.payerId,
        chunkSize: 250,
        source: { name: 'big.csv', digest: 'd2' },
        rows,
      })
    )._unsafeUnwrap();
    const status = (await driveRun(sandboxPayoutContext(concierge, journal), 'big'))._unsafeUnwrap();
    console.log(
      `1,000 rows on PGlite in the in-process sandbox: ${Math.round(performance.now() - started)} ms`,
    );
    expect(status.state).toBe('finished');
    expect(status.rows.settled).toBe(1000);
    await journal.close();
    rmSync(dir, { recursive: true, force: true });
  }, 240_000);
});
