import { describe, expect, it } from 'vitest';
import { HOUR, MINUTE, SECOND, START, type World, world } from '../support/world.js';

/**
 * The timed moves of SPEC section 9 with the sandbox's default delays: acceptance checks
 * 2 s after an output's creation, the quote 1 s after the request for destinations that
 * are not delayed (1 hour for us_usd), quote expiry after 10 minutes (`quote_not_accepted`),
 * the funds deadline 12 hours after the quote (`payment_not_received`), draft pruning
 * after 24 hours (`draft_was_pruned`), and working outputs issued 10 minutes into work and
 * settled 1 hour after issue. The figures are SPEC's, written here, not read from the code.
 */

const FUNDS = { portCode: 'ar_ars', amount: '1000000' };

/** A draft of a funded payer with one output to cl_clp, its checks passed. */
const checkedDraft = (w: World, outcome: Parameters<World['output']>[1] = {}) => {
  const payer = w.payer(FUNDS);
  const request = w.draft(payer.id);
  const output = w.output(request.id, outcome);
  w.advance(2 * SECOND);
  return { payer, request, output };
};

/** A request quoted at START + 3 s (checks at 2 s, quote requested then, produced 1 s later). */
const quoted = (w: World, outcome: Parameters<World['output']>[1] = {}) => {
  const made = checkedDraft(w, outcome);
  w.service.requestQuote(w.master, made.request.id)._unsafeUnwrap();
  w.advance(SECOND);
  expect(w.request(made.request.id).state).toBe('quoted');
  return made;
};

const iso = (ms: number) => new Date(START + ms).toISOString();

describe('acceptance checks (SPEC sections 2, 4, 9)', () => {
  it('run 2 s after the output is created, not before: accepting until then, accepted at 2 s', () => {
    const w = world();
    const request = w.draft(w.payer().id);
    const output = w.output(request.id);
    expect(output.state).toBe('accepting');
    w.advance(2 * SECOND - 1);
    expect(w.outputOf(output.id).state).toBe('accepting');
    expect(w.request(request.id).counters.accepting).toBe(1);
    w.advance(1);
    expect(w.outputOf(output.id).state).toBe('accepted');
    expect(w.request(request.id).counters).toMatchObject({ accepting: 0, accepted: 1, total: 1 });
    expect(w.eventsOf(output.id)).toEqual([
      { type: 'concierge_request_output_accepting', at: 0 },
      { type: 'concierge_request_output_accepted', at: 2 * SECOND },
    ]);
  });

  it('an output paying an account of the rejected row is rejected with instruction_mismatch (SPEC 9 magic values)', () => {
    const w = world();
    const request = w.draft(w.payer().id);
    const output = w.output(request.id, { outcome: 'rejected' });
    w.advance(2 * SECOND);
    const after = w.outputOf(output.id);
    expect(after.state).toBe('rejected');
    expect(after.rejectionReason).toBe('instruction_mismatch');
    expect(w.request(request.id).counters).toMatchObject({ rejected: 1, accepting: 0 });
  });

  it('an amount outside the destination port limits is rejected with amount_out_of_range (SPEC 4, check 3)', () => {
    const w = world();
    const request = w.draft(w.payer().id);
    // cl_clp takes 1000 to 50,000,000 CLP in these tests' catalog.
    const low = w.output(request.id, { amount: 999 });
    const least = w.output(request.id, { amount: 1000 });
    const most = w.output(request.id, { amount: 50_000_000 });
    const high = w.output(request.id, { amount: 50_000_001 });
    w.advance(2 * SECOND);
    expect(
      [low, least, most, high].map((o) => [w.outputOf(o.id).state, w.outputOf(o.id).rejectionReason]),
    ).toEqual([
      ['rejected', 'amount_out_of_range'],
      ['accepted', null],
      ['accepted', null],
      ['rejected', 'amount_out_of_range'],
    ]);
  });

  it('a budget is checked converted at the current rate (SPEC 4, check 3)', () => {
    const w = world();
    const request = w.draft(w.payer().id);
    // ARS → CLP at 0.5 with a 1% fee: a budget of 2000 ARS is 990 CLP (under 1000), 2100 ARS is 1039.5.
    const under = w.output(request.id, { budget: 2000 });
    const over = w.output(request.id, { budget: 2100 });
    w.advance(2 * SECOND);
    expect(w.outputOf(under.id)).toMatchObject({ state: 'rejected', rejectionReason: 'amount_out_of_range' });
    expect(w.outputOf(over.id).state).toBe('accepted');
  });

  it('a payee rejected by compliance is rejected with compliance_rejected; new and disabled wait (SPEC 4, check 1)', () => {
    const w = world();
    const request = w.draft(w.payer().id);
    const rejected = w.output(request.id, { payeeEmail: 'ana+rejected@example.com' });
    const fresh = w.output(request.id, { payeeEmail: 'bo+new@example.com' });
    const disabled = w.output(request.id, { payeeEmail: 'cy+disabled@example.com' });
    w.advance(HOUR);
    expect(w.outputOf(rejected.id)).toMatchObject({
      state: 'rejected',
      rejectionReason: 'compliance_rejected',
    });
    expect(w.outputOf(fresh.id).state).toBe('accepting');
    expect(w.outputOf(disabled.id).state).toBe('accepting');
    // Enabling the payee runs the waiting output's checks again, at once.
    w.service.setCompliance(w.master, fresh.payeeId, 'enabled')._unsafeUnwrap();
    expect(w.outputOf(fresh.id).state).toBe('accepted');
    expect(w.outputOf(disabled.id).state).toBe('accepting');
  });

  it('outputs added in one millisecond are checked at one instant, each once, those accepted in the order added', () => {
    const w = world();
    const request = w.draft(w.payer().id);
    const outputs = [
      w.output(request.id),
      w.output(request.id, { outcome: 'rejected' }),
      w.output(request.id),
    ];
    w.advance(2 * SECOND);
    const moved = w.service
      .listEvents(w.master)
      .filter((e) => e.eventType !== 'concierge_request_output_accepting' && e.resource === 'output');
    expect(moved.every((e) => e.at === START + 2 * SECOND)).toBe(true);
    expect(
      moved.filter((e) => e.eventType === 'concierge_request_output_accepted').map((e) => e.resourceId),
    ).toEqual([outputs[0]?.id, outputs[2]?.id]);
    expect(
      moved.filter((e) => e.eventType === 'concierge_request_output_rejected').map((e) => e.resourceId),
    ).toEqual([outputs[1]?.id]);
    expect(moved).toHaveLength(3);
  });
});

describe('the quote (SPEC sections 3, 6, 9)', () => {
  it('for destinations not delayed: eta is the request time, the quote comes one quote step (1 s) later', () => {
    const w = world();
    const { request } = checkedDraft(w);
    const asked = w.service.requestQuote(w.master, request.id)._unsafeUnwrap();
    expect(asked).toMatchObject({
      state: 'quote_requested',
      eta: iso(2 * SECOND),
      quoteRequestedAt: iso(2 * SECOND),
      totalToSpend: null,
    });
    w.advance(SECOND - 1);
    expect(w.request(request.id).state).toBe('quote_requested');
    w.advance(1);
    const after = w.request(request.id);
    expect(after.state).toBe('quoted');
    expect(after.quotedAt).toBe(iso(3 * SECOND));
    // 5000 CLP at 0.5 × (1 − 0.01) = 0.495: a budget of 10101.0101… ARS, rounded up to 10101.02.
    expect(after.totalToSpend).toEqual({ amount: 1010102n, currency: 'ARS', scale: 2 });
  });

  it('for a delayed destination (us_usd, 1 hour) the quote comes at the eta, the slowest destination deciding', () => {
    const w = world();
    const payer = w.payer(FUNDS);
    const request = w.draft(payer.id);
    w.output(request.id, { port: 'cl_clp' });
    w.output(request.id, { port: 'us_usd', amount: 10 });
    w.advance(2 * SECOND);
    const asked = w.service.requestQuote(w.master, request.id)._unsafeUnwrap();
    expect(asked.eta).toBe(iso(2 * SECOND + HOUR));
    w.advance(HOUR - 1);
    expect(w.request(request.id).state).toBe('quote_requested');
    w.advance(1);
    expect(w.request(request.id)).toMatchObject({ state: 'quoted', quotedAt: iso(2 * SECOND + HOUR) });
  });

  it('a rejected output does not delay the quote: only accepting and accepted outputs are priced', () => {
    const w = world();
    const payer = w.payer(FUNDS);
    const request = w.draft(payer.id);
    w.output(request.id, { port: 'cl_clp' });
    const slow = w.output(request.id, { port: 'us_usd', amount: 10, outcome: 'rejected' });
    w.advance(2 * SECOND);
    expect(w.outputOf(slow.id).state).toBe('rejected');
    const asked = w.service.requestQuote(w.master, request.id)._unsafeUnwrap();
    expect(asked.eta).toBe(iso(2 * SECOND));
    w.advance(SECOND);
    expect(w.request(request.id).state).toBe('quoted');
    expect(w.outputOf(slow.id)).toMatchObject({ state: 'rejected', rate: null });
  });

  it('a quote sets accept_quote_before 10 minutes and provision_funds_before 12 hours after it is produced', () => {
    const w = world();
    const { request } = quoted(w);
    expect(w.request(request.id)).toMatchObject({
      acceptQuoteBefore: iso(3 * SECOND + 10 * MINUTE),
      provisionFundsBefore: iso(3 * SECOND + 12 * HOUR),
    });
  });

  it('the quote event is emitted at the instant the quote is produced', () => {
    const w = world();
    const { request } = quoted(w);
    expect(w.eventsOf(request.id)).toEqual([
      { type: 'concierge_request_draft', at: 0 },
      { type: 'concierge_request_quote_requested', at: 2 * SECOND },
      { type: 'concierge_request_quoted', at: 3 * SECOND },
    ]);
  });
});

describe('deadlines (SPEC section 3)', () => {
  it('a quote not accepted by accept_quote_before is cancelled with quote_not_accepted, its outputs cancelled', () => {
    const w = world();
    const { request, output } = quoted(w);
    w.advance(10 * MINUTE - 1);
    expect(w.request(request.id).state).toBe('quoted');
    w.advance(1);
    expect(w.request(request.id)).toMatchObject({
      state: 'cancelled',
      cancellationReason: 'quote_not_accepted',
    });
    expect(w.outputOf(output.id)).toMatchObject({ state: 'cancelled' });
    expect(w.eventsOf(request.id).at(-1)).toEqual({
      type: 'concierge_request_cancelled',
      at: 3 * SECOND + 10 * MINUTE,
    });
  });

  it('a quote accepted a millisecond before accept_quote_before is not expired', () => {
    const w = world();
    const { request } = quoted(w);
    w.advance(10 * MINUTE - 1);
    w.service.acceptQuote(w.master, request.id)._unsafeUnwrap();
    w.advance(SECOND);
    expect(w.request(request.id).state).toBe('working');
  });

  it('accept_quote at the deadline itself is refused: the quote expired (SPEC 3: only before accept_quote_before)', () => {
    const w = world();
    const { request } = quoted(w);
    w.advance(10 * MINUTE);
    const refused = w.service.acceptQuote(w.master, request.id);
    expect(refused._unsafeUnwrapErr()).toMatchObject({ type: 'conflict', status: 409 });
  });

  it('an accepted quote whose funds are not there by provision_funds_before is cancelled with payment_not_received', () => {
    const w = world();
    const payer = w.payer();
    const request = w.draft(payer.id);
    const output = w.quoteRequested(request.id);
    w.advance(SECOND);
    w.service.acceptQuote(w.master, request.id)._unsafeUnwrap();
    w.advance(12 * HOUR - 1);
    expect(w.request(request.id).state).toBe('quote_accepted');
    w.advance(1);
    expect(w.request(request.id)).toMatchObject({
      state: 'cancelled',
      cancellationReason: 'payment_not_received',
    });
    expect(w.outputOf(output.id).state).toBe('cancelled');
    expect(w.eventsOf(request.id).at(-1)).toEqual({
      type: 'concierge_request_cancelled',
      at: 3 * SECOND + 12 * HOUR,
    });
  });

  it('a draft left without a quote request is pruned 24 hours after its creation (draft_was_pruned)', () => {
    const w = world();
    const request = w.draft(w.payer().id);
    const output = w.output(request.id);
    w.advance(24 * HOUR - 1);
    expect(w.request(request.id).state).toBe('draft');
    w.advance(1);
    expect(w.request(request.id)).toMatchObject({
      state: 'cancelled',
      cancellationReason: 'draft_was_pruned',
    });
    expect(w.outputOf(output.id).state).toBe('cancelled');
  });

  it('a draft whose quote was requested is not pruned, nor is a quote accepted in time expired', () => {
    const w = world();
    const { request } = quoted(w);
    w.service.acceptQuote(w.master, request.id)._unsafeUnwrap();
    w.advance(30 * HOUR);
    expect(w.request(request.id).cancellationReason).toBeNull();
    expect(['working', 'finished']).toContain(w.request(request.id).state);
  });
});

describe('the start of work (SPEC sections 2, 3)', () => {
  it('starts 1 s after the accept when the balance covers total_to_spend: debited, funds_available = total', () => {
    const w = world();
    const { payer, request, output } = quoted(w);
    w.service.acceptQuote(w.master, request.id)._unsafeUnwrap();
    expect(w.request(request.id).state).toBe('quote_accepted');
    w.advance(SECOND - 1);
    expect(w.request(request.id).state).toBe('quote_accepted');
    w.advance(1);
    const working = w.request(request.id);
    expect(working.state).toBe('working');
    expect(working.fundsAvailable).toEqual(working.totalToSpend);
    expect(w.outputOf(output.id)).toMatchObject({ state: 'working', attempts: 1 });
    // 1,000,000.00 − 10,101.02 ARS.
    const balance = w.service.getUser(w.master, payer.id)._unsafeUnwrap().balances.ars;
    expect(balance?.amount).toBe(98989898n);
  });

  it('a deposit that covers an accepted quote starts it 1 s later, not at once', () => {
    const w = world();
    const payer = w.payer();
    const request = w.draft(payer.id);
    w.quoteRequested(request.id);
    w.advance(SECOND);
    w.service.acceptQuote(w.master, request.id)._unsafeUnwrap();
    w.advance(HOUR);
    expect(w.request(request.id).state).toBe('quote_accepted');
    // Not enough: 10,101.01 for 10,101.02.
    w.service.deposit(w.master, payer.id, { portCode: 'ar_ars', amount: '10101.01' })._unsafeUnwrap();
    w.advance(HOUR);
    expect(w.request(request.id).state).toBe('quote_accepted');
    w.service.deposit(w.master, payer.id, { portCode: 'ar_ars', amount: '0.01' })._unsafeUnwrap();
    expect(w.request(request.id).state).toBe('quote_accepted');
    w.advance(SECOND);
    expect(w.request(request.id).state).toBe('working');
    expect(w.service.getUser(w.master, payer.id)._unsafeUnwrap().balances.ars?.amount).toBe(0n);
    expect(w.failures).toEqual([]);
  });

  it('a deposit to another payer does not start a request it does not pay for', () => {
    const w = world();
    const payer = w.payer();
    const request = w.draft(payer.id);
    w.quoteRequested(request.id);
    w.advance(SECOND);
    w.service.acceptQuote(w.master, request.id)._unsafeUnwrap();
    const other = w.payer();
    w.service.deposit(w.master, other.id, FUNDS)._unsafeUnwrap();
    w.advance(HOUR);
    expect(w.request(request.id).state).toBe('quote_accepted');
  });
});

describe('the progress of working outputs (SPEC sections 4, 9)', () => {
  /** Working from START + 4 s (quoted at 3 s, accepted then, funds looked for 1 s later). */
  const working = (w: World, outcome: Parameters<World['output']>[1] = {}) => {
    const made = quoted(w, outcome);
    w.service.acceptQuote(w.master, made.request.id)._unsafeUnwrap();
    w.advance(SECOND);
    expect(w.request(made.request.id).state).toBe('working');
    return made;
  };
  const T0 = 4 * SECOND;

  it('an account that settles: issued 10 minutes into work, settled 1 hour after issue; then the request is finished', () => {
    const w = world();
    const { request, output } = working(w, { outcome: 'settles' });
    w.advance(10 * MINUTE - 1);
    expect(w.outputOf(output.id).state).toBe('working');
    w.advance(1);
    expect(w.outputOf(output.id).state).toBe('settling');
    w.advance(HOUR - 1);
    expect(w.outputOf(output.id).state).toBe('settling');
    w.advance(1);
    expect(w.outputOf(output.id).state).toBe('settled');
    expect(w.request(request.id).state).toBe('finished');
    expect(w.eventsOf(output.id).slice(2)).toEqual([
      { type: 'concierge_request_output_working', at: T0 },
      { type: 'concierge_request_output_settling', at: T0 + 10 * MINUTE },
      { type: 'concierge_request_output_settled', at: T0 + 70 * MINUTE },
    ]);
  });

  it('any other valid account settles by itself on the same schedule', () => {
    const w = world();
    const { output } = working(w, { outcome: 'other' });
    w.advance(70 * MINUTE);
    expect(w.outputOf(output.id).state).toBe('settled');
  });

  it('an account that fails once: fails 1 h 10 min in, retried 10 minutes later, settles 2 h 30 min in', () => {
    const w = world();
    const { output } = working(w, { outcome: 'fails_once' });
    w.advance(3 * HOUR);
    expect(w.outputOf(output.id)).toMatchObject({ state: 'settled', attempts: 2 });
    expect(w.eventsOf(output.id).slice(2)).toEqual([
      { type: 'concierge_request_output_working', at: T0 },
      { type: 'concierge_request_output_settling', at: T0 + 10 * MINUTE },
      { type: 'concierge_request_output_failed', at: T0 + 70 * MINUTE },
      { type: 'concierge_request_output_working', at: T0 + 80 * MINUTE },
      { type: 'concierge_request_output_settling', at: T0 + 90 * MINUTE },
      { type: 'concierge_request_output_settled', at: T0 + 150 * MINUTE },
    ]);
  });

  it('an account that fails until returned: three attempts, returned 4 hours in, budget minus return cost back', () => {
    const w = world();
    const { payer, request, output } = working(w, { outcome: 'fails_until_returned' });
    w.advance(4 * HOUR - 1);
    expect(w.outputOf(output.id).state).toBe('failed');
    w.advance(1);
    expect(w.outputOf(output.id)).toMatchObject({
      state: 'returned',
      attempts: 3,
      failureReason: 'refused_by_receiving_bank',
    });
    expect(w.eventsOf(output.id).map((e) => e.type.replace('concierge_request_output_', ''))).toEqual([
      'accepting',
      'accepted',
      ...['working', 'settling', 'failed'],
      ...['working', 'settling', 'failed'],
      ...['working', 'settling', 'failed'],
      'returned',
    ]);
    expect(w.eventsOf(output.id).at(-1)?.at).toBe(T0 + 4 * HOUR);
    expect(w.request(request.id).state).toBe('finished');
    // cl_clp's return cost is 3000 CLP, 6000 ARS at the output's rate 0.5: of the 10,101.02
    // ARS budget, 4,101.02 come back.
    const ars = w.service.getUser(w.master, payer.id)._unsafeUnwrap().balances.ars?.amount;
    expect(ars).toBe(98989898n + 410102n);
  });

  it('with maxAttempts 2 an account that fails until returned is given up after its second failure', () => {
    const w = world({ maxAttempts: 2 });
    const { output } = working(w, { outcome: 'fails_until_returned' });
    w.advance(3 * HOUR);
    expect(w.outputOf(output.id)).toMatchObject({ state: 'returned', attempts: 2 });
  });

  it('an output the operator moved on ignores the step planned for its earlier attempt', () => {
    const w = world();
    const { output } = working(w, { outcome: 'settles' });
    w.advance(10 * MINUTE);
    w.service.outputAction(w.master, output.id, 'fail')._unsafeUnwrap();
    w.service.outputAction(w.master, output.id, 'retry')._unsafeUnwrap();
    expect(w.outputOf(output.id)).toMatchObject({ state: 'working', attempts: 2 });
    // The settle planned for attempt 1 (at 70 min) does nothing; attempt 2 is issued 10 min after the retry.
    w.advance(10 * MINUTE - 1);
    expect(w.outputOf(output.id).state).toBe('working');
    w.advance(1);
    expect(w.outputOf(output.id).state).toBe('settling');
    w.advance(HOUR);
    expect(w.outputOf(output.id).state).toBe('settled');
  });

  it('without magic values (the real service) a working output waits for the provider: nothing moves it', () => {
    const w = world({
      policy: {
        initialCompliance: () => 'enabled',
        instructionVerdict: () => null,
        outcomeScript: () => null,
      },
    });
    const { output } = working(w);
    w.advance(48 * HOUR);
    expect(w.outputOf(output.id).state).toBe('working');
    expect(w.service.nextDueAt()).toBeNull();
  });
});

describe('moves of a request that moved on do nothing when they come due (SPEC section 3)', () => {
  it('a draft cancelled by the user: its outputs are not checked, it is not pruned', () => {
    const w = world();
    const request = w.draft(w.payer().id);
    const output = w.output(request.id);
    w.service.cancelRequest(w.master, request.id)._unsafeUnwrap();
    w.advance(25 * HOUR);
    expect(w.request(request.id)).toMatchObject({
      state: 'cancelled',
      cancellationReason: 'cancelled_by_user',
    });
    expect(w.eventsOf(output.id).map((e) => e.type)).toEqual([
      'concierge_request_output_accepting',
      'concierge_request_output_cancelled',
    ]);
    expect(w.eventsOf(request.id).map((e) => e.type)).toEqual([
      'concierge_request_draft',
      'concierge_request_cancelled',
    ]);
  });

  it('a quote request cancelled before its eta gets no quote', () => {
    const w = world();
    const { request } = checkedDraft(w);
    w.service.requestQuote(w.master, request.id)._unsafeUnwrap();
    w.service.cancelRequest(w.master, request.id)._unsafeUnwrap();
    w.advance(HOUR);
    expect(w.eventsOf(request.id).map((e) => e.type)).toEqual([
      'concierge_request_draft',
      'concierge_request_quote_requested',
      'concierge_request_cancelled',
    ]);
    expect(w.failures).toEqual([]);
  });

  it('a request cancelled by its quote expiry is not also cancelled by its funds deadline or pruning', () => {
    const w = world();
    const { request } = quoted(w);
    w.service.runUntilIdle(w.clock)._unsafeUnwrap();
    expect(w.eventsOf(request.id).filter((e) => e.type === 'concierge_request_cancelled')).toHaveLength(1);
    expect(w.request(request.id).cancellationReason).toBe('quote_not_accepted');
  });

  it('every output rejected while the quote is requested cancels the request (no_payable_outputs)', () => {
    const w = world();
    const request = w.draft(w.payer().id);
    const output = w.output(request.id, { outcome: 'rejected' });
    w.service.requestQuote(w.master, request.id)._unsafeUnwrap();
    // Asked before the checks ran: the output is accepting, so the request may ask for a quote.
    expect(w.request(request.id).state).toBe('quote_requested');
    w.advance(2 * SECOND);
    expect(w.outputOf(output.id).state).toBe('rejected');
    expect(w.request(request.id)).toMatchObject({
      state: 'cancelled',
      cancellationReason: 'no_payable_outputs',
    });
  });
});
