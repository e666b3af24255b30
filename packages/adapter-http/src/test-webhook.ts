import { type EventResourceView, failureIds } from '@concierge-ts/application';
import { encodeEventDocument } from './codec/event.codec.js';
import { RESOURCE_TYPES } from './codec/json-api.js';
import { WEBHOOK_AUTH_HEADER, webhookSignature } from './webhook-signature.js';

/**
 * What a test webhook is about: an event of a request, an output, a user or a withdrawal
 * instruction, with its snapshot (SPEC section 8).
 */
export interface TestWebhookEvent {
  readonly id: string;
  /**
   * Any type of SPEC section 8 (`concierge_request_<state>`, `concierge_request_output_<state>`,
   * `concierge_request_receipt_created`, `concierge_request_credit_note_created`,
   * `user_disabled`, `withdrawal_instruction_created`...), or any other.
   */
  readonly eventType: string;
  readonly resource: EventResourceView;
  /** ISO 8601 (default now). */
  readonly createdAt?: string;
  /**
   * The output's earlier failures (ids), sent as `relationships.failures` on
   * `concierge_request_output_working`; by default one per earlier attempt of the output,
   * as the service names them (`<output>-1`, `<output>-2`...).
   */
  readonly failures?: readonly string[];
}

export interface TestWebhook {
  /** The raw body, exactly as the service sends it. */
  readonly body: string;
  /** `content-type` and `webhook-auth`, as a delivery from the service carries them. */
  readonly headers: Readonly<Record<string, string>>;
}

const OUTPUT_WORKING = 'concierge_request_output_working';

/**
 * A webhook delivery signed with `apiKey` as the service signs it (SPEC section 8), for
 * an integrator's tests of their receiver: POST `body` with `headers` to it, or hand
 * both to `verifyWebhook`.
 */
export const signTestWebhook = (apiKey: string, event: TestWebhookEvent): TestWebhook => {
  const createdAt = event.createdAt ?? new Date().toISOString();
  const resource = event.resource;
  const failures =
    event.failures ??
    (event.eventType === OUTPUT_WORKING && resource.kind === 'output'
      ? failureIds(resource.view.id, resource.view.attempts)
      : undefined);
  const envelope = {
    id: event.id,
    eventType: event.eventType,
    resourceType: RESOURCE_TYPES[resource.kind],
    resourceId: resource.view.id,
    createdAt,
    sentAt: createdAt,
    ...(failures === undefined ? {} : { failures }),
  };
  return {
    body: JSON.stringify(encodeEventDocument(envelope, resource)),
    headers: { 'content-type': 'application/json', [WEBHOOK_AUTH_HEADER]: webhookSignature(apiKey) },
  };
};
