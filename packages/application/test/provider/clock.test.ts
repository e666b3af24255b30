import { describe, expect, it } from 'vitest';
import { MAX_IDLE_STEPS } from '../../src/index.js';
import type { Scheduler, TimedMove } from '../../src/provider/scheduler.js';
import { HOUR, ListEventStore, MINUTE, SECOND, START, world } from '../support/world.js';

/**
 * The manual clock of SPEC section 9: `advance(duration)` fires everything due, in order,
 * each at its own instant; `runUntilIdle()` advances to each next due time until nothing
 * is due.
 */

const FUNDS = { portCode: 'ar_ars', amount: '1000000' };

describe('advance (SPEC section 9)', () => {
  it('one long step fires each move at its own instant, in time order', () => {
    const w = world();
    const request = w.draft(w.payer().id);
    const output = w.output(request.id);
    w.advance(25 * HOUR);
    // Checked at 2 s, then pruned at 24 h: not both at 25 h.
    expect(w.eventsOf(output.id)).toEqual([
      { type: 'concierge_request_output_accepting', at: 0 },
      { type: 'concierge_request_output_accepted', at: 2 * SECOND },
      { type: 'concierge_request_output_cancelled', at: 24 * HOUR },
    ]);
    expect(w.request(request.id).updatedAt).toBe(new Date(START + 24 * HOUR).toISOString());
    expect(w.service.now()).toBe(START + 25 * HOUR);
  });

  it('a move planned by a move fires in the same step when it is due by then (quote, then its expiry)', () => {
    const w = world();
    const request = w.draft(w.payer().id);
    w.quoteRequested(request.id);
    w.advance(HOUR);
    expect(w.eventsOf(request.id).slice(2)).toEqual([
      { type: 'concierge_request_quoted', at: 3 * SECOND },
      { type: 'concierge_request_cancelled', at: 3 * SECOND + 10 * MINUTE },
    ]);
  });

  it("a query catches up first: the clock moved behind the service's back is seen at the next call", () => {
    const w = world();
    const request = w.draft(w.payer().id);
    const output = w.output(request.id);
    w.clock.advance(2 * SECOND);
    expect(w.service.getOutput(w.master, output.id)._unsafeUnwrap().state).toBe('accepted');
  });

  it('a subscriber that reads the service while moves fire does not change when they happen', () => {
    // An event log that, like a webhook dispatcher, reads the service as each event is published.
    class ReadingLog extends ListEventStore {
      reader: (() => void) | undefined;
      override publish(events: Parameters<ListEventStore['publish']>[0]): void {
        super.publish(events);
        this.reader?.();
      }
    }
    const log = new ReadingLog();
    const w = world({ events: log });
    const first = w.draft(w.payer().id);
    const second = w.draft(w.payer().id);
    const outputs = [w.output(first.id), w.output(second.id)];
    log.reader = () => void w.service.getRequest(w.master, first.id);
    w.advance(25 * HOUR);
    for (const output of outputs)
      expect(
        log.stored.filter((e) => e.resourceId === output.id).map((e) => [e.eventType, e.at - START]),
      ).toEqual([
        ['concierge_request_output_accepting', 0],
        ['concierge_request_output_accepted', 2 * SECOND],
        ['concierge_request_output_cancelled', 24 * HOUR],
      ]);
  });

  it('nextDueAt names the earliest due move, null when nothing waits', () => {
    const w = world();
    expect(w.service.nextDueAt()).toBeNull();
    const request = w.draft(w.payer().id);
    expect(w.service.nextDueAt()).toBe(START + 24 * HOUR);
    w.output(request.id);
    expect(w.service.nextDueAt()).toBe(START + 2 * SECOND);
    // Checked: only the pruning waits (an accepted output has no step of its own planned).
    w.advance(2 * SECOND);
    expect(w.service.nextDueAt()).toBe(START + 24 * HOUR);
  });
});

describe('runUntilIdle (SPEC section 9)', () => {
  it('with nothing due it moves nothing and answers 0', () => {
    const w = world();
    expect(w.service.runUntilIdle(w.clock)._unsafeUnwrap()).toEqual({ advancedMs: 0 });
    expect(w.clock.now()).toBe(START);
  });

  it('a whole payment runs to its end; moves that would change nothing (pruning, expiry, deadline) do not move the clock', () => {
    const w = world();
    const request = w.draft(w.payer(FUNDS).id);
    const output = w.output(request.id, { outcome: 'settles' });
    w.advance(2 * SECOND);
    w.service.requestQuote(w.master, request.id)._unsafeUnwrap();
    w.advance(SECOND);
    w.service.acceptQuote(w.master, request.id)._unsafeUnwrap();
    const ran = w.service.runUntilIdle(w.clock)._unsafeUnwrap();
    // Working at 4 s, issued 10 min later, settled 1 h after that: the last move that changed anything.
    expect(ran.advancedMs).toBe(SECOND + 70 * MINUTE);
    expect(w.clock.now()).toBe(START + 4 * SECOND + 70 * MINUTE);
    expect(w.outputOf(output.id).state).toBe('settled');
    expect(w.request(request.id).state).toBe('finished');
    expect(w.service.nextDueAt()).toBeNull();
  });

  it('checks of outputs whose draft was cancelled are dropped without moving the clock', () => {
    const w = world();
    const request = w.draft(w.payer().id);
    w.output(request.id);
    w.service.cancelRequest(w.master, request.id)._unsafeUnwrap();
    expect(w.service.runUntilIdle(w.clock)._unsafeUnwrap().advancedMs).toBe(0);
    expect(w.service.nextDueAt()).toBeNull();
  });

  it('the planned step of an output the operator already settled is dropped without moving the clock', () => {
    const w = world();
    const request = w.draft(w.payer(FUNDS).id);
    const output = w.output(request.id, { outcome: 'settles' });
    w.advance(2 * SECOND);
    w.service.requestQuote(w.master, request.id)._unsafeUnwrap();
    w.advance(SECOND);
    w.service.acceptQuote(w.master, request.id)._unsafeUnwrap();
    w.advance(SECOND);
    w.service.outputAction(w.master, output.id, 'issue')._unsafeUnwrap();
    w.service.outputAction(w.master, output.id, 'settle')._unsafeUnwrap();
    expect(w.request(request.id).state).toBe('finished');
    expect(w.service.runUntilIdle(w.clock)._unsafeUnwrap().advancedMs).toBe(0);
  });

  it('a failed output waiting for its retry is a live move: the clock goes to it', () => {
    const w = world();
    const request = w.draft(w.payer(FUNDS).id);
    const output = w.output(request.id, { outcome: 'settles' });
    w.advance(2 * SECOND);
    w.service.requestQuote(w.master, request.id)._unsafeUnwrap();
    w.advance(SECOND);
    w.service.acceptQuote(w.master, request.id)._unsafeUnwrap();
    w.advance(10 * MINUTE + SECOND);
    expect(w.outputOf(output.id).state).toBe('settling');
    // The operator fails it now; the step planned for the bank's answer, an hour after issue,
    // finds it failed and retries it; attempt 2 is issued 10 minutes later, settled an hour after.
    w.service.outputAction(w.master, output.id, 'fail')._unsafeUnwrap();
    const ran = w.service.runUntilIdle(w.clock)._unsafeUnwrap();
    expect(w.outputOf(output.id)).toMatchObject({ state: 'settled', attempts: 2 });
    expect(ran.advancedMs).toBe(HOUR + 10 * MINUTE + HOUR);
  });

  it('a quote request cancelled before its eta leaves nothing to wait for', () => {
    const w = world();
    const request = w.draft(w.payer().id);
    w.output(request.id, { port: 'us_usd', amount: 10 });
    w.advance(2 * SECOND);
    w.service.requestQuote(w.master, request.id)._unsafeUnwrap();
    w.service.cancelRequest(w.master, request.id)._unsafeUnwrap();
    expect(w.service.runUntilIdle(w.clock)._unsafeUnwrap().advancedMs).toBe(0);
  });

  it('the checks of a draft are live: they happen before the draft is pruned', () => {
    const w = world();
    const request = w.draft(w.payer().id);
    const output = w.output(request.id);
    w.service.runUntilIdle(w.clock)._unsafeUnwrap();
    expect(w.eventsOf(output.id)).toEqual([
      { type: 'concierge_request_output_accepting', at: 0 },
      { type: 'concierge_request_output_accepted', at: 2 * SECOND },
      { type: 'concierge_request_output_cancelled', at: 24 * HOUR },
    ]);
  });

  it('a draft left alone is pruned at 24 h: a live move is waited for however far it is', () => {
    const w = world();
    const request = w.draft(w.payer().id);
    expect(w.service.runUntilIdle(w.clock)._unsafeUnwrap().advancedMs).toBe(24 * HOUR);
    expect(w.request(request.id).cancellationReason).toBe('draft_was_pruned');
  });

  it('a quote not accepted expires at accept_quote_before (quote_not_accepted)', () => {
    const w = world();
    const request = w.draft(w.payer().id);
    w.quoteRequested(request.id);
    const ran = w.service.runUntilIdle(w.clock)._unsafeUnwrap();
    expect(ran.advancedMs).toBe(SECOND + 10 * MINUTE);
    expect(w.request(request.id).cancellationReason).toBe('quote_not_accepted');
  });

  it('an accepted quote without funds runs to its funds deadline (payment_not_received)', () => {
    const w = world();
    const request = w.draft(w.payer().id);
    w.quoteRequested(request.id);
    w.advance(SECOND);
    w.service.acceptQuote(w.master, request.id)._unsafeUnwrap();
    expect(w.service.runUntilIdle(w.clock)._unsafeUnwrap().advancedMs).toBe(12 * HOUR);
    expect(w.request(request.id).cancellationReason).toBe('payment_not_received');
  });

  it('moves already due when it is called fire first, without moving the clock', () => {
    const w = world();
    const request = w.draft(w.payer().id);
    const output = w.output(request.id);
    w.service.requestQuote(w.master, request.id)._unsafeUnwrap();
    w.clock.advance(5 * SECOND);
    const ran = w.service.runUntilIdle(w.clock)._unsafeUnwrap();
    expect(w.outputOf(output.id).state).toBe('cancelled');
    // Quoted at 1 s (the output still accepting is priced), expired 10 minutes later.
    expect(ran.advancedMs).toBe(SECOND + 10 * MINUTE - 5 * SECOND);
  });

  it(`refuses a schedule that never empties after ${MAX_IDLE_STEPS} instants, with a server error`, () => {
    // A schedule that always says something is due and never gives it.
    const stuck: Scheduler = {
      schedule: (_at: number, _move: TimedMove) => {},
      nextDueAt: () => 0,
      takeDue: () => undefined,
      size: () => 1,
      clear: () => {},
    };
    const w = world({ scheduler: stuck });
    const refused = w.service.runUntilIdle(w.clock)._unsafeUnwrapErr();
    expect(refused).toMatchObject({ type: 'server', status: 500, code: 'server_error' });
    expect(w.clock.now()).toBe(START);
  });
});
