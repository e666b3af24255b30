import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeEventDocument } from './codec/event.codec.js';
import { signTestWebhook } from './test-webhook.js';
import {
  arbOutputView,
  arbRequestView,
  arbUserView,
  arbWithdrawalInstructionView,
} from './testing/arbitraries.js';
import { verifyWebhook } from './webhook.js';
import { webhookSignature } from './webhook-signature.js';

const KEY = 'sk_sandbox_0123456789abcdef';
const event = {
  id: '42',
  eventType: 'concierge_request_output_settled',
  resourceType: 'concierge_request_outputs',
  resourceId: '7',
  createdAt: '2026-01-05T12:00:00.000Z',
  sentAt: '2026-01-05T12:00:01.000Z',
};
const output = {
  ...fc.sample(arbOutputView(), { numRuns: 1, seed: 7 })[0]!,
  id: '7',
  state: 'settled' as const,
};
const body = JSON.stringify(encodeEventDocument(event, { kind: 'output', view: output }));
const signed = { 'WEBHOOK-AUTH': webhookSignature(KEY), 'content-type': 'application/json' };

describe('verifyWebhook', () => {
  it('accepts a signed event and reads the resource from included', () => {
    const received = verifyWebhook(body, signed, KEY)._unsafeUnwrap();
    expect(received).toMatchObject(event);
    expect(received.resource).toEqual(output);
  });

  it('takes bytes, fetch Headers and Node-style lower-case headers alike', () => {
    const bytes = new TextEncoder().encode(body);
    expect(verifyWebhook(bytes, new Headers(signed), KEY).isOk()).toBe(true);
    expect(verifyWebhook(body, { 'webhook-auth': [webhookSignature(KEY)] }, KEY).isOk()).toBe(true);
  });

  it('refuses a missing or wrong signature, whatever its length', () => {
    expect(verifyWebhook(body, {}, KEY)._unsafeUnwrapErr().type).toBe('missing_signature');
    fc.assert(
      fc.property(fc.string(), (header) => {
        fc.pre(header.trim().toLowerCase() !== webhookSignature(KEY));
        expect(verifyWebhook(body, { 'webhook-auth': header }, KEY)._unsafeUnwrapErr().type).toBe(
          'bad_signature',
        );
      }),
    );
    expect(verifyWebhook(body, signed, 'another key')._unsafeUnwrapErr().type).toBe('bad_signature');
  });

  it('refuses a parsed object loudly: the raw body is needed', () => {
    const refused = verifyWebhook(JSON.parse(body) as never, signed, KEY)._unsafeUnwrapErr();
    expect(refused.type).toBe('not_raw_body');
    expect(refused.message).toMatch(/raw request body/);
  });

  it('refuses malformed events naming the field, and bytes that are not UTF-8', () => {
    expect(verifyWebhook('{', signed, KEY)._unsafeUnwrapErr().type).toBe('malformed_event');
    expect(verifyWebhook(new Uint8Array([0xff, 0xfe]), signed, KEY)._unsafeUnwrapErr().type).toBe(
      'malformed_event',
    );
    const noType = JSON.parse(body);
    delete noType.data.attributes.event_type;
    expect(verifyWebhook(JSON.stringify(noType), signed, KEY)._unsafeUnwrapErr()).toMatchObject({
      type: 'malformed_event',
      pointer: '/data/attributes/event_type',
    });
    const badResource = JSON.parse(body);
    badResource.included[0].attributes.amount = 'plenty';
    expect(verifyWebhook(JSON.stringify(badResource), signed, KEY)._unsafeUnwrapErr()).toMatchObject({
      pointer: '/included/0/attributes/amount',
    });
  });

  it('accepts event types and resources it does not know, without a resource', () => {
    const unknown = JSON.stringify({
      data: {
        type: 'events',
        id: 99,
        attributes: { event_type: 'deposit_credited', created_at: '2026-01-05T12:00:00Z' },
        relationships: { resource: { data: { type: 'deposits', id: 3 } } },
      },
      included: [{ type: 'deposits', id: '3', attributes: { amount: 5 } }],
    });
    expect(verifyWebhook(unknown, signed, KEY)._unsafeUnwrap()).toEqual({
      id: '99',
      eventType: 'deposit_credited',
      resourceType: 'deposits',
      resourceId: '3',
      createdAt: '2026-01-05T12:00:00.000Z',
      sentAt: null,
    });
  });

  it('reads request events with their request', () => {
    const request = { ...fc.sample(arbRequestView(), { numRuns: 1, seed: 3 })[0]!, id: '5' };
    const doc = encodeEventDocument(
      {
        ...event,
        eventType: `concierge_request_${request.state}`,
        resourceType: 'concierge_requests',
        resourceId: '5',
      },
      { kind: 'request', view: request },
    );
    expect(verifyWebhook(JSON.stringify(doc), signed, KEY)._unsafeUnwrap().resource).toEqual(request);
  });

  it('reads user_disabled and user_enabled with their user, as signTestWebhook makes them', () => {
    const user = {
      ...fc.sample(arbUserView(), { numRuns: 1, seed: 5 })[0]!,
      complianceState: 'disabled' as const,
    };
    const delivery = signTestWebhook(KEY, {
      id: '43',
      eventType: 'user_disabled',
      resource: { kind: 'user', view: user },
      createdAt: event.createdAt,
    });
    expect(JSON.parse(delivery.body).included[0]).toMatchObject({
      type: 'users',
      id: user.id,
      attributes: { compliance_state: 'disabled' },
    });
    const received = verifyWebhook(delivery.body, delivery.headers, KEY)._unsafeUnwrap();
    expect(received).toMatchObject({
      eventType: 'user_disabled',
      resourceType: 'users',
      resourceId: user.id,
    });
    expect(received.resource).toEqual(user);
  });

  it("reads an output's working event with its earlier failures, as the provider's handler reads them", () => {
    const working = { ...output, state: 'working' as const, attempts: 3 };
    const delivery = signTestWebhook(KEY, {
      id: '44',
      eventType: 'concierge_request_output_working',
      resource: { kind: 'output', view: working },
      createdAt: event.createdAt,
    });
    // The wire: relationships.failures.data, a to-many linkage, one per earlier failure.
    expect(JSON.parse(delivery.body).data.relationships.failures.data).toEqual([
      { type: 'concierge_request_output_failures', id: '7-1' },
      { type: 'concierge_request_output_failures', id: '7-2' },
    ]);
    const received = verifyWebhook(delivery.body, delivery.headers, KEY)._unsafeUnwrap();
    expect(received.failures).toEqual(['7-1', '7-2']);
    expect(received.resource).toEqual(working);
    // A first attempt: an empty list, still sent.
    const first = signTestWebhook(KEY, {
      id: '45',
      eventType: 'concierge_request_output_working',
      resource: { kind: 'output', view: { ...working, attempts: 1 } },
    });
    expect(JSON.parse(first.body).data.relationships.failures).toEqual({ data: [] });
    expect(verifyWebhook(first.body, first.headers, KEY)._unsafeUnwrap().failures).toEqual([]);
    // Other events carry none.
    expect(verifyWebhook(body, signed, KEY)._unsafeUnwrap().failures).toBeUndefined();
  });

  it('refuses a failures relationship that is not a to-many linkage, naming it', () => {
    const broken = JSON.parse(body);
    broken.data.relationships.failures = { data: { type: 'concierge_request_output_failures', id: '7-1' } };
    expect(verifyWebhook(JSON.stringify(broken), signed, KEY)._unsafeUnwrapErr()).toMatchObject({
      type: 'malformed_event',
      pointer: '/data/relationships/failures/data',
    });
  });

  it('accepts every event type of SPEC section 8: documents with their request, instructions with theirs', () => {
    const request = {
      ...fc.sample(arbRequestView(), { numRuns: 1, seed: 9 })[0]!,
      id: '5',
      state: 'working' as const,
      receiptUrl: 'https://concierge.example/api/concierge_requests/5/receipt',
    };
    for (const eventType of ['concierge_request_receipt_created', 'concierge_request_credit_note_created']) {
      const delivery = signTestWebhook(KEY, {
        id: '46',
        eventType,
        resource: { kind: 'request', view: request },
      });
      expect(verifyWebhook(delivery.body, delivery.headers, KEY)._unsafeUnwrap()).toMatchObject({
        eventType,
        resourceType: 'concierge_requests',
        resourceId: '5',
        resource: request,
      });
    }
    const instruction = fc.sample(arbWithdrawalInstructionView(), { numRuns: 1, seed: 2 })[0]!;
    for (const eventType of [
      'withdrawal_instruction_created',
      'withdrawal_instruction_updated',
      'withdrawal_instruction_destroyed',
    ]) {
      const delivery = signTestWebhook(KEY, {
        id: '47',
        eventType,
        resource: { kind: 'withdrawalInstruction', view: instruction },
      });
      expect(JSON.parse(delivery.body).included[0]).toMatchObject({
        type: 'withdrawal_instructions',
        id: instruction.id,
      });
      const received = verifyWebhook(delivery.body, delivery.headers, KEY)._unsafeUnwrap();
      expect(received).toMatchObject({
        eventType,
        resourceType: 'withdrawal_instructions',
        resourceId: instruction.id,
      });
      expect(received.resource).toEqual(instruction);
    }
  });
});
