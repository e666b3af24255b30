import type { OutputState } from './output';
import type { RequestState } from './request';

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

export const requestEvent = (state: RequestState, resourceId: string, at: number): DomainEvent => ({
  eventType: `concierge_request_${state}`,
  resource: 'request',
  resourceId,
  at,
});

export const outputEvent = (state: OutputState, resourceId: string, at: number): DomainEvent => ({
  eventType: `concierge_request_output_${state}`,
  resource: 'output',
  resourceId,
  at,
});
