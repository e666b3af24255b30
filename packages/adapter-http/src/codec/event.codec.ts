import type {
  EventView,
  OutputView,
  RequestView,
  UserView,
  WithdrawalInstructionView,
} from '@concierge-ts/application';
import { z } from 'zod';
import { anyIdentifier, RESOURCE_TYPES, wireId } from './json-api.js';
import { encodeOutput } from './output.codec.js';
import { readTime, readTimeOrNull } from './reader.js';
import { encodeRequest } from './request.codec.js';
import { encodeUser } from './user.codec.js';
import { encodeWithdrawalInstruction } from './withdrawal-instruction.codec.js';

/**
 * An event (SPEC section 8). Receivers must accept every event type and ignore the ones
 * they do not know, so the event type and the resource type stay open strings here;
 * `EventView` (the operator's log) narrows them.
 */
export interface ReceivedEvent {
  readonly id: string;
  readonly eventType: string;
  readonly resourceType: string;
  readonly resourceId: string;
  readonly createdAt: string;
  readonly sentAt: string | null;
  /** The resource as it was delivered in `included`, when it is one this client knows. */
  readonly resource?: RequestView | OutputView | UserView | WithdrawalInstructionView;
}

export const eventResourceWire = z.object({
  type: z.literal(RESOURCE_TYPES.event),
  id: wireId,
  attributes: z.object({
    event_type: z.string().min(1),
    created_at: z.string(),
    sent_at: z.string().nullable().optional(),
  }),
  relationships: z.object({ resource: z.object({ data: anyIdentifier }) }),
});
export type EventResourceWire = z.output<typeof eventResourceWire>;

export const encodeEvent = (e: Omit<ReceivedEvent, 'resource'>): EventResourceWire => ({
  type: RESOURCE_TYPES.event,
  id: e.id,
  attributes: { event_type: e.eventType, created_at: e.createdAt, sent_at: e.sentAt },
  relationships: { resource: { data: { type: e.resourceType, id: e.resourceId } } },
});

export const eventResource = z.codec(eventResourceWire, z.custom<ReceivedEvent>(), {
  decode: (w, payload): ReceivedEvent => ({
    id: w.id,
    eventType: w.attributes.event_type,
    resourceType: w.relationships.resource.data.type,
    resourceId: w.relationships.resource.data.id,
    createdAt: readTime(payload, w.attributes.created_at, ['attributes', 'created_at']),
    sentAt: readTimeOrNull(payload, w.attributes.sent_at, ['attributes', 'sent_at']),
  }),
  encode: encodeEvent,
});

/** The operator's log narrows resource types to the four that have events. */
export const isEventView = (e: ReceivedEvent): e is ReceivedEvent & EventView =>
  e.resourceType === RESOURCE_TYPES.request ||
  e.resourceType === RESOURCE_TYPES.output ||
  e.resourceType === RESOURCE_TYPES.user ||
  e.resourceType === RESOURCE_TYPES.withdrawalInstruction;

/** What an event is about, with its snapshot, for a webhook body's `included`. */
export type EventSnapshot =
  | { readonly kind: 'request'; readonly view: RequestView; readonly outputIds?: readonly string[] }
  | { readonly kind: 'output'; readonly view: OutputView }
  | { readonly kind: 'user'; readonly view: UserView }
  | { readonly kind: 'withdrawalInstruction'; readonly view: WithdrawalInstructionView };

const encodeSnapshot = (resource: EventSnapshot) => {
  switch (resource.kind) {
    case 'request':
      return encodeRequest(resource.view, resource.outputIds);
    case 'output':
      return encodeOutput(resource.view);
    case 'user':
      return encodeUser(resource.view);
    case 'withdrawalInstruction':
      return encodeWithdrawalInstruction(resource.view);
    default:
      return resource satisfies never;
  }
};

/**
 * A webhook body: the event, and the resource in `included` (SPEC section 8); a request
 * carries its outputs' linkage when their ids are given.
 */
export const encodeEventDocument = (e: Omit<ReceivedEvent, 'resource'>, resource?: EventSnapshot) => ({
  data: encodeEvent(e),
  ...(resource === undefined ? {} : { included: [encodeSnapshot(resource)] }),
});
