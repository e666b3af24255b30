import type { OutputView, RequestView } from '@concierge-ts/application';
import {
  DOCUMENT_EVENT_TYPES,
  FINAL_OUTPUT_STATES,
  FINAL_REQUEST_STATES,
  OUTPUT_STATES,
  OUTPUT_TRANSITIONS,
  type OutputState,
  REQUEST_STATES,
  type RequestState,
} from '@concierge-ts/domain';
import { match } from 'ts-pattern';
import type { ReceivedEvent } from './codec/event.codec.js';
import { RESOURCE_TYPES } from './codec/json-api.js';

/** What a receiver knows about one resource, from the events it has applied. */
export type TrackedResource =
  | {
      readonly kind: 'request';
      readonly id: string;
      readonly state: RequestState;
      readonly lastEventId: string;
      readonly view?: RequestView;
    }
  | {
      readonly kind: 'output';
      readonly id: string;
      readonly state: OutputState;
      /** Payment attempts, when an event carried the output (a retry starts a new one). */
      readonly attempts?: number;
      readonly lastEventId: string;
      readonly view?: OutputView;
    };

export type ApplyOutcome =
  /** The resource moved (or its data was refreshed). */
  | 'applied'
  /** This event id was applied before: delivered twice. */
  | 'duplicate'
  /** Late or out of order: applying it would move the resource backwards. */
  | 'stale'
  /** An event type or resource this receiver does not know: accepted and ignored (SPEC section 8). */
  | 'ignored';

const REQUEST_PREFIX = 'concierge_request_';
const OUTPUT_PREFIX = 'concierge_request_output_';
const requestStates: ReadonlySet<string> = new Set(REQUEST_STATES);
const outputStates: ReadonlySet<string> = new Set(OUTPUT_STATES);
/** A request's receipt or credit note was issued: no move of its own, a fresher request when one is carried. */
const documentEvents: ReadonlySet<string> = new Set(Object.values(DOCUMENT_EVENT_TYPES));

/** Event ids increase (SPEC section 8): numerically when both are numbers, else as text. */
const compareIds = (a: string, b: string): number => {
  if (/^\d+$/.test(a) && /^\d+$/.test(b)) return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
  return a < b ? -1 : a > b ? 1 : 0;
};

/** Where a request state sits in its lifecycle: the order of REQUEST_STATES. */
const requestRank = (s: RequestState): number => REQUEST_STATES.indexOf(s);

/**
 * Where an output state sits: within one payment attempt, the order of OUTPUT_STATES
 * (working, settling, then failed); a retry (failed → working) starts the next attempt,
 * so attempts count first when both sides know them.
 */
const outputAhead = (
  next: { state: OutputState; attempts: number | undefined },
  current: { state: OutputState; attempts: number | undefined },
): boolean => {
  if (next.attempts !== undefined && current.attempts !== undefined && next.attempts !== current.attempts)
    return next.attempts > current.attempts;
  // Without attempts, a retry is still recognised: the lifecycle table allows failed → working.
  const direct = Object.values(OUTPUT_TRANSITIONS[current.state]) as readonly OutputState[];
  return (
    OUTPUT_STATES.indexOf(next.state) >= OUTPUT_STATES.indexOf(current.state) || direct.includes(next.state)
  );
};

/**
 * The state an event announces, from its type and, better, from the resource it carries.
 * Of SPEC section 8's types, a request's and an output's state events are followed; a
 * document event refreshes its request when it carries one (in the state it already has);
 * the users' and withdrawal instructions' events, and types this ledger does not know, are
 * accepted and ignored.
 */
const announced = (
  event: ReceivedEvent,
):
  | { kind: 'request'; state: RequestState; view?: RequestView }
  | { kind: 'output'; state: OutputState; attempts?: number; view?: OutputView }
  | undefined => {
  if (event.resourceType === RESOURCE_TYPES.output && event.eventType.startsWith(OUTPUT_PREFIX)) {
    const view = event.resource && 'attempts' in event.resource ? event.resource : undefined;
    const state = view?.state ?? event.eventType.slice(OUTPUT_PREFIX.length);
    if (!outputStates.has(state)) return undefined;
    return {
      kind: 'output',
      state: state as OutputState,
      ...(view === undefined ? {} : { attempts: view.attempts, view }),
    };
  }
  if (event.resourceType === RESOURCE_TYPES.request && event.eventType.startsWith(REQUEST_PREFIX)) {
    const view = event.resource && 'counters' in event.resource ? event.resource : undefined;
    if (documentEvents.has(event.eventType))
      return view === undefined ? undefined : { kind: 'request', state: view.state, view };
    const state = view?.state ?? event.eventType.slice(REQUEST_PREFIX.length);
    if (!requestStates.has(state)) return undefined;
    return { kind: 'request', state: state as RequestState, ...(view === undefined ? {} : { view }) };
  }
  return undefined;
};

/**
 * Local state fed by webhooks (SPEC section 8): each event id is handled once, a late or
 * repeated event never moves a resource backwards, a final state is never left, and
 * unknown event types are accepted and ignored. The included resource, when there is
 * one, is preferred to the event type: it is the state the service sent.
 */
export class EventLedger {
  private readonly seen = new Set<string>();
  private readonly resources = new Map<string, TrackedResource>();

  apply(event: ReceivedEvent): ApplyOutcome {
    if (this.seen.has(event.id)) return 'duplicate';
    this.seen.add(event.id);
    const next = announced(event);
    if (next === undefined) return 'ignored';
    const key = `${event.resourceType}|${event.resourceId}`;
    const current = this.resources.get(key);
    if (current !== undefined && !this.forward(current, next, event.id)) return 'stale';
    this.resources.set(key, { ...next, id: event.resourceId, lastEventId: event.id } as TrackedResource);
    return 'applied';
  }

  request(id: string): Extract<TrackedResource, { kind: 'request' }> | undefined {
    const found = this.resources.get(`${RESOURCE_TYPES.request}|${id}`);
    return found?.kind === 'request' ? found : undefined;
  }

  output(id: string): Extract<TrackedResource, { kind: 'output' }> | undefined {
    const found = this.resources.get(`${RESOURCE_TYPES.output}|${id}`);
    return found?.kind === 'output' ? found : undefined;
  }

  /** True when moving from `current` to `next` is not a step back. */
  private forward(
    current: TrackedResource,
    next: NonNullable<ReturnType<typeof announced>>,
    eventId: string,
  ): boolean {
    // An older event than one already applied to this resource is late, whatever it says.
    if (compareIds(eventId, current.lastEventId) < 0) return false;
    return match([current, next] as const)
      .with([{ kind: 'request' }, { kind: 'request' }], ([c, n]) =>
        FINAL_REQUEST_STATES.has(c.state)
          ? n.state === c.state
          : requestRank(n.state) >= requestRank(c.state),
      )
      .with([{ kind: 'output' }, { kind: 'output' }], ([c, n]) =>
        FINAL_OUTPUT_STATES.has(c.state)
          ? n.state === c.state
          : outputAhead({ state: n.state, attempts: n.attempts }, { state: c.state, attempts: c.attempts }),
      )
      .otherwise(() => false);
  }
}
