import type {
  DecodeError,
  EventResourceView,
  EventView,
  OutputView,
  RequestView,
  UserView,
  WithdrawalInstructionView,
} from '@concierge-ts/application';
import type { Result } from 'neverthrow';
import { z } from 'zod';
import { anyIdentifier, decodeWith, RESOURCE_TYPES, wireId } from './json-api.js';
import { encodeOutput, outputResource } from './output.codec.js';
import { readTime, readTimeOrNull } from './reader.js';
import { encodeRequest, requestResource } from './request.codec.js';
import { encodeUser, userResource } from './user.codec.js';
import {
  encodeWithdrawalInstruction,
  withdrawalInstructionResource,
} from './withdrawal-instruction.codec.js';

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
  /**
   * The ids of the output's earlier failures, from the `failures` relationship (SPEC
   * section 8: sent on `concierge_request_output_working`; empty on a first attempt).
   */
  readonly failures?: readonly string[];
}

/** The JSON:API type of an output's failures in a working event's `failures` relationship. */
export const FAILURE_RESOURCE_TYPE = RESOURCE_TYPES.outputFailure;

export const eventResourceWire = z.object({
  type: z.literal(RESOURCE_TYPES.event),
  id: wireId,
  attributes: z.object({
    event_type: z.string().min(1),
    created_at: z.string(),
    sent_at: z.string().nullable().optional(),
  }),
  relationships: z.object({
    resource: z.object({ data: anyIdentifier }),
    failures: z.object({ data: z.array(anyIdentifier) }).optional(),
  }),
});
export type EventResourceWire = z.output<typeof eventResourceWire>;

export const encodeEvent = (e: Omit<ReceivedEvent, 'resource'>): EventResourceWire => ({
  type: RESOURCE_TYPES.event,
  id: e.id,
  attributes: { event_type: e.eventType, created_at: e.createdAt, sent_at: e.sentAt },
  relationships: {
    resource: { data: { type: e.resourceType, id: e.resourceId } },
    ...(e.failures === undefined
      ? {}
      : { failures: { data: e.failures.map((id) => ({ type: FAILURE_RESOURCE_TYPE, id })) } }),
  },
});

export const eventResource = z.codec(eventResourceWire, z.custom<ReceivedEvent>(), {
  decode: (w, payload): ReceivedEvent => ({
    id: w.id,
    eventType: w.attributes.event_type,
    resourceType: w.relationships.resource.data.type,
    resourceId: w.relationships.resource.data.id,
    createdAt: readTime(payload, w.attributes.created_at, ['attributes', 'created_at']),
    sentAt: readTimeOrNull(payload, w.attributes.sent_at, ['attributes', 'sent_at']),
    ...(w.relationships.failures === undefined
      ? {}
      : { failures: w.relationships.failures.data.map((f) => f.id) }),
  }),
  encode: encodeEvent,
});

/** The operator's log narrows resource types to the four that have events. */
export const isEventView = (e: ReceivedEvent): e is ReceivedEvent & EventView =>
  e.resourceType === RESOURCE_TYPES.request ||
  e.resourceType === RESOURCE_TYPES.output ||
  e.resourceType === RESOURCE_TYPES.user ||
  e.resourceType === RESOURCE_TYPES.withdrawalInstruction;

/**
 * The resource object an event carries (in a webhook's `included`, in the log's
 * `meta.snapshot`), decoded by the event's resource type; undefined for a type this client
 * does not know (accepted, not read).
 */
export const decodeEventResource = (
  resourceType: string,
  item: unknown,
): Result<RequestView | OutputView | UserView | WithdrawalInstructionView, DecodeError> | undefined => {
  switch (resourceType) {
    case RESOURCE_TYPES.request:
      return decodeWith(requestResource, item);
    case RESOURCE_TYPES.output:
      return decodeWith(outputResource, item);
    case RESOURCE_TYPES.user:
      return decodeWith(userResource, item);
    case RESOURCE_TYPES.withdrawalInstruction:
      return decodeWith(withdrawalInstructionResource, item);
    default:
      return undefined;
  }
};

/** What an event is about, with its snapshot, for a webhook body's `included`. */
export type EventSnapshot = EventResourceView;

/** An event's resource by kind, from its resource type (undefined when it carries none this client knows). */
export const snapshotOfEvent = (
  e: Pick<ReceivedEvent, 'resourceType' | 'resource'>,
): EventSnapshot | undefined => {
  const resource = e.resource;
  if (resource === undefined) return undefined;
  switch (e.resourceType) {
    case RESOURCE_TYPES.request:
      return 'counters' in resource ? { kind: 'request', view: resource } : undefined;
    case RESOURCE_TYPES.output:
      return 'attempts' in resource ? { kind: 'output', view: resource } : undefined;
    case RESOURCE_TYPES.user:
      return 'complianceState' in resource ? { kind: 'user', view: resource } : undefined;
    case RESOURCE_TYPES.withdrawalInstruction:
      return 'body' in resource ? { kind: 'withdrawalInstruction', view: resource } : undefined;
    default:
      return undefined;
  }
};

/** A snapshot as a resource object; `base`: the URL a request's document links are relative to. */
export const encodeSnapshot = (resource: EventSnapshot, base?: string) => {
  switch (resource.kind) {
    case 'request':
      return encodeRequest(resource.view, resource.outputIds, base);
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
 * carries its outputs' linkage when their ids are given. `base`: the URL a request's
 * document links are relative to.
 */
export const encodeEventDocument = (
  e: Omit<ReceivedEvent, 'resource'>,
  resource?: EventSnapshot,
  base?: string,
) => ({
  data: encodeEvent(e),
  ...(resource === undefined ? {} : { included: [encodeSnapshot(resource, base)] }),
});

/**
 * An event of the operator's log (GET /sandbox/events): the snapshot of its resource goes
 * in the event's `meta.snapshot`, since a list of events cannot include one resource
 * several times (JSON:API allows one resource object per type and id in `included`).
 */
export const encodeLoggedEvent = (e: EventView, base?: string) => {
  const snapshot = snapshotOfEvent(e);
  return {
    ...encodeEvent(e),
    ...(snapshot === undefined ? {} : { meta: { snapshot: encodeSnapshot(snapshot, base) } }),
  };
};
