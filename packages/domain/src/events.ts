import { OUTPUT_STATES, type Output, type OutputState } from './output.js';
import { REQUEST_STATES, type Request, type RequestState } from './request.js';
import type { ComplianceState } from './user/user.js';

/**
 * Event types, SPEC section 8: `concierge_request_<state>` and
 * `concierge_request_output_<state>`; a request's documents, `concierge_request_receipt_created`
 * and `concierge_request_credit_note_created`; `user_disabled` (published) and `user_enabled`
 * (this project's) when a user's compliance state becomes one of them;
 * `withdrawal_instruction_created` and `_destroyed` (published) when an instruction is
 * created or deleted. The published `withdrawal_instruction_updated` has no event here:
 * the API has no way to change an instruction.
 */
export type RequestEventType = `concierge_request_${RequestState}`;
export type OutputEventType = `concierge_request_output_${OutputState}`;
export type DocumentEventType = 'concierge_request_receipt_created' | 'concierge_request_credit_note_created';
export type UserEventType = 'user_disabled' | 'user_enabled';
export type WithdrawalInstructionEventType =
  | 'withdrawal_instruction_created'
  | 'withdrawal_instruction_destroyed';
export type EventType =
  | RequestEventType
  | DocumentEventType
  | OutputEventType
  | UserEventType
  | WithdrawalInstructionEventType;

/**
 * Every event type of SPEC section 8 a client may receive from the provider: those this
 * project emits, and `withdrawal_instruction_updated`, which the sandbox never emits
 * because no published route changes an instruction.
 */
export type PublishedEventType = EventType | 'withdrawal_instruction_updated';

/** The documents of a request (SPEC section 7): a receipt when the payer is charged, a credit note when money goes back. */
export const DOCUMENT_KINDS = ['receipt', 'credit_note'] as const;
export type DocumentKind = (typeof DOCUMENT_KINDS)[number];

export const DOCUMENT_EVENT_TYPES = {
  receipt: 'concierge_request_receipt_created',
  credit_note: 'concierge_request_credit_note_created',
} as const satisfies Record<DocumentKind, DocumentEventType>;

/** A request's event: it carries the request as the change left it (SPEC section 8). */
export interface RequestEvent {
  readonly eventType: RequestEventType | DocumentEventType;
  readonly resource: 'request';
  readonly resourceId: string;
  readonly at: number;
  /** The request right after this change (and what the same step set with it). */
  readonly request: Request;
}

/** An output's event: it carries the output as the change left it (SPEC section 8). */
export interface OutputEvent {
  readonly eventType: OutputEventType;
  readonly resource: 'output';
  readonly resourceId: string;
  readonly at: number;
  /** The output right after this change. */
  readonly output: Output;
  /** A retry that changed the withdrawal instruction: the one it had before. */
  readonly formerInstructionId?: string;
}

export interface UserEvent {
  readonly eventType: UserEventType;
  readonly resource: 'user';
  readonly resourceId: string;
  readonly at: number;
}

export interface WithdrawalInstructionEvent {
  readonly eventType: WithdrawalInstructionEventType;
  readonly resource: 'withdrawal_instruction';
  readonly resourceId: string;
  readonly at: number;
}

/**
 * A change of a request, an output, a user or a withdrawal instruction, as the domain
 * reports it. A request's and an output's event carry the entity as it was right then
 * (SPEC section 8: the resource as it was when the event happened, not as it is later); a
 * user's and an instruction's are kept by whoever publishes them.
 */
export type DomainEvent = RequestEvent | OutputEvent | UserEvent | WithdrawalInstructionEvent;

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

/** The event of a request that moved to its state: it carries the request as it is now. */
export const requestEvent = (request: Request, at: number): RequestEvent => ({
  eventType: REQUEST_EVENT_TYPES[request.state],
  resource: 'request',
  resourceId: request.id,
  at,
  request,
});

/** The event of a request's document, issued now: it carries the request that names it. */
export const documentEvent = (kind: DocumentKind, request: Request, at: number): RequestEvent => ({
  eventType: DOCUMENT_EVENT_TYPES[kind],
  resource: 'request',
  resourceId: request.id,
  at,
  request,
});

/** The event of an output that moved to its state (or was created): it carries the output as it is now. */
export const outputEvent = (output: Output, at: number): OutputEvent => ({
  eventType: OUTPUT_EVENT_TYPES[output.state],
  resource: 'output',
  resourceId: output.id,
  at,
  output,
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
): UserEvent | null => {
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
): WithdrawalInstructionEvent => ({
  eventType: change === 'created' ? 'withdrawal_instruction_created' : 'withdrawal_instruction_destroyed',
  resource: 'withdrawal_instruction',
  resourceId: instructionId,
  at,
});
