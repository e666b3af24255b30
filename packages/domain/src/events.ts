import { OUTPUT_STATES, type OutputState } from './output.js';
import { REQUEST_STATES, type RequestState } from './request.js';
import type { ComplianceState } from './user/user.js';

/**
 * Event types, SPEC section 8: `concierge_request_<state>` and
 * `concierge_request_output_<state>`; `user_disabled` (published) and `user_enabled`
 * (this project's) when a user's compliance state becomes one of them;
 * `withdrawal_instruction_created` and `_destroyed` (published) when an instruction is
 * created or deleted. The published `withdrawal_instruction_updated` has no event here:
 * the API has no way to change an instruction.
 */
export type RequestEventType = `concierge_request_${RequestState}`;
export type OutputEventType = `concierge_request_output_${OutputState}`;
export type UserEventType = 'user_disabled' | 'user_enabled';
export type WithdrawalInstructionEventType =
  | 'withdrawal_instruction_created'
  | 'withdrawal_instruction_destroyed';
export type EventType = RequestEventType | OutputEventType | UserEventType | WithdrawalInstructionEventType;

/** A change of a request, an output, a user or a withdrawal instruction, as the domain reports it. */
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
    }
  | {
      readonly eventType: UserEventType;
      readonly resource: 'user';
      readonly resourceId: string;
      readonly at: number;
    }
  | {
      readonly eventType: WithdrawalInstructionEventType;
      readonly resource: 'withdrawal_instruction';
      readonly resourceId: string;
      readonly at: number;
    };

/** What each kind of event is about. */
export type EventResource = DomainEvent['resource'];

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

/**
 * The event of a user whose compliance state went from `from` to `to`: `user_disabled`
 * when it becomes disabled, `user_enabled` when it becomes enabled; none otherwise (no
 * change, or a change to `new` or `rejected`, which have no event).
 */
export const complianceEvent = (
  from: ComplianceState,
  to: ComplianceState,
  userId: string,
  at: number,
): DomainEvent | null => {
  if (from === to) return null;
  switch (to) {
    case 'disabled':
      return { eventType: 'user_disabled', resource: 'user', resourceId: userId, at };
    case 'enabled':
      return { eventType: 'user_enabled', resource: 'user', resourceId: userId, at };
    case 'new':
    case 'rejected':
      return null;
    default:
      return to satisfies never;
  }
};

/** The event of a withdrawal instruction just created or deleted (SPEC section 8). */
export const instructionEvent = (
  change: 'created' | 'destroyed',
  instructionId: string,
  at: number,
): DomainEvent => ({
  eventType: change === 'created' ? 'withdrawal_instruction_created' : 'withdrawal_instruction_destroyed',
  resource: 'withdrawal_instruction',
  resourceId: instructionId,
  at,
});
