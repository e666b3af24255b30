import type { OutputView } from '@concierge-ts/application';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ReceivedEvent } from './codec/event.codec.js';
import { EventLedger } from './event-ledger.js';
import { arbOutputView, arbRequestView } from './testing/arbitraries.js';

let nextId = 0;
const requestEvent = (state: string, id = String(++nextId), resourceId = '1'): ReceivedEvent => ({
  id,
  eventType: `concierge_request_${state}`,
  resourceType: 'concierge_requests',
  resourceId,
  createdAt: '2026-01-05T12:00:00.000Z',
  sentAt: null,
});
const outputEvent = (state: string, id = String(++nextId), resource?: OutputView): ReceivedEvent => ({
  id,
  eventType: `concierge_request_output_${state}`,
  resourceType: 'concierge_request_outputs',
  resourceId: '9',
  createdAt: '2026-01-05T12:00:00.000Z',
  sentAt: null,
  ...(resource === undefined ? {} : { resource }),
});

describe('EventLedger', () => {
  it('applies a lifecycle in order, each event id once', () => {
    const ledger = new EventLedger();
    const draft = requestEvent('draft');
    expect(ledger.apply(draft)).toBe('applied');
    expect(ledger.apply(draft)).toBe('duplicate');
    expect(ledger.apply(requestEvent('quote_requested'))).toBe('applied');
    expect(ledger.apply(requestEvent('quoted'))).toBe('applied');
    expect(ledger.request('1')?.state).toBe('quoted');
  });

  it('never moves a resource backwards: late events, older ids, final states', () => {
    const ledger = new EventLedger();
    ledger.apply(requestEvent('draft', '10'));
    ledger.apply(requestEvent('quoted', '12'));
    expect(ledger.apply(requestEvent('quote_requested', '11'))).toBe('stale');
    expect(ledger.apply(requestEvent('draft', '13'))).toBe('stale');
    expect(ledger.apply(requestEvent('cancelled', '14'))).toBe('applied');
    expect(ledger.apply(requestEvent('working', '15'))).toBe('stale');
    expect(ledger.request('1')?.state).toBe('cancelled');
  });

  it('compares numeric event ids as numbers', () => {
    const ledger = new EventLedger();
    ledger.apply(requestEvent('quoted', '10'));
    expect(ledger.apply(requestEvent('quote_accepted', '9'))).toBe('stale');
    expect(ledger.apply(requestEvent('quote_accepted', '100'))).toBe('applied');
  });

  it('follows retries: failed → working starts a new attempt', () => {
    const ledger = new EventLedger();
    for (const state of [
      'accepting',
      'accepted',
      'working',
      'settling',
      'failed',
      'working',
      'settling',
      'settled',
    ])
      expect(ledger.apply(outputEvent(state)), state).toBe('applied');
    expect(ledger.apply(outputEvent('failed'))).toBe('stale');
    expect(ledger.output('9')?.state).toBe('settled');
  });

  it('prefers the included resource and its attempts', () => {
    const [base] = fc.sample(arbOutputView(), { numRuns: 1, seed: 1 });
    const view = (state: OutputView['state'], attempts: number): OutputView => ({
      ...base!,
      id: '9',
      state,
      attempts,
    });
    const ledger = new EventLedger();
    expect(ledger.apply(outputEvent('failed', '20', view('failed', 1)))).toBe('applied');
    expect(ledger.apply(outputEvent('working', '21', view('working', 2)))).toBe('applied');
    expect(ledger.output('9')).toMatchObject({ state: 'working', attempts: 2 });
    // The event says working but the resource it carries already settled: trust the resource.
    expect(ledger.apply(outputEvent('working', '22', view('settled', 2)))).toBe('applied');
    expect(ledger.output('9')?.view?.state).toBe('settled');
  });

  it('ignores unknown event types and resources', () => {
    const ledger = new EventLedger();
    expect(ledger.apply({ ...requestEvent('draft'), eventType: 'concierge_request_teleported' })).toBe(
      'ignored',
    );
    expect(ledger.apply({ ...requestEvent('draft'), resourceType: 'deposits' })).toBe('ignored');
  });

  it('ends in the newest state whatever the order and repetition of delivery, never stepping back', () => {
    const lifecycle = ['draft', 'quote_requested', 'quoted', 'quote_accepted', 'working', 'finished'];
    const stateOf = (e: ReceivedEvent) => e.eventType.slice('concierge_request_'.length);
    const events = lifecycle.map((state, i) => requestEvent(state, String(100 + i), 'r'));
    fc.assert(
      fc.property(fc.shuffledSubarray(events, { minLength: 1 }), fc.array(fc.nat()), (delivered, repeats) => {
        const ledger = new EventLedger();
        const stream = [
          ...delivered,
          ...repeats.map((r) => delivered[r % delivered.length] as ReceivedEvent),
        ];
        let rank = -1;
        for (const e of stream) {
          ledger.apply(e);
          const now = lifecycle.indexOf(ledger.request('r')?.state ?? '');
          expect(now).toBeGreaterThanOrEqual(rank);
          rank = now;
        }
        const newest = delivered.reduce((a, b) => (Number(a.id) > Number(b.id) ? a : b));
        expect(ledger.request('r')?.state).toBe(stateOf(newest));
      }),
    );
  });

  it('accepts every event type of SPEC section 8: follows request and output states, ignores the rest', () => {
    const requestStates = [
      'draft',
      'quote_requested',
      'quoted',
      'quote_accepted',
      'working',
      'finished',
      'cancelled',
    ];
    const outputStates = [
      'accepting',
      'accepted',
      'rejected',
      'working',
      'settling',
      'settled',
      'failed',
      'returned',
      'cancelled',
    ];
    const others: [string, string][] = [
      ['concierge_request_receipt_created', 'concierge_requests'],
      ['concierge_request_credit_note_created', 'concierge_requests'],
      ['user_disabled', 'users'],
      ['user_enabled', 'users'],
      ['withdrawal_instruction_created', 'withdrawal_instructions'],
      ['withdrawal_instruction_updated', 'withdrawal_instructions'],
      ['withdrawal_instruction_destroyed', 'withdrawal_instructions'],
    ];
    for (const state of requestStates) expect(new EventLedger().apply(requestEvent(state))).toBe('applied');
    for (const state of outputStates) expect(new EventLedger().apply(outputEvent(state))).toBe('applied');
    for (const [eventType, resourceType] of others) {
      const ledger = new EventLedger();
      expect(ledger.apply({ ...requestEvent('draft'), eventType, resourceType }), eventType).toBe('ignored');
    }
  });

  it('a document event refreshes the request it carries without moving it', () => {
    const [base] = fc.sample(arbRequestView(), { numRuns: 1, seed: 4 });
    const request = { ...base!, id: 'r', state: 'working' as const, receiptUrl: null };
    const ledger = new EventLedger();
    expect(ledger.apply({ ...requestEvent('working', '30', 'r'), resource: request })).toBe('applied');
    const issued = { ...request, receiptUrl: 'https://concierge.example/api/concierge_requests/r/receipt' };
    expect(
      ledger.apply({
        ...requestEvent('working', '31', 'r'),
        eventType: 'concierge_request_receipt_created',
        resource: issued,
      }),
    ).toBe('applied');
    expect(ledger.request('r')).toMatchObject({ state: 'working', view: { receiptUrl: issued.receiptUrl } });
    // A late one is stale; one without its request is accepted and ignored.
    expect(
      ledger.apply({
        ...requestEvent('working', '29', 'r'),
        eventType: 'concierge_request_credit_note_created',
        resource: request,
      }),
    ).toBe('stale');
    expect(
      ledger.apply({
        ...requestEvent('working', '32', 'r'),
        eventType: 'concierge_request_credit_note_created',
      }),
    ).toBe('ignored');
    expect(ledger.request('r')?.lastEventId).toBe('31');
  });
});
