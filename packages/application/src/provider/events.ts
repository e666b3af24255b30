import { type EventResource, outputAt } from '@concierge-ts/domain';
import {
  type EventResourceView,
  type EventView,
  isoTime,
  isoTimeOrNull,
  type ResourceType,
} from '../gateway/views.js';
import type { ProviderContext } from './context.js';
import type { StoredEvent, StoredSnapshot } from './ports.js';
import { presentInstruction, presentOutput, presentRequest, presentUser } from './present.js';

/**
 * Events as the API shows them (SPEC section 8): the event, and its resource as it was
 * when the event happened, rebuilt from what the event store kept.
 */

/** The JSON:API type of what each kind of event is about. */
export const EVENT_RESOURCE_TYPES = {
  request: 'concierge_requests',
  output: 'concierge_request_outputs',
  user: 'users',
  withdrawal_instruction: 'withdrawal_instructions',
} as const satisfies Record<EventResource, ResourceType>;

/** The ids of an output's failures before its attempt `attempts`: `<output>-1`, `<output>-2`... */
export const failureIds = (outputId: string, attempts: number): string[] =>
  Array.from({ length: Math.max(0, attempts - 1) }, (_, n) => `${outputId}-${n + 1}`);

/** An event without its resource. */
export const eventView = (e: StoredEvent): EventView => ({
  id: e.id,
  eventType: e.eventType,
  resourceType: EVENT_RESOURCE_TYPES[e.resource],
  resourceId: e.resourceId,
  createdAt: isoTime(e.at),
  sentAt: isoTimeOrNull(e.sentAt),
});

export interface PresentedEvent {
  /** The event, with its resource as it was then in `resource` (and `failures` on an output's working event). */
  readonly view: EventView;
  /** The same resource by kind; a request's with the ids of the outputs it had then, when asked for. */
  readonly resource?: EventResourceView;
}

/**
 * An event with its resource as it was then, and, on an output's working event, its
 * earlier failures. `linkage`: a request's event also gives the ids of the outputs it had
 * (outputs are only added to a draft, so they are its first `outputs_total`).
 */
export const presentEvent = (p: ProviderContext, e: StoredEvent, linkage: boolean): PresentedEvent => {
  const view = eventView(e);
  const resource = e.snapshot === null ? undefined : presentSnapshot(p, e, e.snapshot, linkage);
  if (resource === undefined) return { view };
  const failures =
    resource.kind === 'output' && resource.view.state === 'working'
      ? { failures: failureIds(resource.view.id, resource.view.attempts) }
      : {};
  return { view: { ...view, resource: resource.view, ...failures }, resource };
};

const presentSnapshot = (
  p: ProviderContext,
  e: StoredEvent,
  snapshot: StoredSnapshot,
  linkage: boolean,
): EventResourceView | undefined => {
  switch (snapshot.kind) {
    case 'request': {
      const request = snapshot.request;
      const view = presentRequest(request);
      if (!linkage) return { kind: 'request', view };
      const outputIds: string[] = [];
      for (const output of p.repos.outputs.listByRequest(request.id)) {
        if (outputIds.length >= request.counters.total) break;
        outputIds.push(output.id);
      }
      return { kind: 'request', view, outputIds };
    }
    case 'output': {
      const latest = p.repos.outputs.get(e.resourceId);
      const request = latest === undefined ? undefined : p.repos.requests.get(latest.requestId);
      // Gone (a reset since): the event is all there is to show.
      if (latest === undefined || request === undefined) return undefined;
      const { moment } = snapshot;
      const output = outputAt(
        latest,
        {
          ...moment,
          withdrawalInstructionId: moment.withdrawalInstructionId ?? latest.withdrawalInstructionId,
        },
        e.at,
      );
      return { kind: 'output', view: presentOutput(output, request.portCode) };
    }
    case 'user':
      return { kind: 'user', view: presentUser(snapshot.user.user, snapshot.user.balances) };
    case 'withdrawalInstruction':
      return { kind: 'withdrawalInstruction', view: presentInstruction(snapshot.instruction) };
    default:
      return snapshot satisfies never;
  }
};
