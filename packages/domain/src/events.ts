import { OUTPUT_STATES, type OutputState } from './output.js';
import { REQUEST_STATES, type RequestState } from './request.js';

/** Event types, SPEC section 8: `concierge_request_<state>` and `concierge_request_output_<state>`. */
export type RequestEventType = `concierge_request_${RequestState}`;
export type OutputEventType = `concierge_request_output_${OutputState}`;
export type EventType = RequestEventType | OutputEventType;

/** A state change of a request or an output, as the domain reports it. */
export type DomainEvent =
  | {
      readonly eventType: RequestEventType;
      readonly resource: 'request';
      readonly resourceId: string;
      readonly at: number;
    }
  | {
      readonly eventType: OutputEventType;
      readonly resource: 'output';
      readonly resourceId: string;
      readonly at: number;
    };

/**
 * The event type of each state, built once: a template string per event would be a new
 * string to build and hash for each of the millions of events a large request emits.
 */
const REQUEST_EVENT_TYPES = Object.fromEntries(
  REQUEST_STATES.map((state) => [state, `concierge_request_${state}`]),
) as { readonly [S in RequestState]: `concierge_request_${S}` };
const OUTPUT_EVENT_TYPES = Object.fromEntries(
  OUTPUT_STATES.map((state) => [state, `concierge_request_output_${state}`]),
) as { readonly [S in OutputState]: `concierge_request_output_${S}` };

export const requestEvent = (state: RequestState, resourceId: string, at: number): DomainEvent => ({
  eventType: REQUEST_EVENT_TYPES[state],
  resource: 'request',
  resourceId,
  at,
});

export const outputEvent = (state: OutputState, resourceId: string, at: number): DomainEvent => ({
  eventType: OUTPUT_EVENT_TYPES[state],
  resource: 'output',
  resourceId,
  at,
});
