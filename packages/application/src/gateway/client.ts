import type {
  ComplianceState,
  OutputState,
  RequestState,
  WithdrawalInstructionBody,
} from '@concierge-ts/domain';
import type { ResultAsync } from 'neverthrow';
import type { ConciergeError } from './errors.js';
import type {
  DocumentView,
  EstimateView,
  OutputView,
  Page,
  PageQuery,
  PortView,
  RequestView,
  RequestWithOutputs,
  UserView,
  WithdrawalInstructionView,
} from './views.js';

/** An amount as JSON carries it: a number, or decimal text. Validated against the currency. */
export type AmountInput = number | string;

export interface CreateRequestInput {
  readonly portCode: string;
  /** The payer: a user managed by the caller. */
  readonly payerId: string;
  readonly externalId?: string;
  readonly paymentAuthorizationCode?: string;
}

export interface UpdateRequestInput {
  readonly externalId?: string | null;
  readonly paymentAuthorizationCode?: string | null;
}

export interface ListRequestsQuery {
  readonly state?: RequestState;
  readonly externalId?: string;
  readonly page?: PageQuery;
}

/** Exactly one of `amount` (destination currency) or `budget` (origin currency). */
export interface CreateOutputInput {
  readonly requestId: string;
  readonly payeeId: string;
  readonly withdrawalInstructionId: string;
  readonly portCode: string;
  readonly amount?: AmountInput;
  readonly budget?: AmountInput;
}

export interface ListOutputsQuery {
  readonly requestId?: string;
  readonly state?: OutputState;
  readonly page?: PageQuery;
}

export interface EstimateInput {
  readonly portCode: string;
  readonly outputs: readonly {
    readonly portCode: string;
    readonly amount?: AmountInput;
    readonly budget?: AmountInput;
  }[];
}

/** Both optional: the published guide creates a user with no attributes. */
export interface CreateUserInput {
  readonly email?: string;
  readonly name?: string;
}

export interface UpdateMeInput {
  readonly webhookUrl?: string | null;
}

/**
 * A withdrawal instruction's body as an integrator writes it (SPEC section 7.1): the
 * published fields of its `payment_method` (typed, for completion and typos), or any
 * text fields, which the service checks all the same (a payee's data read from a file).
 */
export type WithdrawalInstructionBodyInput = WithdrawalInstructionBody | Readonly<Record<string, string>>;

export interface CreateWithdrawalInstructionInput {
  /** The user it belongs to: a user the caller manages; the caller itself when left out, as the published client does. */
  readonly userId?: string;
  /** Text of at most 100 characters; none (null) when left out. */
  readonly label?: string | null;
  /**
   * `payment_method` (`domestic_bank`, `international_bank`, `third_party`), `country`,
   * `currency`, and that method's fields (`cbu`, `cuit`, `clabe`, `bank`,
   * `bank_account_number`, `name`...). Identifiers must pass their country's check.
   */
  readonly body: WithdrawalInstructionBodyInput;
}

export interface ListWithdrawalInstructionsQuery {
  readonly userId?: string;
  readonly page?: PageQuery;
}

/** Options every call may take. */
export interface CallOptions {
  /** Abort the call (and its retries). */
  readonly signal?: AbortSignal;
  /** Override the client's retry count for this call. */
  readonly retries?: number;
  /** Override the client's timeout for this call, in milliseconds. */
  readonly timeoutMs?: number;
}

type R<T> = ResultAsync<T, ConciergeError>;

/**
 * The gateway to a Concierge service: what an integrator's application calls. The
 * in-process adapter and the HTTP adapter both implement it, so one can stand in for
 * the other in tests. Nothing here throws for an expected failure.
 */
export interface ConciergeClient {
  readonly ports: {
    list(options?: CallOptions): R<readonly PortView[]>;
  };
  readonly requests: {
    create(input: CreateRequestInput, options?: CallOptions): R<RequestView>;
    get(id: string, options?: CallOptions): R<RequestView>;
    getWithOutputs(id: string, options?: CallOptions): R<RequestWithOutputs>;
    list(query?: ListRequestsQuery, options?: CallOptions): R<Page<RequestView>>;
    update(id: string, input: UpdateRequestInput, options?: CallOptions): R<RequestView>;
    requestQuote(id: string, input?: { readonly hintToken?: string }, options?: CallOptions): R<RequestView>;
    acceptQuote(id: string, options?: CallOptions): R<RequestView>;
    cancel(id: string, options?: CallOptions): R<RequestView>;
    /** The request's receipt (SPEC section 7): once the payer is charged; `not_found` before. */
    receipt(id: string, options?: CallOptions): R<DocumentView>;
    /** The request's credit note: once money went back to the payer after the charge; `not_found` before. */
    creditNote(id: string, options?: CallOptions): R<DocumentView>;
  };
  readonly outputs: {
    create(input: CreateOutputInput, options?: CallOptions): R<OutputView>;
    get(id: string, options?: CallOptions): R<OutputView>;
    list(query?: ListOutputsQuery, options?: CallOptions): R<Page<OutputView>>;
  };
  readonly estimates: {
    create(input: EstimateInput, options?: CallOptions): R<EstimateView>;
  };
  readonly users: {
    create(input?: CreateUserInput, options?: CallOptions): R<UserView>;
    get(id: string, options?: CallOptions): R<UserView>;
    /** The caller (the master user) first, then the users it manages, as published. */
    list(query?: { readonly page?: PageQuery }, options?: CallOptions): R<Page<UserView>>;
    me(options?: CallOptions): R<UserView>;
    updateMe(input: UpdateMeInput, options?: CallOptions): R<UserView>;
  };
  readonly withdrawalInstructions: {
    create(input: CreateWithdrawalInstructionInput, options?: CallOptions): R<WithdrawalInstructionView>;
    get(id: string, options?: CallOptions): R<WithdrawalInstructionView>;
    list(query?: ListWithdrawalInstructionsQuery, options?: CallOptions): R<Page<WithdrawalInstructionView>>;
    /**
     * Deletes an instruction (a `withdrawal_instruction_destroyed` event). Refused with a
     * conflict (409, `instruction_in_use`) while an output that is not final pays to it.
     */
    delete(id: string, options?: CallOptions): R<void>;
  };
}

export type { ComplianceState };
