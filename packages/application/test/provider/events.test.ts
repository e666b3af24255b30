import { describe, expect, it } from 'vitest';
import { HOUR, MINUTE, SECOND, START, type World, world } from '../support/world.js';

/**
 * Events as the API shows them (SPEC section 8): each with its resource as it was when the
 * event happened (a snapshot, not its latest state), of the JSON:API type of its resource;
 * a `concierge_request_output_working` event also names the output's earlier failures.
 */

const FUNDS = { portCode: 'ar_ars', amount: '1000000' };
const iso = (ms: number) => new Date(START + ms).toISOString();

const eventsOf = (w: World, resourceId: string) =>
  w.service.listEvents(w.master).filter((e) => e.resourceId === resourceId);

describe('event snapshots (SPEC section 8)', () => {
  it("an output's events show it as it was then, not as it is now", () => {
    const w = world();
    const fresh = w.draft(w.payer(FUNDS).id);
    const paid = w.output(fresh.id, { outcome: 'fails_once' });
    w.advance(2 * SECOND);
    w.service.requestQuote(w.master, fresh.id)._unsafeUnwrap();
    w.advance(SECOND);
    w.service.acceptQuote(w.master, fresh.id)._unsafeUnwrap();
    w.service.runUntilIdle(w.clock)._unsafeUnwrap();
    expect(w.outputOf(paid.id)).toMatchObject({ state: 'settled', attempts: 2 });
    const shown = eventsOf(w, paid.id).map((e) => {
      const presented = w.service.presentEvent(e).view;
      const resource = presented.resource as {
        state: string;
        attempts: number;
        rate: unknown;
        failureReason: unknown;
      };
      return {
        type: presented.eventType,
        state: resource.state,
        attempts: resource.attempts,
        priced: resource.rate !== null,
        failureReason: resource.failureReason,
        failures: presented.failures,
      };
    });
    expect(shown).toEqual([
      {
        type: 'concierge_request_output_accepting',
        state: 'accepting',
        attempts: 0,
        priced: false,
        failureReason: null,
        failures: undefined,
      },
      {
        type: 'concierge_request_output_accepted',
        state: 'accepted',
        attempts: 0,
        priced: false,
        failureReason: null,
        failures: undefined,
      },
      {
        type: 'concierge_request_output_working',
        state: 'working',
        attempts: 1,
        priced: true,
        failureReason: null,
        failures: [],
      },
      {
        type: 'concierge_request_output_settling',
        state: 'settling',
        attempts: 1,
        priced: true,
        failureReason: null,
        failures: undefined,
      },
      {
        type: 'concierge_request_output_failed',
        state: 'failed',
        attempts: 1,
        priced: true,
        failureReason: 'refused_by_receiving_bank',
        failures: undefined,
      },
      {
        type: 'concierge_request_output_working',
        state: 'working',
        attempts: 2,
        priced: true,
        failureReason: null,
        failures: [`${paid.id}-1`],
      },
      {
        type: 'concierge_request_output_settling',
        state: 'settling',
        attempts: 2,
        priced: true,
        failureReason: null,
        failures: undefined,
      },
      {
        type: 'concierge_request_output_settled',
        state: 'settled',
        attempts: 2,
        priced: true,
        failureReason: null,
        failures: undefined,
      },
    ]);
  });

  it("a request's events show it as it was then; with linkage, the ids of the outputs it had then", () => {
    const w = world();
    const request = w.draft(w.payer(FUNDS).id);
    const first = w.output(request.id);
    const second = w.quoteRequested(request.id);
    w.advance(SECOND);
    const events = eventsOf(w, request.id);
    const [drafted, requested, quoted] = events.map((e) => w.service.presentEvent(e, true));
    expect(drafted?.view.resource).toMatchObject({
      state: 'draft',
      totalToSpend: null,
      counters: { total: 0 },
    });
    expect(drafted?.resource).toMatchObject({ kind: 'request', outputIds: [] });
    expect(requested?.view.resource).toMatchObject({ state: 'quote_requested', eta: iso(2 * SECOND) });
    expect(requested?.resource).toMatchObject({ kind: 'request', outputIds: [first.id, second.id] });
    expect(quoted?.view.resource).toMatchObject({ state: 'quoted', quotedAt: iso(3 * SECOND) });
    // Without linkage the request comes alone.
    const plain = w.service.presentEvent(events[1] as (typeof events)[number]);
    expect(plain.resource).toEqual({ kind: 'request', view: plain.view.resource });
  });

  it('each event names its JSON:API resource type and when it happened; sent_at is null until delivered', () => {
    const w = world();
    const payer = w.payer();
    const request = w.draft(payer.id);
    const output = w.output(request.id);
    w.advance(MINUTE);
    w.service.setCompliance(w.master, payer.id, 'disabled')._unsafeUnwrap();
    const views = w.service.listEvents(w.master).map((e) => w.service.presentEvent(e).view);
    expect(views.map((v) => [v.eventType, v.resourceType, v.resourceId])).toEqual([
      ['concierge_request_draft', 'concierge_requests', request.id],
      ['withdrawal_instruction_created', 'withdrawal_instructions', output.withdrawalInstructionId],
      ['concierge_request_output_accepting', 'concierge_request_outputs', output.id],
      ['concierge_request_output_accepted', 'concierge_request_outputs', output.id],
      ['user_disabled', 'users', payer.id],
    ]);
    expect(views.map((v) => v.createdAt)).toEqual([iso(0), iso(0), iso(0), iso(2 * SECOND), iso(MINUTE)]);
    expect(views.every((v) => v.sentAt === null)).toBe(true);
    const first = w.service.listEvents(w.master)[0];
    if (!first) throw new Error('no event');
    w.events.markSent(first.id, START + HOUR);
    expect(w.service.presentEvent(w.service.listEvents(w.master)[0] as typeof first).view.sentAt).toBe(
      iso(HOUR),
    );
  });

  it("an instruction's destroyed event carries the instruction as it was", () => {
    const w = world();
    const payee = w.user('payee@example.com');
    const wi = w.instruction(payee.id, 'cl_clp');
    w.service.deleteWithdrawalInstruction(w.master, wi.id)._unsafeUnwrap();
    const [created, destroyed] = eventsOf(w, wi.id).map((e) => w.service.presentEvent(e).view);
    expect(created).toMatchObject({
      eventType: 'withdrawal_instruction_created',
      resource: { id: wi.id, label: wi.label },
    });
    expect(destroyed).toMatchObject({
      eventType: 'withdrawal_instruction_destroyed',
      resource: { id: wi.id, userId: payee.id, body: wi.body },
    });
  });
});
