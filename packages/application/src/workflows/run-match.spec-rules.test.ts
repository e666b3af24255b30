import { describe, expect, it } from 'vitest';
import type { OutputView } from '../gateway/views.js';
import type { RowRecord } from './payout-journal.js';
import { matchOutputs } from './run-match.js';

/**
 * The match at the quote (SPEC 10.2.3): a request's outputs against the chunk's rows, as a
 * multiset on (payee, instruction, port, amount or budget); only an exact match is accepted.
 */

const row = (index: number, payee: string, amount: string): RowRecord => ({
  runId: 'r',
  index,
  line: index + 2,
  reference: `inv-${index}`,
  portCode: 'cl_clp',
  amount,
  budget: null,
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

const output = (id: string, payee: string, amount: bigint): OutputView => ({
  id,
  requestId: 'req',
  payeeId: payee,
  withdrawalInstructionId: `wi-${payee}`,
  state: 'accepting',
  portCode: 'cl_clp',
  originPortCode: 'ar_ars',
  given: 'amount',
  amount: { amount, currency: 'CLP', scale: 0 },
  budget: null,
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

const pairsOf = (rows: RowRecord[], outputs: OutputView[]) => {
  const matched = matchOutputs(rows, outputs, 'ar_ars');
  if (!matched.exact) throw new Error(matched.reason);
  return matched.pairs.map(([r, o]) => [r.reference, o.id]);
};

describe('the match at the quote (SPEC 10.2.3)', () => {
  it('an output no row asks for (a late duplicate of another payee) makes the match inexact, even when every row has its output', () => {
    const matched = matchOutputs(
      [row(0, 'a', '500')],
      [output('1', 'a', 500n), output('2', 'b', 500n)],
      'ar_ars',
    );
    expect(matched.exact).toBe(false);
  });

  it('identical rows take the outputs in id order, ids of one length compared as text, whatever order the service lists them in', () => {
    const rows = [row(0, 'a', '500'), row(1, 'a', '500'), row(2, 'a', '500')];
    const expected = [
      ['inv-0', '21'],
      ['inv-1', '22'],
      ['inv-2', '23'],
    ];
    for (const ids of [
      ['21', '22', '23'],
      ['23', '22', '21'],
      ['22', '23', '21'],
      ['23', '21', '22'],
    ])
      expect(
        pairsOf(
          rows,
          ids.map((id) => output(id, 'a', 500n)),
        ),
        ids.join(','),
      ).toEqual(expected);
  });

  it('an inexact match names the rows left without their output and the outputs that match no row, so the integrator can find them', () => {
    const matched = matchOutputs(
      [row(0, 'a', '500'), row(1, 'a', '500'), row(2, 'b', '700')],
      [output('41', 'a', 500n), output('42', 'b', 700n), output('43', 'c', 900n)],
      'ar_ars',
    );
    expect(matched.exact).toBe(false);
    if (!matched.exact) {
      expect(matched.reason).toContain('inv-0');
      expect(matched.reason).toContain('inv-1');
      expect(matched.reason).not.toContain('inv-2');
      expect(matched.reason).toContain('43');
    }
  });
});
