import { describe, expect, it } from 'vitest';
import { MAX_ADVANCE_SECONDS, serviceOperator } from '../../src/index.js';
import { HOUR, locationOf, SECOND, START, type World, world } from '../support/world.js';

/**
 * The sandbox operator (SPEC section 9): what a human at the provider would do, on
 * demand, acting on the caller's tenant only.
 */

const FUNDS = { portCode: 'ar_ars', amount: '1000000' };

/** A second master user of the same service, with a request and an output of its own. */
const otherTenant = (w: World) => {
  const other = w.service.createMasterUser({ email: 'other@example.com' });
  const payer = w.payer(FUNDS, other);
  const request = w.draft(payer.id, 'ar_ars', other);
  const output = w.output(request.id, { as: other });
  return { other, payer, request, output };
};

/** A request working at START + 4 s with one output that settles. */
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

describe("the operator acts on the caller's tenant only (SPEC section 9)", () => {
  it("another master's users, requests and outputs are not found (404), and nothing of theirs changes", () => {
    const w = world();
    const theirs = otherTenant(w);
    const s = w.service;
    expect(s.setCompliance(w.master, theirs.payer.id, 'disabled')._unsafeUnwrapErr()).toMatchObject({
      type: 'not_found',
      status: 404,
    });
    expect(s.deposit(w.master, theirs.payer.id, FUNDS)._unsafeUnwrapErr()).toMatchObject({
      type: 'not_found',
      status: 404,
    });
    expect(s.produceQuoteNow(w.master, theirs.request.id)._unsafeUnwrapErr()).toMatchObject({ status: 404 });
    expect(s.outputAction(w.master, theirs.output.id, 'accept')._unsafeUnwrapErr()).toMatchObject({
      status: 404,
    });
    const user = s.getUser(theirs.other, theirs.payer.id)._unsafeUnwrap();
    expect(user.complianceState).toBe('enabled');
    expect(user.balances.ars?.amount).toBe(100000000n);
    expect(s.getOutput(theirs.other, theirs.output.id)._unsafeUnwrap().state).toBe('accepting');
  });

  it("the event log lists the caller's events only, oldest first", () => {
    const w = world();
    const theirs = otherTenant(w);
    const mine = w.draft(w.payer().id);
    const ids = (events: readonly { resourceId: string }[]) => events.map((e) => e.resourceId);
    expect(ids(w.service.listEvents(w.master))).toEqual([mine.id]);
    expect(ids(w.service.listEvents(theirs.other))).toEqual([
      theirs.request.id,
      theirs.output.withdrawalInstructionId,
      theirs.output.id,
    ]);
    const numbers = w.events.stored.map((e) => Number(e.id));
    expect(numbers).toEqual([...numbers].sort((a, b) => a - b));
  });
});

describe('compliance (SPEC sections 4, 8, 9)', () => {
  it('disabling a user is a user_disabled event carrying the user then, balances included; enabling it user_enabled', () => {
    const w = world();
    const payer = w.payer(FUNDS);
    w.service.setCompliance(w.master, payer.id, 'disabled')._unsafeUnwrap();
    const view = w.service.setCompliance(w.master, payer.id, 'enabled')._unsafeUnwrap();
    expect(view.complianceState).toBe('enabled');
    const events = w.service.listEvents(w.master).filter((e) => e.resourceId === payer.id);
    expect(events.map((e) => e.eventType)).toEqual(['user_disabled', 'user_enabled']);
    const first = w.service.presentEvent(events[0] as (typeof events)[number]).view.resource;
    expect(first).toMatchObject({ id: payer.id, complianceState: 'disabled' });
    expect((first as { balances: Record<string, { amount: bigint }> }).balances.ars?.amount).toBe(100000000n);
  });

  it('a move to new or rejected, or to the same state, is no event', () => {
    const w = world();
    const payee = w.user('payee@example.com');
    w.service.setCompliance(w.master, payee.id, 'enabled')._unsafeUnwrap();
    w.service.setCompliance(w.master, payee.id, 'new')._unsafeUnwrap();
    w.service.setCompliance(w.master, payee.id, 'rejected')._unsafeUnwrap();
    expect(w.service.listEvents(w.master).filter((e) => e.resourceId === payee.id)).toEqual([]);
  });

  it('an unknown state is refused at /state, changing nothing', () => {
    const w = world();
    const payee = w.user('payee@example.com');
    const refused = w.service.setCompliance(w.master, payee.id, 'suspended' as 'enabled')._unsafeUnwrapErr();
    expect(refused).toMatchObject({ type: 'unprocessable', status: 422, code: 'invalid_attribute' });
    expect(locationOf(refused)).toBe('/state');
    expect(w.service.getUser(w.master, payee.id)._unsafeUnwrap().complianceState).toBe('enabled');
  });

  it('rejecting a payee rejects its accepting outputs at once (compliance_rejected); others are untouched', () => {
    const w = world();
    const request = w.draft(w.payer().id);
    const waiting = w.output(request.id, { payeeEmail: 'ana+new@example.com' });
    const other = w.output(request.id);
    w.service.setCompliance(w.master, waiting.payeeId, 'rejected')._unsafeUnwrap();
    expect(w.outputOf(waiting.id)).toMatchObject({
      state: 'rejected',
      rejectionReason: 'compliance_rejected',
    });
    expect(w.outputOf(other.id).state).toBe('accepting');
  });
});

describe('deposits (SPEC section 9)', () => {
  it("credit the user's balance in the port's currency", () => {
    const w = world();
    const payer = w.payer();
    w.service.deposit(w.master, payer.id, { portCode: 'ar_ars', amount: '12.50' })._unsafeUnwrap();
    const view = w.service.deposit(w.master, payer.id, { portCode: 'us_usd', amount: 3 })._unsafeUnwrap();
    expect(view.balances).toEqual({
      ars: { amount: 1250n, currency: 'ARS', scale: 2 },
      usd: { amount: 300n, currency: 'USD', scale: 2 },
    });
  });

  it('refuse an unknown port at /port_code and a bad amount at /amount, crediting nothing', () => {
    const w = world();
    const payer = w.payer();
    const port = w.service.deposit(w.master, payer.id, { portCode: 'zz_zzz', amount: 10 })._unsafeUnwrapErr();
    expect(port).toMatchObject({ type: 'unprocessable', status: 422 });
    expect(locationOf(port)).toBe('/port_code');
    for (const amount of [-1, 0, '1.001', 'ten', null]) {
      const bad = w.service.deposit(w.master, payer.id, { portCode: 'ar_ars', amount })._unsafeUnwrapErr();
      expect(bad).toMatchObject({ type: 'unprocessable', status: 422 });
      expect(locationOf(bad)).toBe('/amount');
    }
    expect(w.service.getUser(w.master, payer.id)._unsafeUnwrap().balances).toEqual({});
  });
});

describe('produce a quote now (SPEC section 9)', () => {
  it('quotes a quote_requested request before its eta', () => {
    const w = world();
    const request = w.draft(w.payer().id);
    w.output(request.id, { port: 'us_usd', amount: 10 });
    w.advance(2 * SECOND);
    w.service.requestQuote(w.master, request.id)._unsafeUnwrap();
    const view = w.service.produceQuoteNow(w.master, request.id)._unsafeUnwrap();
    expect(view).toMatchObject({ state: 'quoted', quotedAt: new Date(START + 2 * SECOND).toISOString() });
    // The quote at the eta does nothing more.
    w.advance(HOUR);
    expect(w.eventsOf(request.id).filter((e) => e.type === 'concierge_request_quoted')).toHaveLength(1);
  });

  it('refuses a draft with 409 naming the state', () => {
    const w = world();
    const request = w.draft(w.payer().id);
    expect(w.service.produceQuoteNow(w.master, request.id)._unsafeUnwrapErr()).toMatchObject({
      type: 'conflict',
      status: 409,
    });
    expect(w.request(request.id).state).toBe('draft');
  });
});

describe('output actions (SPEC section 9)', () => {
  it('accept and reject an accepting output; reject defaults its reason to rejected_by_operator', () => {
    const w = world();
    const request = w.draft(w.payer().id);
    const a = w.output(request.id);
    const b = w.output(request.id);
    const c = w.output(request.id);
    expect(w.service.outputAction(w.master, a.id, 'accept')._unsafeUnwrap().state).toBe('accepted');
    expect(w.service.outputAction(w.master, b.id, 'reject')._unsafeUnwrap()).toMatchObject({
      state: 'rejected',
      rejectionReason: 'rejected_by_operator',
    });
    expect(
      w.service.outputAction(w.master, c.id, 'reject', { reason: 'sanctioned' })._unsafeUnwrap(),
    ).toMatchObject({ state: 'rejected', rejectionReason: 'sanctioned' });
  });

  it('issue, fail (refused_by_receiving_bank), retry, issue, settle a working output', () => {
    const w = world();
    const { output } = working(w);
    const act = (action: Parameters<World['service']['outputAction']>[2]) =>
      w.service.outputAction(w.master, output.id, action)._unsafeUnwrap();
    expect(act('issue').state).toBe('settling');
    expect(act('fail')).toMatchObject({ state: 'failed', failureReason: 'refused_by_receiving_bank' });
    expect(act('retry')).toMatchObject({ state: 'working', attempts: 2 });
    expect(act('issue').state).toBe('settling');
    expect(act('settle').state).toBe('settled');
  });

  it('return gives a failed output up; cancel (cancelled_by_provider) sends a working output back whole', () => {
    const w = world();
    const { payer, output } = working(w);
    w.service.outputAction(w.master, output.id, 'issue')._unsafeUnwrap();
    w.service.outputAction(w.master, output.id, 'fail')._unsafeUnwrap();
    expect(w.service.outputAction(w.master, output.id, 'return')._unsafeUnwrap().state).toBe('returned');
    const second = working(w);
    const cancelled = w.service.outputAction(w.master, second.output.id, 'cancel')._unsafeUnwrap();
    expect(cancelled).toMatchObject({ state: 'cancelled', cancellationReason: 'cancelled_by_provider' });
    // Its full budget (10,101.02 ARS) is back: the second payer has all its 1,000,000 again.
    expect(w.service.getUser(w.master, second.payer.id)._unsafeUnwrap().balances.ars?.amount).toBe(
      100000000n,
    );
    void payer;
  });

  it('an action the lifecycle forbids answers 409 and changes nothing', () => {
    const w = world();
    const request = w.draft(w.payer().id);
    const output = w.output(request.id);
    for (const action of ['issue', 'settle', 'fail', 'retry', 'return', 'cancel'] as const)
      expect(w.service.outputAction(w.master, output.id, action)._unsafeUnwrapErr()).toMatchObject({
        type: 'conflict',
        status: 409,
      });
    expect(w.outputOf(output.id).state).toBe('accepting');
  });

  it('an unknown action is not found; a reason that is not text is refused at /reason', () => {
    const w = world();
    const request = w.draft(w.payer().id);
    const output = w.output(request.id);
    expect(
      w.service.outputAction(w.master, output.id, 'explode' as 'accept')._unsafeUnwrapErr(),
    ).toMatchObject({
      type: 'not_found',
      status: 404,
    });
    expect(
      w.service.outputAction(w.master, output.id, 'toString' as 'accept')._unsafeUnwrapErr(),
    ).toMatchObject({ type: 'not_found' });
    const bad = w.service.outputAction(w.master, output.id, 'reject', { reason: 42 })._unsafeUnwrapErr();
    expect(bad).toMatchObject({ type: 'unprocessable', code: 'invalid_attribute' });
    expect(locationOf(bad)).toBe('/reason');
    expect(w.outputOf(output.id).state).toBe('accepting');
  });
});

describe('reset (SPEC section 9)', () => {
  it('empties the tenant but its master users: no users, requests, events or due moves remain', () => {
    const w = world();
    const { request } = working(w);
    w.service.reset();
    expect(
      w.service
        .listUsers(w.master)
        ._unsafeUnwrap()
        .items.map((u) => u.id),
    ).toEqual([w.master.id]);
    expect(w.service.getRequest(w.master, request.id)._unsafeUnwrapErr()).toMatchObject({ status: 404 });
    expect(w.service.listEvents(w.master)).toEqual([]);
    expect(w.service.nextDueAt()).toBeNull();
    expect(w.service.authenticate(w.master.apiKey).isOk()).toBe(true);
  });
});

describe('the in-process operator (SPEC section 9)', () => {
  const operatorOf = (w: World) => serviceOperator(w.service, w.clock, w.master.apiKey as string);

  it('advances the clock by seconds and answers the new time', async () => {
    const w = world();
    const request = w.draft(w.payer().id);
    const output = w.output(request.id);
    const now = (await operatorOf(w).advanceClock(2))._unsafeUnwrap();
    expect(now).toEqual({ now: new Date(START + 2 * SECOND).toISOString() });
    expect(w.outputOf(output.id).state).toBe('accepted');
  });

  it('refuses an advance that is not a number from 0 to a year, at /seconds, moving nothing', async () => {
    const w = world();
    const operator = operatorOf(w);
    expect(MAX_ADVANCE_SECONDS).toBe(366 * 24 * 3600);
    for (const seconds of [-1, Number.NaN, Number.POSITIVE_INFINITY, 366 * 24 * 3600 + 1, '5'])
      expect(locationOf((await operator.advanceClock(seconds as number))._unsafeUnwrapErr())).toBe(
        '/seconds',
      );
    expect(w.clock.now()).toBe(START);
    expect((await operator.advanceClock(0)).isOk()).toBe(true);
    expect((await operator.advanceClock(366 * 24 * 3600)).isOk()).toBe(true);
    expect(w.clock.now()).toBe(START + 366 * 24 * HOUR);
  });

  it('runs until idle, lists events with their resource then, and resets', async () => {
    const w = world();
    const operator = operatorOf(w);
    const request = w.draft(w.payer().id);
    const output = w.output(request.id);
    expect((await operator.runUntilIdle())._unsafeUnwrap()).toEqual({
      now: new Date(START + 24 * HOUR).toISOString(),
    });
    const events = (await operator.events())._unsafeUnwrap();
    const accepting = events.find((e) => e.eventType === 'concierge_request_output_accepting');
    expect(accepting).toMatchObject({ resourceId: output.id, resource: { state: 'accepting' } });
    expect((await operator.reset()).isOk()).toBe(true);
    expect((await operator.events())._unsafeUnwrap()).toEqual([]);
  });

  it('answers 401 for an unknown key, calling nothing', async () => {
    const w = world();
    const operator = serviceOperator(w.service, w.clock, 'nobody');
    expect((await operator.advanceClock(60))._unsafeUnwrapErr()).toMatchObject({
      type: 'authentication',
      status: 401,
    });
    expect(w.clock.now()).toBe(START);
  });
});
