import { returnCostInOrigin } from './aggregate.js';
import type { DocumentKind } from './events.js';
import { type Money, money } from './money.js';
import { isFinalOutputState, type Output, type OutputState } from './output.js';
import type { OutputPrice } from './pricing.js';
import type { Request, RequestState } from './request.js';

/**
 * A request's documents (SPEC section 7: `receipt_url`, `credit_note_url`). This project
 * decides when each exists, where the published material is silent:
 *
 * - the **receipt** once the payer is charged, when the request starts working (the debit of
 *   `total_to_spend`): it lists every output that was charged (every priced output), with
 *   what became of each so far;
 * - the **credit note** once money first goes back to the payer after that charge (an output
 *   rejected since the quote, cancelled by the provider or returned): it lists every output
 *   credited back so far, a return less its cost.
 *
 * Both are read as they are now: the lines' states and the credit note's lines follow the
 * outputs until the request is finished. Money is exact, in minor units of the origin
 * currency (a line's `amount` in its destination's).
 */

/** One output on a document. */
export interface DocumentLine {
  readonly outputId: string;
  readonly state: OutputState;
  readonly portCode: string;
  /** What the payee gets, in the destination currency. */
  readonly amount: Money;
  /** What the payer was charged for it, fees included (origin currency). */
  readonly budget: Money;
  readonly feeAndCost: Money;
  /** What went back to the payer: the budget of a rejected or cancelled output, a returned one's less its return cost. */
  readonly credited: Money;
  /** A returned output's return cost in the origin currency (at most its budget); zero otherwise. */
  readonly returnCost: Money;
}

/**
 * Sums over a document's lines. They always add up: `budget` = `settled` + `inFlight` +
 * `credited` + `returnCosts` (every line's budget is in exactly one of them); on a receipt
 * `budget` is `total_to_spend`.
 */
export interface DocumentTotals {
  readonly budget: Money;
  readonly fees: Money;
  /** Budgets of settled outputs: spent. */
  readonly settled: Money;
  /** Budgets of outputs not final yet. */
  readonly inFlight: Money;
  readonly credited: Money;
  readonly returnCosts: Money;
}

export interface RequestDocument {
  readonly kind: DocumentKind;
  readonly requestId: string;
  readonly requestState: RequestState;
  /** The origin port: the currency of every total. */
  readonly portCode: string;
  readonly issuedAt: number;
  readonly lines: readonly DocumentLine[];
  readonly totals: DocumentTotals;
}

/** When a request's document was issued, or null while it does not exist. */
export const documentIssuedAt = (request: Request, kind: DocumentKind): number | null =>
  kind === 'receipt' ? request.receiptIssuedAt : request.creditNoteIssuedAt;

/** Whether an output state gives money back (for an output the payer was charged for). */
const CREDITED: ReadonlySet<OutputState> = new Set(['rejected', 'cancelled', 'returned']);

/**
 * A request's document as it is now, or null while it does not exist. `returnCostOf`: the
 * return cost of an output's destination port, in its currency (what `give_up` charged).
 */
export const requestDocument = (
  kind: DocumentKind,
  request: Request,
  outputs: Iterable<Output>,
  returnCostOf: (output: Output) => Money | undefined,
): RequestDocument | null => {
  const issuedAt = documentIssuedAt(request, kind);
  const charged = request.totalToSpend;
  if (issuedAt === null || charged === null) return null;
  const origin = { code: charged.currency, exponent: charged.scale };
  const zero = money(0n, origin);
  const sums = { budget: 0n, fees: 0n, settled: 0n, inFlight: 0n, credited: 0n, returnCosts: 0n };
  const lines: DocumentLine[] = [];
  for (const output of outputs) {
    // Every priced output was charged with the request (total_to_spend is their sum).
    const price = output.price;
    if (output.requestId !== request.id || price === null) continue;
    const credit = CREDITED.has(output.state);
    if (kind === 'credit_note' && !credit) continue;
    const line = lineOf(output, price, zero, returnCostOf);
    lines.push(line);
    sums.budget += line.budget.amount;
    sums.fees += line.feeAndCost.amount;
    sums.credited += line.credited.amount;
    sums.returnCosts += line.returnCost.amount;
    if (output.state === 'settled') sums.settled += line.budget.amount;
    else if (!isFinalOutputState(output.state)) sums.inFlight += line.budget.amount;
  }
  return {
    kind,
    requestId: request.id,
    requestState: request.state,
    portCode: request.portCode,
    issuedAt,
    lines,
    totals: {
      budget: money(sums.budget, origin),
      fees: money(sums.fees, origin),
      settled: money(sums.settled, origin),
      inFlight: money(sums.inFlight, origin),
      credited: money(sums.credited, origin),
      returnCosts: money(sums.returnCosts, origin),
    },
  };
};

const lineOf = (
  output: Output,
  price: OutputPrice,
  zero: Money,
  returnCostOf: (output: Output) => Money | undefined,
): DocumentLine => {
  const base = {
    outputId: output.id,
    state: output.state,
    portCode: output.portCode,
    amount: price.amount,
    budget: price.budget,
    feeAndCost: price.feeAndCost,
  };
  switch (output.state) {
    case 'rejected':
    case 'cancelled':
      return { ...base, credited: price.budget, returnCost: zero };
    case 'returned': {
      const portCost = returnCostOf(output);
      const cost = portCost === undefined ? zero : returnCostInOrigin(price, portCost);
      return {
        ...base,
        credited: money(price.budget.amount - cost.amount, originOf(price)),
        returnCost: cost,
      };
    }
    case 'accepting':
    case 'accepted':
    case 'working':
    case 'settling':
    case 'settled':
    case 'failed':
      return { ...base, credited: zero, returnCost: zero };
    default:
      return output.state satisfies never;
  }
};

const originOf = (price: OutputPrice) => ({ code: price.budget.currency, exponent: price.budget.scale });
