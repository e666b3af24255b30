import type {
  CancellationReason,
  ComplianceState,
  DocumentKind,
  Money,
  OutputCounters,
  OutputState,
  PublishedEventType,
  Rate,
  RequestState,
} from '@concierge-ts/domain';

/**
 * Resources as a `ConciergeClient` returns them: the same whether they come from the
 * in-process service or decoded from the HTTP API. Timestamps are ISO 8601 UTC with
 * milliseconds; money is exact.
 */

export interface PortView {
  readonly code: string;
  readonly country: string;
  readonly currency: string;
  readonly minAmount: Money;
  readonly maxAmount: Money;
  readonly quoteDelaySeconds: number;
  readonly returnCost: Money;
  readonly active: boolean;
  /**
   * The withdrawal instruction fields a payment to this port needs besides its `country`
   * and `currency` (`cbu` and `cuit` for `ar_ars`), so that a client can check a payee's
   * instruction before sending anything (SPEC section 7.1).
   */
  readonly withdrawalInstructionFields: readonly string[];
}

export interface RequestView {
  readonly id: string;
  readonly state: RequestState;
  readonly portCode: string;
  readonly payerId: string;
  readonly externalId: string | null;
  readonly paymentAuthorizationCode: string | null;
  readonly counters: OutputCounters;
  readonly eta: string | null;
  readonly quoteRequestedAt: string | null;
  readonly quotedAt: string | null;
  readonly acceptQuoteBefore: string | null;
  readonly quoteAcceptedAt: string | null;
  readonly provisionFundsBefore: string | null;
  readonly totalToSpend: Money | null;
  readonly fundsAvailable: Money | null;
  readonly cancellationReason: CancellationReason | null;
  readonly receiptUrl: string | null;
  readonly creditNoteUrl: string | null;
  /**
   * When the request was drafted and last changed. This service always gives both; null
   * when an answer left them out, as the provider's published responses do.
   */
  readonly createdAt: string | null;
  readonly updatedAt: string | null;
}

export interface RequestWithOutputs extends RequestView {
  readonly outputs: readonly OutputView[];
}

export interface OutputView {
  readonly id: string;
  readonly requestId: string;
  readonly payeeId: string;
  readonly withdrawalInstructionId: string;
  readonly state: OutputState;
  readonly portCode: string;
  /**
   * The request's origin port: the currency of `budget` and `feeAndCost`. An attribute of
   * this service's (`origin_port_code`); null from an answer without it, as the provider's
   * published output is (`budget` and `feeAndCost` cannot be read then, and are refused).
   */
  readonly originPortCode: string | null;
  /** Which of amount or budget the integrator gave. */
  readonly given: 'amount' | 'budget';
  /** Destination currency. */
  readonly amount: Money | null;
  /** Origin currency. */
  readonly budget: Money | null;
  readonly rate: Rate | null;
  readonly allInRate: Rate | null;
  readonly feeAndCost: Money | null;
  readonly attempts: number;
  readonly rejectionReason: string | null;
  readonly failureReason: string | null;
  readonly cancellationReason: string | null;
  /**
   * The ids of the output's failures so far, one per failed attempt, oldest first: its
   * `failures` relationship (of type `concierge_request_output_failures`), as linkage
   * only. Null when an answer carries no such relationship, as the provider's published
   * output does not.
   */
  readonly failures: readonly string[] | null;
  /** Always given by this service; null when an answer left them out, as the provider's published output does. */
  readonly createdAt: string | null;
  readonly updatedAt: string | null;
}

export interface EstimateLineView {
  readonly portCode: string;
  /** Which of amount or budget was given; null when an answer did not say (the provider's published estimate does not). */
  readonly given: 'amount' | 'budget' | null;
  readonly amount: Money;
  readonly budget: Money;
  readonly rate: Rate;
  readonly allInRate: Rate;
  readonly feeAndCost: Money;
}

export interface EstimateView {
  readonly portCode: string;
  readonly totalToSpend: Money;
  readonly hintToken: string;
  /** When the hint token expires; null when an answer did not say (the provider's published estimate does not). */
  readonly expiresAt: string | null;
  readonly outputs: readonly EstimateLineView[];
}

export interface UserView {
  readonly id: string;
  readonly email: string | null;
  readonly name: string | null;
  readonly complianceState: ComplianceState;
  readonly master: boolean;
  readonly webhookUrl: string | null;
  /** Available balance per currency code in lower case, e.g. `ars`. */
  readonly balances: Readonly<Record<string, Money>>;
  readonly createdAt: string;
}

/**
 * How to reach a user's bank account (SPEC sections 1 and 7.1). The API also answers
 * `schema: "bitex"` with every instruction, which carries nothing a client needs.
 */
export interface WithdrawalInstructionView {
  readonly id: string;
  /**
   * The user it belongs to; null when an answer carries no `user` relationship, as the
   * provider's recorded responses do not (this service always sends it).
   */
  readonly userId: string | null;
  /** Null when none was given. */
  readonly label: string | null;
  /**
   * The published body (`payment_method`, `country`, `currency` and that method's fields),
   * as the service keeps it: country and currency in upper case, identifiers compact.
   */
  readonly body: Readonly<Record<string, string>>;
  /** Always given by this service; null when an answer left it out, as the provider's recorded responses do. */
  readonly createdAt: string | null;
}

/** One output on a request's document (money exact: `amount` in the destination currency, the rest in the origin's). */
export interface DocumentLineView {
  readonly outputId: string;
  readonly state: OutputState;
  readonly portCode: string;
  readonly amount: Money;
  /** What the payer was charged for it, fees included. */
  readonly budget: Money;
  readonly feeAndCost: Money;
  /** What went back to the payer (a rejected or cancelled output's budget, a returned one's less its return cost). */
  readonly credited: Money;
  readonly returnCost: Money;
}

/**
 * Sums over a document's lines, in the origin currency. They add up: `budget` = `settled` +
 * `inFlight` + `credited` + `returnCosts`; on a receipt, `budget` is what the payer was
 * charged (`total_to_spend`).
 */
export interface DocumentTotalsView {
  readonly budget: Money;
  readonly fees: Money;
  readonly settled: Money;
  readonly inFlight: Money;
  readonly credited: Money;
  readonly returnCosts: Money;
}

/**
 * A request's receipt or credit note (SPEC section 7, JSON:API type `concierge_documents`),
 * as it is now: the receipt exists once the payer is charged (the request starts working)
 * and lists every output charged; the credit note exists once money first goes back to the
 * payer after that, and lists every output credited back.
 */
export interface DocumentView {
  /** `<request id>-receipt` or `<request id>-credit_note`. */
  readonly id: string;
  readonly kind: DocumentKind;
  readonly requestId: string;
  readonly requestState: RequestState;
  /** The request's origin port: the currency of budgets, fees and totals. */
  readonly portCode: string;
  readonly issuedAt: string;
  readonly lines: readonly DocumentLineView[];
  readonly totals: DocumentTotalsView;
}

/** The JSON:API types of the resources events are about. */
export type ResourceType =
  | 'concierge_requests'
  | 'concierge_request_outputs'
  | 'users'
  | 'withdrawal_instructions';

export interface EventView {
  readonly id: string;
  /**
   * One of SPEC section 8's types (`withdrawal_instruction_updated` included, though the
   * sandbox never emits it), or a type this client does not know yet, kept as it came: a
   * receiver accepts every type and ignores the ones it does not handle.
   */
  readonly eventType: PublishedEventType | (string & {});
  readonly resourceType: ResourceType;
  readonly resourceId: string;
  readonly createdAt: string;
  /** When the event was first delivered to the master's `webhook_url`; null until then. */
  readonly sentAt: string | null;
  /** The resource as it was when the event happened (webhooks carry it in `included`). */
  readonly resource?: RequestView | OutputView | UserView | WithdrawalInstructionView;
  /**
   * `concierge_request_output_working` only: one id per earlier failure of the output (its
   * `failures` relationship, of type `concierge_request_output_failures`); empty on the first.
   */
  readonly failures?: readonly string[];
}

/** An event's resource as it was then, by kind: a request with the ids of the outputs it had, when they are known. */
export type EventResourceView =
  | { readonly kind: 'request'; readonly view: RequestView; readonly outputIds?: readonly string[] }
  | { readonly kind: 'output'; readonly view: OutputView }
  | { readonly kind: 'user'; readonly view: UserView }
  | { readonly kind: 'withdrawalInstruction'; readonly view: WithdrawalInstructionView };

export interface PageQuery {
  /** 1-based. */
  readonly number?: number;
  readonly size?: number;
}

export interface Page<T> {
  readonly items: readonly T[];
  readonly number: number;
  readonly size: number;
  /** The next page's number, or null on the last page. */
  readonly next: number | null;
}

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 500;

let lastMs = Number.NaN;
let lastText = '';

/**
 * ISO 8601 text of epoch milliseconds. The last answer is kept: resources are presented
 * by the million with the same few timestamps (a sandbox clock moves rarely), and
 * building a Date and its text each time was a measurable share of creating an output.
 */
export const isoTime = (ms: number): string => {
  if (ms !== lastMs) {
    lastText = new Date(ms).toISOString();
    lastMs = ms;
  }
  return lastText;
};
export const isoTimeOrNull = (ms: number | null): string | null => (ms === null ? null : isoTime(ms));
