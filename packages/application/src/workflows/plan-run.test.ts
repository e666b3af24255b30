import { createInMemoryJournal } from '@concierge-ts/adapter-memory';
import { describe, expect, it } from 'vitest';
import type { PayoutRowInput, RunPlanInput } from './payout-run.js';
import { planRun } from './plan-run.js';
import { listRuns, runReport, runStatus } from './run-queries.js';

const existing = { payeeId: 'u-1', withdrawalInstructionId: 'wi-1' };
const row = (line: number, extra: Partial<PayoutRowInput> = {}): PayoutRowInput =>
  ({
    line,
    reference: `ref-${line}`,
    portCode: 'cl_clp',
    amount: '1000',
    ...existing,
    ...extra,
  }) as PayoutRowInput;
const newPayee = (line: number, extra: Record<string, unknown> = {}): PayoutRowInput =>
  ({
    line,
    reference: `ref-${line}`,
    portCode: 'mx_mxn',
    budget: '100.50',
    email: 'ana@example.com',
    name: 'Ana',
    body: { payment_method: 'domestic_bank', country: 'MX', currency: 'MXN', clabe: '032180000118359719' },
    ...extra,
  }) as PayoutRowInput;

const base: RunPlanInput = {
  runId: 'payroll-2026-01',
  originPort: 'ar_ars',
  payerId: 'payer-1',
  chunkSize: 2,
  source: { name: 'payroll.csv', digest: 'abc' },
  rows: [row(2), row(3), newPayee(4)],
};

const refusal = async (plan: RunPlanInput) => {
  const journal = createInMemoryJournal();
  const refused = (await planRun(journal, plan))._unsafeUnwrapErr();
  // Nothing is written when a plan is refused (SPEC 10.4: every boundary changes nothing).
  expect((await listRuns(journal))._unsafeUnwrap()).toEqual([]);
  return refused;
};

describe('planning a run (SPEC 10.1): the boundary refuses a bad plan naming the field and the line', () => {
  const cases: [string, Partial<RunPlanInput>, string, number | undefined][] = [
    ['an empty run id', { runId: '' }, 'runId', undefined],
    ['a run id starting with a dash', { runId: '-x' }, 'runId', undefined],
    ['a run id of 81 characters', { runId: 'a'.repeat(81) }, 'runId', undefined],
    ['a run id with a slash', { runId: 'a/b' }, 'runId', undefined],
    ['an origin port that is no port code', { originPort: 'ars' }, 'originPort', undefined],
    ['an origin port of an unknown currency', { originPort: 'ar_zzz' }, 'originPort', undefined],
    ['a payer id with a space', { payerId: 'a b' }, 'payerId', undefined],
    ['an empty payer id', { payerId: '' }, 'payerId', undefined],
    ['a chunk size of 0', { chunkSize: 0 }, 'chunkSize', undefined],
    ['a chunk size of 1,001', { chunkSize: 1001 }, 'chunkSize', undefined],
    ['a fractional chunk size', { chunkSize: 1.5 }, 'chunkSize', undefined],
    ['a max total with too many decimals', { maxTotal: '10.001' }, 'maxTotal', undefined],
    ['a max total that is not a number', { maxTotal: 'lots' }, 'maxTotal', undefined],
    ['a negative tolerance', { tolerance: '-0.1' }, 'tolerance', undefined],
    ['a tolerance in percent', { tolerance: '2%' }, 'tolerance', undefined],
    ['a source without a digest', { source: { name: 'a.csv', digest: '' } }, 'source', undefined],
    ['no rows', { rows: [] }, 'rows', undefined],
    ['a line of 0', { rows: [row(0)] }, 'rows[0].line', 0],
    ['a fractional line', { rows: [row(2), row(2.5)] }, 'rows[1].line', 2.5],
    ['an empty reference', { rows: [row(2, { reference: ' ' })] }, 'rows[0].reference', 2],
    [
      'a reference of 201 characters',
      { rows: [row(2, { reference: 'r'.repeat(201) })] },
      'rows[0].reference',
      2,
    ],
    ['a destination that is no port', { rows: [row(2, { portCode: 'chile' })] }, 'rows[0].portCode', 2],
    ['both amount and budget', { rows: [row(2, { budget: '5' })] }, 'rows[0].budget', 2],
    [
      'neither amount nor budget',
      { rows: [{ ...row(2), amount: undefined } as unknown as PayoutRowInput] },
      'rows[0].amount',
      2,
    ],
    ['decimals CLP does not have', { rows: [row(2, { amount: '10.5' })] }, 'rows[0].amount', 2],
    ['a budget ARS cannot hold', { rows: [newPayee(2, { budget: '1.234' })] }, 'rows[0].budget', 2],
    ['a payee id with a space', { rows: [row(2, { payeeId: 'u 1' })] }, 'rows[0].payeeId', 2],
    ['a payee id of 65 characters', { rows: [row(2, { payeeId: 'u'.repeat(65) })] }, 'rows[0].payeeId', 2],
    ['a payer id of 65 characters', { payerId: 'p'.repeat(65) }, 'payerId', undefined],
    [
      'an instruction id with a space',
      { rows: [row(2, { withdrawalInstructionId: 'wi 1' })] },
      'rows[0].withdrawalInstructionId',
      2,
    ],
    ['an email without a domain', { rows: [newPayee(2, { email: 'ana@example' })] }, 'rows[0].email', 2],
    ['a blank name', { rows: [newPayee(2, { name: '  ' })] }, 'rows[0].name', 2],
    ['an empty instruction body', { rows: [newPayee(2, { body: {} })] }, 'rows[0].body', 2],
    [
      'an instruction field that is not text',
      { rows: [newPayee(2, { body: { payment_method: 'domestic_bank', clabe: 12345 } })] },
      'rows[0].body.clabe',
      2,
    ],
    // A plan may come from a JS caller or a parsed file: values of the wrong type are refused, never thrown on.
    ['a run id that is a number', { runId: 5 as unknown as string }, 'runId', undefined],
    ['a payer id that is a number', { payerId: 12 as unknown as string }, 'payerId', undefined],
    ['no source', { source: undefined as unknown as RunPlanInput['source'] }, 'source', undefined],
    [
      'a source name that is not text',
      { source: { name: 7, digest: 'abc' } as unknown as RunPlanInput['source'] },
      'source',
      undefined,
    ],
    [
      'a source digest that is not text',
      { source: { name: 'a.csv', digest: 7 } as unknown as RunPlanInput['source'] },
      'source',
      undefined,
    ],
    [
      'a reference that is a number',
      { rows: [row(2, { reference: 7 as unknown as string })] },
      'rows[0].reference',
      2,
    ],
    ['an email that is a list', { rows: [newPayee(2, { email: ['ana@example.com'] })] }, 'rows[0].email', 2],
    [
      'an email with a space before the @',
      { rows: [newPayee(2, { email: 'ana maria@example.com' })] },
      'rows[0].email',
      2,
    ],
    [
      'an email followed by more words',
      { rows: [newPayee(2, { email: 'ana@example.com or not' })] },
      'rows[0].email',
      2,
    ],
    ['a name that is a number', { rows: [newPayee(2, { name: 5 })] }, 'rows[0].name', 2],
    ['no instruction body', { rows: [newPayee(2, { body: null })] }, 'rows[0].body', 2],
    ['an instruction body that is text', { rows: [newPayee(2, { body: 'cbu' })] }, 'rows[0].body', 2],
    [
      'a reference used twice',
      { rows: [row(2), row(3), row(5, { reference: 'ref-2' })] },
      'rows[2].reference',
      5,
    ],
  ];
  it.each(cases)('refuses %s', async (_, change, field, line) => {
    const refused = await refusal({ ...base, ...change });
    expect(refused.code).toBe('invalid_plan');
    expect(refused).toMatchObject({ field });
    if (refused.code === 'invalid_plan') expect(refused.line).toBe(line);
  });

  it('takes the limits themselves: a run id of 80 characters, chunks of 1 and of 1,000, a reference of 200, tolerance 0', async () => {
    for (const change of [
      { runId: `9${'a'.repeat(79)}` },
      { runId: 'a.b_c:d-e' },
      { chunkSize: 1 },
      { chunkSize: 1000 },
      { tolerance: '0' },
      { tolerance: '1.5' },
      { maxTotal: '0.01' },
      { rows: [row(1, { reference: 'r'.repeat(200) })] },
      { payerId: 'p'.repeat(64), rows: [row(1, { payeeId: 'u'.repeat(64), withdrawalInstructionId: 'w' })] },
    ] as Partial<RunPlanInput>[]) {
      const journal = createInMemoryJournal();
      const status = await planRun(journal, { ...base, ...change });
      expect(status.isOk(), JSON.stringify(change)).toBe(true);
    }
  });
});

describe('a planned run (SPEC 10.1)', () => {
  it('splits its rows into chunks of chunkSize in file order, nothing sent, every row pending, with the default tolerance', async () => {
    const journal = createInMemoryJournal();
    const at = new Date('2026-03-01T10:00:00.000Z');
    const rows = [row(2), row(3), newPayee(4), row(5), row(6)];
    const status = (await planRun(journal, { ...base, rows }, () => at))._unsafeUnwrap();
    expect(status).toEqual({
      runId: 'payroll-2026-01',
      state: 'planned',
      rows: {
        pending: 5,
        committed: 0,
        settled: 0,
        rejected: 0,
        returned: 0,
        cancelled: 0,
        failed: 0,
        total: 5,
      },
      requests: [],
    });
    const snapshot = (await journal.loadRun('payroll-2026-01'))._unsafeUnwrap();
    expect(snapshot?.rows.map((r) => [r.reference, r.chunk, r.index, r.line])).toEqual([
      ['ref-2', 1, 0, 2],
      ['ref-3', 1, 1, 3],
      ['ref-4', 2, 2, 4],
      ['ref-5', 2, 3, 5],
      ['ref-6', 3, 4, 6],
    ]);
    expect(snapshot?.run).toMatchObject({
      tolerance: '0.02',
      maxTotal: null,
      rowCount: 5,
      funds: null,
      reason: null,
      createdAt: at.toISOString(),
    });
    expect(snapshot?.rows[0]).toMatchObject({
      payee: { kind: 'existing', ...existing },
      payeeId: 'u-1',
      withdrawalInstructionId: 'wi-1',
      amount: '1000',
      budget: null,
      state: 'pending',
      attempts: 0,
      updatedAt: at.toISOString(),
    });
    expect(snapshot?.rows[2]).toMatchObject({
      payee: { kind: 'new', email: 'ana@example.com', name: 'Ana' },
      payeeId: null,
      withdrawalInstructionId: null,
      amount: null,
      budget: '100.50',
    });
    const report = (await runReport(journal, 'payroll-2026-01'))._unsafeUnwrap();
    expect(report[2]).toMatchObject({
      reference: 'ref-4',
      amount: null,
      budget: '100.50',
      state: 'pending',
      requestId: null,
    });
  });

  it("keeps the plan's max total and tolerance", async () => {
    const journal = createInMemoryJournal();
    (await planRun(journal, { ...base, maxTotal: '5000.25', tolerance: '0.1' }))._unsafeUnwrap();
    expect((await journal.getRun(base.runId))._unsafeUnwrap()).toMatchObject({
      maxTotal: '5000.25',
      tolerance: '0.1',
    });
  });

  it('planned again with the same file answers the same run; another file under the same id is refused and changes nothing', async () => {
    const journal = createInMemoryJournal();
    const first = (await planRun(journal, base))._unsafeUnwrap();
    expect((await planRun(journal, base))._unsafeUnwrap()).toEqual(first);
    const other = await planRun(journal, {
      ...base,
      rows: [row(2)],
      source: { name: 'other.csv', digest: 'def' },
    });
    expect(other._unsafeUnwrapErr()).toMatchObject({ code: 'run_conflict', runId: base.runId });
    expect((await runStatus(journal, base.runId))._unsafeUnwrap().rows.total).toBe(3);
    expect((await runStatus(journal, 'nope'))._unsafeUnwrapErr()).toMatchObject({
      code: 'run_not_found',
      runId: 'nope',
    });
    expect((await runReport(journal, 'nope'))._unsafeUnwrapErr().code).toBe('run_not_found');
  });
});
