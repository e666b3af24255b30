import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { errorAt } from '../../test/error-location.js';
import { type ConciergeError, conciergeError } from '../gateway/errors.js';
import type { OutputView } from '../gateway/views.js';
import {
  CALL_KINDS,
  CHUNK_STAGES,
  type ChunkRecord,
  type RowRecord,
  type RunRecord,
} from './payout-journal.js';
import { FINAL_ROW_STATES, ROW_STATES, RUN_STATES } from './payout-run.js';
import { externalIdOf, outputReason, rowStateOf } from './run-chunk.js';
import { matchOutputs } from './run-match.js';
import { minorUnits, parseFraction, portCurrencyCode, withinTolerance } from './run-money.js';
import { classifyFailure, refusesRequest, splitKey } from './run-scope.js';
import { reportOf, statusOf, summaryOf } from './run-view.js';

const money = (amount: bigint, currency: string, scale: number) => ({ amount, currency, scale });

const row = (
  index: number,
  payee: string,
  amount: string | null,
  budget: string | null = null,
): RowRecord => ({
  runId: 'r',
  index,
  line: index + 2,
  reference: `ref-${index}`,
  portCode: 'cl_clp',
  amount,
  budget,
  payee: { kind: 'existing', payeeId: payee, withdrawalInstructionId: `wi-${payee}` },
  payeeId: payee,
  withdrawalInstructionId: `wi-${payee}`,
  chunk: 1,
  state: 'pending',
  reason: null,
  requestId: null,
  outputId: null,
  quotedAmount: null,
  quotedBudget: null,
  rate: null,
  allInRate: null,
  feeAndCost: null,
  attempts: 0,
  updatedAt: '2026-01-05T12:00:00.000Z',
});

const output = (
  id: string,
  payee: string,
  amount: bigint | null,
  budget: bigint | null = null,
): OutputView => ({
  id,
  requestId: 'req',
  payeeId: payee,
  withdrawalInstructionId: `wi-${payee}`,
  state: 'accepting',
  portCode: 'cl_clp',
  originPortCode: 'ar_ars',
  given: amount !== null ? 'amount' : 'budget',
  amount: amount === null ? null : money(amount, 'CLP', 0),
  budget: budget === null ? null : money(budget, 'ARS', 2),
  rate: null,
  allInRate: null,
  feeAndCost: null,
  attempts: 0,
  rejectionReason: null,
  failureReason: null,
  cancellationReason: null,
  failures: [],
  createdAt: '2026-01-05T12:00:00.000Z',
  updatedAt: '2026-01-05T12:00:00.000Z',
});

describe('the match at the quote (SPEC 10.2.3): a multiset on (payee, instruction, port, amount or budget)', () => {
  it('pairs identical rows with outputs in id order, by numeric id length first', () => {
    const rows = [row(0, 'a', '500'), row(1, 'a', '500'), row(2, 'b', null, '10.50')];
    const outputs = [output('10', 'a', 500n), output('9', 'a', 500n), output('11', 'b', null, 1050n)];
    const matched = matchOutputs(rows, outputs, 'ar_ars');
    expect(matched.exact).toBe(true);
    if (matched.exact)
      expect(matched.pairs.map(([r, o]) => [r.reference, o.id])).toEqual([
        ['ref-0', '9'],
        ['ref-1', '10'],
        ['ref-2', '11'],
      ]);
  });

  it('is not exact with one output too many, one too few, or one of another amount, payee, port or kind', () => {
    const rows = [row(0, 'a', '500'), row(1, 'a', '500')];
    const other = (o: OutputView, change: Partial<OutputView>) => ({ ...o, ...change });
    const cases: OutputView[][] = [
      [output('1', 'a', 500n)],
      [output('1', 'a', 500n), output('2', 'a', 500n), output('3', 'a', 500n)],
      [output('1', 'a', 500n), output('2', 'a', 501n)],
      [output('1', 'a', 500n), output('2', 'b', 500n)],
      [output('1', 'a', 500n), other(output('2', 'a', 500n), { withdrawalInstructionId: 'wi-x' })],
      [output('1', 'a', 500n), other(output('2', 'a', 500n), { portCode: 'mx_mxn' })],
      [
        output('1', 'a', 500n),
        other(output('2', 'a', 500n), { given: 'budget', budget: money(500n, 'CLP', 0) }),
      ],
      [],
    ];
    for (const outputs of cases) {
      const matched = matchOutputs(rows, outputs, 'ar_ars');
      expect(matched.exact, JSON.stringify(outputs.map((o) => o.id))).toBe(false);
      if (!matched.exact) expect(matched.reason).toEqual(expect.any(String));
    }
  });

  test.prop([
    fc.array(fc.record({ payee: fc.constantFrom('a', 'b'), units: fc.integer({ min: 1, max: 3 }) }), {
      maxLength: 6,
    }),
    fc.array(fc.record({ payee: fc.constantFrom('a', 'b'), units: fc.integer({ min: 1, max: 3 }) }), {
      maxLength: 6,
    }),
  ])(
    'exact exactly when the outputs and the rows are the same multiset, every row paired once',
    (wanted, held) => {
      const rows = wanted.map((w, i) => row(i, w.payee, String(w.units * 100)));
      const outputs = held.map((h, i) => output(String(i + 1), h.payee, BigInt(h.units * 100)));
      const canon = (xs: { payee: string; units: number }[]) =>
        xs
          .map((x) => `${x.payee}:${x.units}`)
          .sort()
          .join(',');
      const matched = matchOutputs(rows, outputs, 'ar_ars');
      expect(matched.exact).toBe(canon(wanted) === canon(held));
      if (matched.exact) {
        expect(new Set(matched.pairs.map(([, o]) => o.id)).size).toBe(rows.length);
        expect(matched.pairs.map(([r]) => r.index).sort()).toEqual(rows.map((r) => r.index));
        for (const [r, o] of matched.pairs)
          expect([o.payeeId, o.amount?.amount]).toEqual([r.payeeId, BigInt(r.amount ?? '')]);
      }
    },
  );
});

describe('money of a run, exact (SPEC 10.2 price guard, 10.3)', () => {
  test.prop([
    fc.bigInt({ min: 0n, max: 10n ** 12n }),
    fc.bigInt({ min: 1n, max: 10n ** 12n }),
    fc.integer({ min: 0, max: 9999 }),
    fc.integer({ min: 0, max: 4 }),
  ])(
    'a quote is within tolerance when quote <= estimate + estimate x tolerance, to the last unit',
    (quote, estimate, units, decimals) => {
      const tolerance =
        decimals === 0
          ? String(units)
          : `${Math.floor(units / 10 ** decimals)}.${String(units % 10 ** decimals).padStart(decimals, '0')}`;
      // estimate x (1 + units / 10^decimals), compared without dividing.
      const scale = 10n ** BigInt(decimals);
      const limitTimesScale = estimate * scale + estimate * BigInt(units);
      expect(withinTolerance(quote, estimate, tolerance)).toBe(quote * scale <= limitTimesScale);
    },
  );

  it('reads fractions, port currencies and minor units', () => {
    expect(parseFraction('0.02')).toEqual({ units: 2n, scale: 2 });
    expect(parseFraction('1')).toEqual({ units: 1n, scale: 0 });
    expect(parseFraction('12.5')).toEqual({ units: 125n, scale: 1 });
    for (const bad of ['-0.1', '1e2', '.5', '5.', '', '0x1', ' 1'])
      expect(parseFraction(bad), bad).toBeUndefined();
    expect(portCurrencyCode('cl_clp')).toBe('CLP');
    for (const bad of ['CL_CLP', 'cl_clpx', 'xcl_clp', 'cl-clp', 'cl_zzz'])
      expect(portCurrencyCode(bad), bad).toBeUndefined();
    // A tolerance that is not a fraction allows nothing over the estimate.
    expect(withinTolerance(100n, 100n, 'none')).toBe(true);
    expect(withinTolerance(101n, 100n, 'none')).toBe(false);
    expect(minorUnits('12.5', 2)).toBe(1250n);
    expect(minorUnits('12.345', 2)).toBe(1234n);
    expect(minorUnits('7', 0)).toBe(7n);
    expect(minorUnits('not a number', 2)).toBe(0n);
  });
});

describe('what a failed call tells the run (SPEC 10.2.2: an ambiguous outcome is never re-sent blindly)', () => {
  it('classifies each kind of failure', () => {
    const cases: [ConciergeError, string][] = [
      [conciergeError.badRequest('bad', 'x'), 'refused'],
      [errorAt('invalid', '/data/attributes/amount'), 'refused'],
      [conciergeError.notFound('request', '1'), 'refused'],
      [conciergeError.conflict('invalid_transition', 'x'), 'refused'],
      [conciergeError.permission('x'), 'refused'],
      [conciergeError.authentication(), 'fatal'],
      [conciergeError.rateLimited(10), 'retry'],
      [conciergeError.connection('refused', 'not_sent'), 'retry'],
      [conciergeError.timeout('408', 'not_sent'), 'retry'],
      [conciergeError.connection('reset'), 'unknown'],
      [conciergeError.timeout('slow'), 'unknown'],
      [conciergeError.server('boom'), 'unknown'],
      [conciergeError.decode('bad json'), 'unknown'],
    ];
    for (const [error, expected] of cases)
      expect(classifyFailure(error), JSON.stringify(error)).toBe(expected);
  });

  it('tells a refusal of the request itself from a refusal of the row', () => {
    expect(refusesRequest(conciergeError.conflict('not_draft', 'x'))).toBe(true);
    expect(refusesRequest(conciergeError.notFound('request', '1'))).toBe(true);
    expect(refusesRequest(errorAt('invalid', '/data/relationships/request/data/id'))).toBe(true);
    expect(refusesRequest(errorAt('invalid', '/data/attributes/amount'))).toBe(false);
    expect(refusesRequest(conciergeError.badRequest('bad', 'x'))).toBe(false);
  });

  it('reads a call key as its target and try number', () => {
    expect(splitKey('output/1.2/17#3')).toEqual({ prefix: 'output/1.2/17', attempt: 3 });
    expect(splitKey('request/1.1')).toEqual({ prefix: 'request/1.1', attempt: 1 });
    expect(splitKey('a#b#2')).toEqual({ prefix: 'a#b', attempt: 2 });
    expect(splitKey('a#x')).toEqual({ prefix: 'a', attempt: 1 });
  });

  it('names builds <run>/<chunk> then <run>/<chunk>.<build> (SPEC 10.1, 10.2.3)', () => {
    expect(externalIdOf('run', 1, 1)).toBe('run/1');
    expect(externalIdOf('run', 4, 2)).toBe('run/4.2');
  });
});

describe('a row as its output says (SPEC 4, 10.4 report)', () => {
  it('takes the final state of its output, or committed before it', () => {
    const cases: [OutputView['state'], string][] = [
      ['accepting', 'committed'],
      ['accepted', 'committed'],
      ['working', 'committed'],
      ['settling', 'committed'],
      ['failed', 'committed'],
      ['settled', 'settled'],
      ['rejected', 'rejected'],
      ['returned', 'returned'],
      ['cancelled', 'cancelled'],
    ];
    for (const [state, expected] of cases)
      expect(rowStateOf({ ...output('1', 'a', 1n), state })).toBe(expected);
  });

  it('gives the reason of a rejection, a cancellation, or of a return (not of a failure still retried)', () => {
    const o = output('1', 'a', 1n);
    expect(outputReason({ ...o, state: 'rejected', rejectionReason: 'instruction_mismatch' })).toBe(
      'instruction_mismatch',
    );
    expect(outputReason({ ...o, state: 'cancelled', cancellationReason: 'request_cancelled' })).toBe(
      'request_cancelled',
    );
    expect(outputReason({ ...o, state: 'returned', failureReason: 'account_closed' })).toBe('account_closed');
    expect(outputReason({ ...o, state: 'failed', failureReason: 'bank_down' })).toBeNull();
    expect(outputReason(o)).toBeNull();
  });
});

describe('status, report and summary from the journal alone (SPEC 10.4)', () => {
  const run: RunRecord = {
    runId: 'r',
    originPort: 'ar_ars',
    payerId: 'p',
    chunkSize: 2,
    maxTotal: null,
    tolerance: '0.02',
    source: { name: 'a.csv', digest: 'd' },
    rowCount: 3,
    state: 'working',
    reason: null,
    funds: null,
    createdAt: '2026-01-05T12:00:00.000Z',
    updatedAt: '2026-01-05T12:05:00.000Z',
    version: 4,
  };
  const build = (
    chunk: number,
    attempt: number,
    requestId: string | null,
    requestState: string | null,
  ): ChunkRecord => ({
    runId: 'r',
    chunk,
    attempt,
    externalId: externalIdOf('r', chunk, attempt),
    requestId,
    stage: 'adding',
    requestState,
    reason: null,
    onCancelled: null,
    estimateTotal: null,
    hintToken: null,
    quoteTotal: null,
    provisionFundsBefore: null,
    updatedAt: run.updatedAt,
  });
  const rows = [
    {
      ...row(0, 'a', '500'),
      state: 'settled' as const,
      quotedAmount: '500',
      quotedBudget: '12.30',
      rate: '40.65',
      outputId: 'o1',
      requestId: 'q1',
    },
    { ...row(1, 'a', null, '9.99'), state: 'failed' as const, reason: 'output refused' },
    row(2, 'b', '700'),
  ];

  it('counts rows by state and says where each request stands: unsent, draft, or as last seen', () => {
    const status = statusOf({
      run,
      rows,
      chunks: [build(1, 1, 'q1', 'finished'), build(2, 1, 'q2', null), build(2, 2, null, null)],
      calls: [],
      parties: [],
    });
    expect(status).toEqual({
      runId: 'r',
      state: 'working',
      rows: {
        pending: 1,
        committed: 0,
        settled: 1,
        rejected: 0,
        returned: 0,
        cancelled: 0,
        failed: 1,
        total: 3,
      },
      requests: [
        { chunk: 1, externalId: 'r/1', id: 'q1', state: 'finished' },
        { chunk: 2, externalId: 'r/2', id: 'q2', state: 'draft' },
        { chunk: 2, externalId: 'r/2.2', id: null, state: 'unsent' },
      ],
    });
    const funds = { amount: '10.00', currency: 'ARS', before: '2026-01-06T12:00:00.000Z' };
    expect(
      statusOf({
        run: { ...run, state: 'stopped', reason: 'why', funds },
        rows,
        chunks: [],
        calls: [],
        parties: [],
      }),
    ).toMatchObject({ reason: 'why', funds });
  });

  it("reports the quoted amounts where there are, the row's own otherwise, in file order", () => {
    const report = reportOf({ run, rows, chunks: [], calls: [], parties: [] });
    expect(
      report.map((l) => [
        l.reference,
        l.amount,
        l.budget,
        l.rate,
        l.state,
        l.reason,
        l.outputId,
        l.requestId,
      ]),
    ).toEqual([
      ['ref-0', '500', '12.30', '40.65', 'settled', null, 'o1', 'q1'],
      ['ref-1', null, '9.99', null, 'failed', 'output refused', null, null],
      ['ref-2', '700', null, null, 'pending', null, null, null],
    ]);
    expect(summaryOf(run)).toEqual({
      runId: 'r',
      state: 'working',
      originPort: 'ar_ars',
      rows: 3,
      createdAt: run.createdAt,
      updatedAt: run.updatedAt,
    });
  });
});

describe('the names a run is read by (SPEC 10.4 status --json; the journal of SPEC 10.2)', () => {
  it("run states are SPEC 10.4's, in its order", () => {
    expect(RUN_STATES).toEqual([
      'planned',
      'working',
      'waiting_for_funds',
      'committed',
      'finished',
      'stopped',
      'cancelled',
    ]);
  });

  it("row states: pending, committed, and the final ones (an output's four final states, and failed)", () => {
    expect(ROW_STATES).toEqual([
      'pending',
      'committed',
      'settled',
      'rejected',
      'returned',
      'cancelled',
      'failed',
    ]);
    expect([...FINAL_ROW_STATES].sort()).toEqual(['cancelled', 'failed', 'rejected', 'returned', 'settled']);
  });

  it("the journal's stages of a build and kinds of call are those it documents", () => {
    expect(CHUNK_STAGES).toEqual([
      'new',
      'drafting',
      'adding',
      'quoting',
      'accepting',
      'accepted',
      'cancelling',
      'rebuilt',
      'closed',
      'stopped',
    ]);
    expect(CALL_KINDS).toEqual([
      'create_user',
      'create_instruction',
      'create_request',
      'create_output',
      'request_quote',
      'accept_quote',
      'cancel_request',
    ]);
  });
});
