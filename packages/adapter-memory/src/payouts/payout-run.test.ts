import {
  driveRun,
  listRuns,
  type PayoutRowInput,
  planRun,
  runReport,
  runStatus,
} from '@concierge-ts/application';
import { describe, expect, it } from 'vitest';
import { createInMemoryConcierge } from '../compose.js';
import { createInMemoryJournal } from '../payout-journal.js';
import {
  bodyFor,
  checkGuarantee,
  MAGIC_ACCOUNTS,
  moneyConserved,
  sandboxPayoutContext,
} from '../testing/payout-world.js';

const world = () => {
  const concierge = createInMemoryConcierge();
  const seeded = concierge.seeded;
  if (!seeded) throw new Error('the sandbox was not seeded');
  const journal = createInMemoryJournal();
  const payee = (port: string) => {
    const p = seeded.payees.find((x) => x.portCode === port);
    if (!p) throw new Error(`no seeded payee in ${port}`);
    return { payeeId: p.userId, withdrawalInstructionId: p.withdrawalInstructionId };
  };
  return { concierge, seeded, journal, payee, ctx: sandboxPayoutContext(concierge, journal) };
};

const plan = (runId: string, payerId: string, rows: readonly PayoutRowInput[], chunkSize = 250) => ({
  runId,
  originPort: 'ar_ars',
  payerId,
  chunkSize,
  source: { name: 'payroll.csv', digest: `sha256-of-${runId}` },
  rows,
});

describe('a payout run in the in-process sandbox', () => {
  it('pays every row once, identical rows included, and its report is what the service shows', async () => {
    const w = world();
    const rows: PayoutRowInput[] = [
      { line: 2, reference: 'inv-1', portCode: 'cl_clp', amount: '150000', ...w.payee('cl_clp') },
      // Two invoices, same payee, same amount: both are paid.
      { line: 3, reference: 'inv-2', portCode: 'mx_mxn', amount: '500', ...w.payee('mx_mxn') },
      { line: 4, reference: 'inv-3', portCode: 'mx_mxn', amount: '500', ...w.payee('mx_mxn') },
      { line: 5, reference: 'inv-4', portCode: 'ar_ars', budget: '25000.50', ...w.payee('ar_ars') },
      {
        line: 6,
        reference: 'new-1',
        portCode: 'uy_uyu',
        amount: '2000',
        email: 'lucia@example.com',
        name: 'Lucía',
        body: bodyFor('uy_uyu', MAGIC_ACCOUNTS.settles),
      },
      {
        line: 7,
        reference: 'new-2',
        portCode: 'uy_uyu',
        amount: '2000',
        email: 'lucia@example.com',
        name: 'Lucía',
        body: bodyFor('uy_uyu', MAGIC_ACCOUNTS.settles),
      },
      {
        line: 8,
        reference: 'bad-account',
        portCode: 'cl_clp',
        amount: '9000',
        email: 'pedro@example.com',
        name: 'Pedro',
        body: bodyFor('cl_clp', MAGIC_ACCOUNTS.rejected),
      },
      {
        line: 9,
        reference: 'returned',
        portCode: 'mx_mxn',
        amount: '300',
        email: 'sofia@example.com',
        name: 'Sofía',
        body: bodyFor('mx_mxn', MAGIC_ACCOUNTS.returned),
      },
    ];
    const before =
      (await w.concierge.client.users.get(w.seeded.payerId))._unsafeUnwrap().balances.ars?.amount ?? 0n;
    (await planRun(w.journal, plan('run-1', w.seeded.payerId, rows, 3)))._unsafeUnwrap();
    const steps: string[] = [];
    const status = (
      await driveRun(w.ctx, 'run-1', { onStep: (_, step) => steps.push(step) })
    )._unsafeUnwrap();
    expect(status.state).toBe('finished');
    expect(status.rows).toMatchObject({
      total: 8,
      settled: 6,
      rejected: 1,
      returned: 1,
      pending: 0,
      committed: 0,
    });
    expect(status.requests.map((r) => r.externalId)).toEqual(['run-1/1', 'run-1/2', 'run-1/3']);
    const check = await checkGuarantee(w.concierge.client, w.journal, 'run-1', rows);
    expect(check.violations).toEqual([]);
    expect(check.acceptedOutputs).toBe(8);
    // One payee was created for the two rows with the same email, and one instruction.
    const users = (await w.concierge.client.users.list({ page: { size: 500 } }))._unsafeUnwrap().items;
    expect(users.filter((u) => u.email === 'lucia@example.com')).toHaveLength(1);
    const money = await moneyConserved(w.concierge.client, 'run-1', w.seeded.payerId, before, 'ars');
    expect(money.conserved, money.detail).toBe(true);
    const report = (await runReport(w.journal, 'run-1'))._unsafeUnwrap();
    expect(report.find((l) => l.reference === 'bad-account')).toMatchObject({
      state: 'rejected',
      reason: 'instruction_mismatch',
    });
    expect(report.every((l) => l.rate !== null && l.feeAndCost !== null)).toBe(true);
    expect((await listRuns(w.journal))._unsafeUnwrap()).toMatchObject([
      { runId: 'run-1', state: 'finished', rows: 8 },
    ]);
  });

  it('waits for a quote at most one poll interval when the service clock is ahead of this process', async () => {
    const w = world();
    // This process's clock is three hours behind the service's: the quote's `eta` looks
    // three hours away. Waiting that long would let the quote expire (10 minutes to accept).
    const behind = 3 * 60 * 60_000;
    const waits: number[] = [];
    const ctx = {
      ...w.ctx,
      now: () => new Date(w.concierge.clock.now() - behind),
      sleep: async (ms: number) => {
        waits.push(ms);
        await w.ctx.sleep(ms);
      },
      tuning: { pollIntervalMs: 5 * 60_000, quoteWaitMs: 1_000 },
    };
    const rows: PayoutRowInput[] = [
      { line: 2, reference: 'a', portCode: 'cl_clp', amount: '150000', ...w.payee('cl_clp') },
      { line: 3, reference: 'b', portCode: 'mx_mxn', amount: '500', ...w.payee('mx_mxn') },
    ];
    (await planRun(w.journal, plan('skew', w.seeded.payerId, rows)))._unsafeUnwrap();
    const status = (await driveRun(ctx, 'skew', {}))._unsafeUnwrap();
    expect(status.state).toBe('finished');
    expect(status.rows.cancelled).toBe(0);
    expect(Math.max(...waits)).toBeLessThanOrEqual(5 * 60_000);
  });

  it('plans a run once: the same id and file again answers the run; another file is refused and changes nothing', async () => {
    const w = world();
    const rows: PayoutRowInput[] = [
      { line: 2, reference: 'a', portCode: 'cl_clp', amount: '1000', ...w.payee('cl_clp') },
    ];
    const first = (await planRun(w.journal, plan('run-2', w.seeded.payerId, rows)))._unsafeUnwrap();
    expect(first.state).toBe('planned');
    expect((await planRun(w.journal, plan('run-2', w.seeded.payerId, rows)))._unsafeUnwrap()).toEqual(first);
    const other = await planRun(w.journal, {
      ...plan('run-2', w.seeded.payerId, [
        ...rows,
        { ...rows[0], line: 3, reference: 'b' } as PayoutRowInput,
      ]),
      source: { name: 'other.csv', digest: 'another digest' },
    });
    expect(other._unsafeUnwrapErr().code).toBe('run_conflict');
    expect((await runStatus(w.journal, 'run-2'))._unsafeUnwrap().rows.total).toBe(1);
    expect((await runStatus(w.journal, 'nope'))._unsafeUnwrapErr().code).toBe('run_not_found');
  });

  it('refuses a bad plan naming the field and the line, writing nothing', async () => {
    const w = world();
    const good = { line: 2, reference: 'a', portCode: 'cl_clp', amount: '1000', ...w.payee('cl_clp') };
    const cases: [PayoutRowInput[], string, number | undefined][] = [
      [[{ ...good, amount: '10.5' }], 'rows[0].amount', 2],
      [[good, { ...good, line: 3 }], 'rows[1].reference', 3],
      [[{ ...good, budget: '5' }], 'rows[0].budget', 2],
      [[], 'rows', undefined],
    ];
    for (const [rows, field, line] of cases) {
      const refused = (await planRun(w.journal, plan('run-3', w.seeded.payerId, rows)))._unsafeUnwrapErr();
      expect(refused).toMatchObject({ code: 'invalid_plan', field, ...(line === undefined ? {} : { line }) });
    }
    expect((await listRuns(w.journal))._unsafeUnwrap()).toEqual([]);
  });
});
