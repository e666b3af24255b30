import { err, ok, type Result } from 'neverthrow';
import { emptyCounters, type OutputCounters, openOutputs } from './counters.js';
import { type DomainError, guardFailed, invalidTransition } from './errors.js';
import { type Money, zero } from './money.js';
import { type PortCode, parsePortCode } from './port.js';

export const REQUEST_STATES = [
  'draft',
  'quote_requested',
  'quoted',
  'quote_accepted',
  'working',
  'finished',
  'cancelled',
] as const;
export type RequestState = (typeof REQUEST_STATES)[number];

export const FINAL_REQUEST_STATES: ReadonlySet<RequestState> = new Set(['finished', 'cancelled']);
export const isFinalRequestState = (state: RequestState): boolean => FINAL_REQUEST_STATES.has(state);

export const REQUEST_TRIGGERS = [
  'request_quote',
  'produce_quote',
  'accept_quote',
  'start_working',
  'cancel',
  'expire_quote',
  'funds_deadline',
  'prune_draft',
  'no_payable_outputs',
  'finish',
] as const;
export type RequestTrigger = (typeof REQUEST_TRIGGERS)[number];

/** The request lifecycle, SPEC section 3: the one place that says which moves exist. */
export const REQUEST_TRANSITIONS = {
  draft: { request_quote: 'quote_requested', cancel: 'cancelled', prune_draft: 'cancelled' },
  quote_requested: { produce_quote: 'quoted', cancel: 'cancelled', no_payable_outputs: 'cancelled' },
  quoted: {
    accept_quote: 'quote_accepted',
    cancel: 'cancelled',
    expire_quote: 'cancelled',
    no_payable_outputs: 'cancelled',
  },
  quote_accepted: { start_working: 'working', funds_deadline: 'cancelled', no_payable_outputs: 'cancelled' },
  working: { finish: 'finished' },
  finished: {},
  cancelled: {},
} as const satisfies Record<RequestState, Partial<Record<RequestTrigger, RequestState>>>;

export const requestTarget = (state: RequestState, trigger: RequestTrigger): RequestState | undefined =>
  (REQUEST_TRANSITIONS[state] as Partial<Record<RequestTrigger, RequestState>>)[trigger];

export type CancellationReason =
  | 'cancelled_by_user'
  | 'quote_not_accepted'
  | 'payment_not_received'
  | 'draft_was_pruned'
  | 'no_payable_outputs';

export const CANCELLATION_REASONS: Partial<Record<RequestTrigger, CancellationReason>> = {
  cancel: 'cancelled_by_user',
  expire_quote: 'quote_not_accepted',
  funds_deadline: 'payment_not_received',
  prune_draft: 'draft_was_pruned',
  no_payable_outputs: 'no_payable_outputs',
};

/** The intent to pay from one payer at one origin port to many recipients (the aggregate root). */
export interface Request {
  readonly id: string;
  /** The master user who drafted it: the only caller who may see it. */
  readonly ownerId: string;
  readonly payerId: string;
  readonly portCode: PortCode;
  readonly state: RequestState;
  readonly externalId: string | null;
  readonly paymentAuthorizationCode: string | null;
  readonly counters: OutputCounters;
  /** Epoch milliseconds, or null until set. */
  readonly eta: number | null;
  readonly quoteRequestedAt: number | null;
  readonly quotedAt: number | null;
  readonly acceptQuoteBefore: number | null;
  readonly quoteAcceptedAt: number | null;
  readonly provisionFundsBefore: number | null;
  readonly totalToSpend: Money | null;
  /**
   * What the payer was charged for the request: 0 in the origin currency until then (as the
   * published answer to request_quote shows), `total_to_spend` once the request works.
   */
  readonly fundsAvailable: Money | null;
  readonly cancellationReason: CancellationReason | null;
  /** When the receipt was issued: when the payer was charged (SPEC section 7); null before. */
  readonly receiptIssuedAt: number | null;
  /** When the credit note was issued: when money first went back to the payer after the charge; null before. */
  readonly creditNoteIssuedAt: number | null;
  readonly createdAt: number;
  readonly updatedAt: number;
}

export interface NewRequest {
  readonly id: string;
  readonly ownerId: string;
  readonly payerId: string;
  readonly portCode: PortCode;
  readonly externalId?: string | null;
  readonly paymentAuthorizationCode?: string | null;
  readonly now: number;
}

/** Zero in the currency of an origin port (null only for a code that names no currency). */
const noFunds = (portCode: PortCode): Money | null =>
  parsePortCode(portCode).match(
    (port) => zero(port.currency),
    () => null,
  );

export const createRequest = (input: NewRequest): Request => ({
  id: input.id,
  ownerId: input.ownerId,
  payerId: input.payerId,
  portCode: input.portCode,
  state: 'draft',
  externalId: input.externalId ?? null,
  paymentAuthorizationCode: input.paymentAuthorizationCode ?? null,
  counters: emptyCounters(),
  eta: null,
  quoteRequestedAt: null,
  quotedAt: null,
  acceptQuoteBefore: null,
  quoteAcceptedAt: null,
  provisionFundsBefore: null,
  totalToSpend: null,
  fundsAvailable: noFunds(input.portCode),
  cancellationReason: null,
  receiptIssuedAt: null,
  creditNoteIssuedAt: null,
  createdAt: input.now,
  updatedAt: input.now,
});

const at = (request: Request) => ({ entity: 'request' as const, id: request.id, state: request.state });

/** A guard that does not hold, or undefined when the trigger may fire. */
const guard = (request: Request, trigger: RequestTrigger, now: number): DomainError | undefined => {
  const c = request.counters;
  switch (trigger) {
    case 'request_quote':
      return c.total - c.rejected > 0
        ? undefined
        : guardFailed(
            at(request),
            trigger,
            'no_payable_outputs',
            'it needs at least one output that is not rejected',
          );
    case 'accept_quote':
      return request.acceptQuoteBefore !== null && now < request.acceptQuoteBefore
        ? undefined
        : guardFailed(
            at(request),
            trigger,
            'quote_expired',
            'the quote had to be accepted before accept_quote_before',
          );
    case 'expire_quote':
      return request.acceptQuoteBefore !== null && now >= request.acceptQuoteBefore
        ? undefined
        : guardFailed(at(request), trigger, 'quote_not_expired', 'accept_quote_before has not passed');
    case 'funds_deadline':
      return request.provisionFundsBefore !== null && now >= request.provisionFundsBefore
        ? undefined
        : guardFailed(at(request), trigger, 'deadline_not_reached', 'provision_funds_before has not passed');
    case 'no_payable_outputs':
      return c.total > 0 && c.rejected === c.total
        ? undefined
        : guardFailed(at(request), trigger, 'no_payable_outputs', 'some outputs are not rejected');
    case 'finish':
      return openOutputs(c) === 0
        ? undefined
        : guardFailed(
            at(request),
            trigger,
            'outputs_not_final',
            `${openOutputs(c)} outputs are not final yet`,
          );
    case 'produce_quote':
    case 'start_working':
    case 'cancel':
    // When a draft is old enough to prune is the service's setting (SPEC section 3).
    case 'prune_draft':
      return undefined;
    default: {
      const unreachable: never = trigger;
      return unreachable;
    }
  }
};

/**
 * Moves a request by one trigger at `now`, after its guard. Pairs outside the table are
 * refused with `invalid_transition`. Sets the timestamps and the cancellation reason the
 * trigger implies; prices, deadlines and funds are set by the operations in `aggregate`.
 */
export const transitionRequest = (
  request: Request,
  trigger: RequestTrigger,
  now: number,
): Result<Request, DomainError> => {
  const next = requestTarget(request.state, trigger);
  if (next === undefined) return err(invalidTransition(at(request), trigger));
  const refused = guard(request, trigger, now);
  if (refused) return err(refused);
  const moved: Request = { ...request, state: next, updatedAt: now };
  switch (trigger) {
    case 'request_quote':
      return ok({ ...moved, quoteRequestedAt: now });
    case 'produce_quote':
      return ok({ ...moved, quotedAt: now });
    case 'accept_quote':
      return ok({ ...moved, quoteAcceptedAt: now });
    case 'cancel':
    case 'expire_quote':
    case 'funds_deadline':
    case 'prune_draft':
    case 'no_payable_outputs':
      return ok({ ...moved, cancellationReason: CANCELLATION_REASONS[trigger] ?? null });
    case 'start_working':
    case 'finish':
      return ok(moved);
    default: {
      const unreachable: never = trigger;
      return unreachable;
    }
  }
};

/** Attributes an integrator may change after drafting (PATCH). */
export interface RequestUpdate {
  readonly externalId?: string | null;
  readonly paymentAuthorizationCode?: string | null;
}

/** Changes `external_id` and `payment_authorization_code`; refused once the request is final. */
export const updateRequest = (
  request: Request,
  update: RequestUpdate,
  now: number,
): Result<Request, DomainError> => {
  if (isFinalRequestState(request.state)) return err(invalidTransition(at(request), 'update'));
  return ok({
    ...request,
    externalId: update.externalId === undefined ? request.externalId : update.externalId,
    paymentAuthorizationCode:
      update.paymentAuthorizationCode === undefined
        ? request.paymentAuthorizationCode
        : update.paymentAuthorizationCode,
    updatedAt: now,
  });
};
