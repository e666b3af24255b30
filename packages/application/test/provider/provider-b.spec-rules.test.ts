import { testInstructionBody } from '@concierge-ts/domain';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConciergeService, MAGIC_VALUES } from '../../src/index.js';
import {
  CountingIds,
  HandClock,
  HOUR,
  ListEventStore,
  locationOf,
  mapRepositories,
  RememberedHints,
  SECOND,
  START,
  TablePricing,
  testCatalog,
  type World,
  world,
} from '../support/world.js';

/**
 * Rules of the provider's documents, quotes, deadlines, outputs and estimates that the
 * fake provider must keep as the real API does (SPEC sections 3, 5, 6, 7 and 9).
 */

const FUNDS = { portCode: 'ar_ars', amount: '1000000' };

/** A request working with one output that settles (quote asked at 2 s, accepted at 3 s, work at 4 s). */
const working = (w: World) => {
  const payer = w.payer(FUNDS);
  const request = w.draft(payer.id);
  const output = w.output(request.id, { outcome: 'settles' });
  w.advance(2 * SECOND);
  w.service.requestQuote(w.master, request.id)._unsafeUnwrap();
  w.advance(SECOND);
  w.service.acceptQuote(w.master, request.id)._unsafeUnwrap();
  w.advance(SECOND);
  return { payer, request, output };
};

afterEach(() => {
  vi.restoreAllMocks();
});

describe("a request's documents (SPEC section 7)", () => {
  it('a receipt_url only once the payer is charged: a draft has none', () => {
    const w = world();
    const draft = w.draft(w.payer(FUNDS).id);
    expect(w.request(draft.id)).toMatchObject({ receiptUrl: null, creditNoteUrl: null });
    const { request } = working(w);
    expect(w.request(request.id)).toMatchObject({
      state: 'working',
      receiptUrl: `/api/concierge_requests/${request.id}/receipt`,
      creditNoteUrl: null,
    });
  });

  it('the receipt and the credit note of a request are two concierge_documents resources: their ids differ', () => {
    const w = world();
    const { request, output } = working(w);
    // Cancelled by the provider: its full budget goes back to the payer, so a credit note exists.
    w.service.outputAction(w.master, output.id, 'cancel')._unsafeUnwrap();
    const receipt = w.service.getDocument(w.master, request.id, 'receipt')._unsafeUnwrap();
    const creditNote = w.service.getDocument(w.master, request.id, 'credit_note')._unsafeUnwrap();
    expect(receipt.kind).toBe('receipt');
    expect(creditNote.kind).toBe('credit_note');
    expect(receipt.id).not.toBe('');
    expect(creditNote.id).not.toBe('');
    expect(receipt.id).not.toBe(creditNote.id);
  });
});

describe('quotes at an estimate’s prices (SPEC section 6)', () => {
  it('a request_quote with a hint token is quoted at the estimate’s prices, without asking the rate source again', () => {
    const w = world();
    const request = w.draft(w.payer().id);
    w.output(request.id, { port: 'cl_clp', amount: 5000 });
    w.advance(2 * SECOND);
    const estimate = w.service
      .createEstimate({ portCode: 'ar_ars', outputs: [{ portCode: 'cl_clp', amount: 5000 }] })
      ._unsafeUnwrap();
    // 5000 CLP at rate 0.5, fee 1 %: all_in_rate 0.495, budget 5000 / 0.495 = 10101.0101… ARS, rounded up.
    expect(estimate.totalToSpend).toEqual({ amount: 1010102n, currency: 'ARS', scale: 2 });
    w.pricing.down = true;
    w.service.requestQuote(w.master, request.id, { hintToken: estimate.hintToken })._unsafeUnwrap();
    w.advance(SECOND);
    expect(w.request(request.id)).toMatchObject({
      state: 'quoted',
      totalToSpend: { amount: 1010102n, currency: 'ARS', scale: 2 },
    });
    expect(w.failures).toEqual([]);
  });
});

describe('deadlines (SPEC section 3)', () => {
  it('a draft that got its quote request is not pruned: its pruning time does nothing, and no timed move fails', () => {
    const w = world();
    const request = w.draft(w.payer().id);
    w.quoteRequested(request.id);
    // Quoted 1 s later, never accepted: cancelled 10 minutes after the quote.
    w.advance(25 * HOUR);
    expect(w.request(request.id)).toMatchObject({
      state: 'cancelled',
      cancellationReason: 'quote_not_accepted',
    });
    expect(w.failures).toEqual([]);
  });
});

describe('outputs (SPEC sections 5 and 7)', () => {
  it("listing outputs by another master's request id shows none of them", () => {
    const w = world();
    const other = w.service.createMasterUser({ email: 'other@example.com' });
    const theirs = w.draft(w.payer(FUNDS, other).id, 'ar_ars', other);
    w.output(theirs.id, { as: other });
    expect(w.service.listOutputs(other, { requestId: theirs.id })._unsafeUnwrap().items).toHaveLength(1);
    expect(w.service.listOutputs(w.master, { requestId: theirs.id })._unsafeUnwrap().items).toEqual([]);
  });
});

describe('synchronous validation of port codes and estimate lines (SPEC section 5)', () => {
  it('a port_code that is not a string is refused as invalid_port_code at the field', () => {
    const w = world();
    const payer = w.payer();
    const refused = w.service
      .createRequest(w.master, { portCode: 5 as unknown as string, payerId: payer.id })
      ._unsafeUnwrapErr();
    expect(refused).toMatchObject({ type: 'unprocessable', status: 422, code: 'invalid_port_code' });
    expect(locationOf(refused)).toBe('/data/attributes/port_code');
  });

  it('an estimate line that is not an object (a number, a string) is refused at its index as invalid_attribute', () => {
    const w = world();
    for (const line of [5, 'cl_clp']) {
      const refused = w.service
        .createEstimate({ portCode: 'ar_ars', outputs: [line as never] })
        ._unsafeUnwrapErr();
      expect(refused).toMatchObject({ type: 'unprocessable', status: 422, code: 'invalid_attribute' });
      expect(locationOf(refused)).toBe('/data/attributes/outputs/0');
    }
  });
});

describe('a timed move that fails (SPEC section 9: the sandbox moves on its own)', () => {
  it('is written to the console as an error when no one else is told', () => {
    const logged = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const clock = new HandClock();
    const pricing = new TablePricing();
    const catalog = testCatalog();
    const service = new ConciergeService({
      repositories: mapRepositories(),
      catalog: { catalog: () => catalog },
      pricing,
      clock,
      ids: new CountingIds(),
      events: new ListEventStore(),
      hints: new RememberedHints(),
      policy: MAGIC_VALUES,
    });
    const master = service.createMasterUser({ email: 'master@example.com' });
    const payer = service.createUser(master, { email: 'payer@example.com' })._unsafeUnwrap();
    const payee = service.createUser(master, { email: 'payee@example.com' })._unsafeUnwrap();
    const wi = service
      .createWithdrawalInstruction(master, {
        userId: payee.id,
        label: 'cl',
        body: testInstructionBody('cl_clp', 'settles'),
      })
      ._unsafeUnwrap();
    const request = service.createRequest(master, { portCode: 'ar_ars', payerId: payer.id })._unsafeUnwrap();
    service
      .createOutput(master, {
        requestId: request.id,
        payeeId: payee.id,
        withdrawalInstructionId: wi.id,
        portCode: 'cl_clp',
        amount: 5000,
      })
      ._unsafeUnwrap();
    service.advance(clock, 2 * SECOND);
    service.requestQuote(master, request.id)._unsafeUnwrap();
    pricing.down = true;
    expect(logged).not.toHaveBeenCalled();
    service.advance(clock, SECOND);
    expect(logged).toHaveBeenCalledTimes(1);
    expect(logged.mock.calls[0]?.[1]).toMatchObject({
      at: START + 3 * SECOND,
      kind: 'produce_quote',
      requestId: request.id,
      error: { type: 'server' },
    });
    expect(service.getRequest(master, request.id)._unsafeUnwrap().state).toBe('quote_requested');
  });
});

describe('the start of work waits for the payer’s balance to cover total_to_spend (SPEC section 3)', () => {
  /** A quote_accepted request of `payerId` paying one output of 5,000 CLP, and that output. */
  const accepted = (w: World, payerId: string) => {
    const request = w.draft(payerId);
    const output = w.output(request.id);
    w.advance(2 * SECOND);
    w.service.requestQuote(w.master, request.id)._unsafeUnwrap();
    w.advance(SECOND);
    w.service.acceptQuote(w.master, request.id)._unsafeUnwrap();
    return { request, output };
  };
  /** The deposit that pays `total` exactly (ARS has two decimals). */
  const depositOf = (total: { amount: bigint } | null) => ({
    portCode: 'ar_ars',
    amount: `${total!.amount / 100n}.${String(total!.amount % 100n).padStart(2, '0')}`,
  });

  it('money credited back to the payer (a cancelled output of another request) starts a request that waited for it', () => {
    const w = world();
    const payer = w.payer();
    const first = accepted(w, payer.id);
    const total = w.request(first.request.id).totalToSpend;
    expect(total).not.toBeNull();
    w.service.deposit(w.master, payer.id, depositOf(total))._unsafeUnwrap();
    w.advance(SECOND);
    expect(w.request(first.request.id).state).toBe('working');

    // The same output again: the same total, and nothing left on the balance to pay it.
    const second = accepted(w, payer.id);
    expect(w.request(second.request.id).totalToSpend).toEqual(total);
    w.advance(SECOND);
    expect(w.request(second.request.id).state).toBe('quote_accepted');

    // The provider cancels the first request's output: its budget, the whole total, comes back.
    w.service.outputAction(w.master, first.output.id, 'cancel')._unsafeUnwrap();
    w.advance(SECOND);
    expect(w.request(second.request.id)).toMatchObject({ state: 'working', fundsAvailable: total });
  });

  it('money credited back by a returned output (its budget less the return cost) starts a smaller request that waited for it', () => {
    const w = world();
    const payer = w.payer();
    const first = accepted(w, payer.id);
    w.service
      .deposit(w.master, payer.id, depositOf(w.request(first.request.id).totalToSpend))
      ._unsafeUnwrap();
    w.advance(SECOND);
    expect(w.request(first.request.id).state).toBe('working');

    // A fifth of the first output: its total is under what the return gives back (the return cost is 6,000 ARS here).
    const request = w.draft(payer.id);
    w.output(request.id, { amount: 1000 });
    w.advance(2 * SECOND);
    w.service.requestQuote(w.master, request.id)._unsafeUnwrap();
    w.advance(SECOND);
    w.service.acceptQuote(w.master, request.id)._unsafeUnwrap();
    w.advance(SECOND);
    expect(w.request(request.id).state).toBe('quote_accepted');

    for (const action of ['issue', 'fail', 'return'] as const)
      w.service.outputAction(w.master, first.output.id, action)._unsafeUnwrap();
    expect(w.outputOf(first.output.id).state).toBe('returned');
    w.advance(SECOND);
    expect(w.request(request.id).state).toBe('working');
  });

  it('money credited back to another payer starts nothing', () => {
    const w = world();
    const other = w.payer();
    const first = accepted(w, other.id);
    const total = w.request(first.request.id).totalToSpend;
    w.service.deposit(w.master, other.id, depositOf(total))._unsafeUnwrap();
    w.advance(SECOND);
    const waiting = accepted(w, w.payer().id);
    w.service.outputAction(w.master, first.output.id, 'cancel')._unsafeUnwrap();
    w.advance(SECOND);
    expect(w.request(waiting.request.id).state).toBe('quote_accepted');
  });
});
