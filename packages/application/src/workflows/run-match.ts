import type { OutputView } from '../gateway/views.js';
import type { RowRecord } from './payout-journal.js';
import { moneyOfPort } from './run-money.js';

/**
 * What identifies a payment at the quote (SPEC 10.2): payee, instruction, destination
 * port, and the amount or the budget given, in minor units.
 */
export const rowKey = (row: RowRecord, originPort: string): string => {
  const given = row.amount !== null ? 'amount' : 'budget';
  const money =
    row.amount !== null ? moneyOfPort(row.amount, row.portCode) : moneyOfPort(row.budget ?? '', originPort);
  const units = money.isOk() ? money.value.amount.toString() : `invalid:${row.amount ?? row.budget}`;
  return `${row.payeeId}|${row.withdrawalInstructionId}|${row.portCode}|${given}|${units}`;
};

export const outputKey = (o: OutputView): string => {
  const money = o.given === 'amount' ? o.amount : o.budget;
  return `${o.payeeId}|${o.withdrawalInstructionId}|${o.portCode}|${o.given}|${money?.amount.toString() ?? 'none'}`;
};

export type MatchResult =
  | { readonly exact: true; readonly pairs: readonly (readonly [RowRecord, OutputView])[] }
  | { readonly exact: false; readonly reason: string };

/** Id order: shorter ids first (numeric ids), then as text; the outputs of a request have distinct ids. */
const byId = (a: OutputView, b: OutputView) => a.id.length - b.id.length || (a.id < b.id ? -1 : 1);

/**
 * Matches a request's outputs to the rows it should pay, as a multiset: exact only when
 * every row has one output with its key and no output is left over. Identical rows
 * (two invoices, same payee and amount) are paired in file order with outputs in id order.
 */
export const matchOutputs = (
  rows: readonly RowRecord[],
  outputs: readonly OutputView[],
  originPort: string,
): MatchResult => {
  const wanted = new Map<string, RowRecord[]>();
  for (const row of rows) {
    const key = rowKey(row, originPort);
    const list = wanted.get(key) ?? [];
    list.push(row);
    wanted.set(key, list);
  }
  const held = new Map<string, OutputView[]>();
  for (const output of [...outputs].sort(byId)) {
    const key = outputKey(output);
    const list = held.get(key) ?? [];
    list.push(output);
    held.set(key, list);
  }
  const pairs: (readonly [RowRecord, OutputView])[] = [];
  const problems: string[] = [];
  for (const [key, list] of wanted) {
    const found = held.get(key) ?? [];
    if (found.length !== list.length)
      problems.push(
        `${found.length} output${found.length === 1 ? '' : 's'} for ${list.length} row${list.length === 1 ? '' : 's'} (${list.map((r) => r.reference).join(', ')})`,
      );
    else for (const [i, row] of list.entries()) pairs.push([row, found[i] as OutputView]);
  }
  for (const [key, list] of held)
    if (!wanted.has(key))
      problems.push(`output${list.length === 1 ? '' : 's'} ${list.map((o) => o.id).join(', ')} match no row`);
  return problems.length === 0
    ? { exact: true, pairs }
    : {
        exact: false,
        reason: `the request's outputs differ from the chunk's rows: ${problems.slice(0, 3).join('; ')}${problems.length > 3 ? `; and ${problems.length - 3} more` : ''}`,
      };
};
