import type { OutputView, RequestView, UserView, WithdrawalInstructionView } from '@concierge-ts/application';
import { encodeEventDocument } from './codec/event.codec.js';
import { RESOURCE_TYPES } from './codec/json-api.js';
import { WEBHOOK_AUTH_HEADER, webhookSignature } from './webhook-signature.js';

/** What a test webhook is about: an event of a request, an output, a user or a withdrawal instruction, with its snapshot. */
export interface TestWebhookEvent {
  readonly id: string;
  /** `concierge_request_<state>`, `concierge_request_output_<state>`, `user_disabled`, `withdrawal_instruction_created`, or any other type. */
  readonly eventType: string;
  readonly resource:
    | { readonly kind: 'request'; readonly view: RequestView }
    | { readonly kind: 'output'; readonly view: OutputView }
    | { readonly kind: 'user'; readonly view: UserView }
    | { readonly kind: 'withdrawalInstruction'; readonly view: WithdrawalInstructionView };
  /** ISO 8601 (default now). */
  readonly createdAt?: string;
}

export interface TestWebhook {
  /** The raw body, exactly as the service sends it. */
  readonly body: string;
  /** `content-type` and `webhook-auth`, as a delivery from the service carries them. */
  readonly headers: Readonly<Record<string, string>>;
}

/**
 * A webhook delivery signed with `apiKey` as the service signs it (SPEC section 8), for
 * an integrator's tests of their receiver: POST `body` with `headers` to it, or hand
 * both to `verifyWebhook`.
 */
export const signTestWebhook = (apiKey: string, event: TestWebhookEvent): TestWebhook => {
  const createdAt = event.createdAt ?? new Date().toISOString();
  const document = encodeEventDocument(
    {
      id: event.id,
      eventType: event.eventType,
      resourceType: RESOURCE_TYPES[event.resource.kind],
      resourceId: event.resource.view.id,
      createdAt,
      sentAt: createdAt,
    },
    event.resource,
  );
  return {
    body: JSON.stringify(document),
    headers: { 'content-type': 'application/json', [WEBHOOK_AUTH_HEADER]: webhookSignature(apiKey) },
  };
};
