/**
 * Every refusal of the domain, as one discriminated union with stable codes.
 * `code` is the wire code (snake_case); `type` names the refusal for matching.
 * Each error says what was attempted, in which state, and why (`message`).
 */

export type MoneyRefusal =
  | 'not_a_number'
  | 'not_finite'
  | 'not_positive'
  | 'negative'
  | 'too_large'
  | 'too_many_decimals'
  | 'unknown_currency';

export type HintRefusal = 'hint_token_expired' | 'hint_token_mismatch' | 'hint_token_malformed';

export type DomainError =
  | {
      readonly type: 'InvalidTransition';
      readonly code: 'invalid_transition';
      readonly entity: 'request' | 'output';
      readonly id: string;
      readonly state: string;
      readonly action: string;
      readonly message: string;
    }
  | {
      readonly type: 'GuardFailed';
      readonly code:
        | 'no_payable_outputs'
        | 'quote_expired'
        | 'quote_not_expired'
        | 'deadline_not_reached'
        | 'outputs_not_final'
        | 'insufficient_funds'
        | 'reason_required';
      readonly entity: 'request' | 'output';
      readonly id: string;
      readonly state: string;
      readonly action: string;
      readonly message: string;
    }
  | {
      readonly type: 'HintTokenRefused';
      readonly code: HintRefusal;
      readonly message: string;
    }
  | {
      readonly type: 'InvalidPortCode';
      readonly code: 'invalid_port_code';
      readonly input: string;
      readonly message: string;
    }
  | {
      readonly type: 'UnknownPort';
      readonly code: 'unknown_port';
      readonly portCode: string;
      readonly message: string;
    }
  | {
      readonly type: 'InactivePort';
      readonly code: 'inactive_port';
      readonly portCode: string;
      readonly message: string;
    }
  | {
      readonly type: 'InvalidMoney';
      readonly code: 'invalid_amount';
      readonly reason: MoneyRefusal;
      readonly currency: string;
      readonly input: string;
      readonly message: string;
    }
  | {
      readonly type: 'InvalidRate';
      readonly code: 'invalid_rate';
      readonly input: string;
      readonly message: string;
    }
  | {
      readonly type: 'AmountOrBudget';
      readonly code: 'amount_or_budget';
      readonly message: string;
    }
  | {
      readonly type: 'CurrencyMismatch';
      readonly code: 'currency_mismatch';
      readonly expected: string;
      readonly actual: string;
      readonly message: string;
    };

export type DomainErrorCode = DomainError['code'];

/**
 * Which check a field of an input failed: stable codes, so that a client, a test or the
 * HTTP layer learns what happened without reading prose.
 */
export type FieldRefusal =
  /** A field that must be there is absent (or null). */
  | 'missing_field'
  /** A field that is not part of the shape (for a withdrawal instruction: of its payment method). */
  | 'unknown_field'
  /** Not a string (or, for a body, not an object). */
  | 'invalid_type'
  /** Empty or blank text. */
  | 'empty'
  /** Text longer than its field allows. */
  | 'too_long'
  /** Not one of the values the field allows (a payment method, a country, a currency, a state). */
  | 'unsupported_value'
  /** Characters or layout that the field never has. */
  | 'invalid_format'
  /** An identifier with the wrong number of characters. */
  | 'invalid_length'
  /** A part of an identifier that does not exist: a bank or city code, a CUIT type, an IBAN country. */
  | 'invalid_component'
  /** An identifier whose check digits do not match the rest of it. */
  | 'invalid_check_digit';

/**
 * Where a refused value is in the input, by the attribute names of the resource:
 * `['body', 'cbu']` is the `cbu` of an instruction's `body`.
 */
export type FieldPath = readonly string[];

/** An attribute of a user or of a withdrawal instruction refused at creation (SPEC section 5). */
export interface InvalidFieldError {
  readonly type: 'InvalidField';
  readonly code: 'invalid_field';
  readonly entity: 'user' | 'withdrawal_instruction';
  readonly field: FieldPath;
  readonly reason: FieldRefusal;
  readonly message: string;
}

/** Why a withdrawal instruction cannot be used for a destination port (SPEC section 4, check 2). */
export type InstructionMismatchReason = 'country_mismatch' | 'currency_mismatch' | 'missing_field';

/** A withdrawal instruction that does not fit a port: wrong country or currency, or a required field absent. */
export interface InstructionMismatchError {
  readonly type: 'InstructionMismatch';
  readonly code: 'instruction_mismatch';
  readonly portCode: string;
  readonly field: FieldPath;
  readonly reason: InstructionMismatchReason;
  readonly message: string;
}

/**
 * The refusals that point at a field of the input. They are meant to join `DomainError`;
 * until the application's mapping of domain errors to API errors handles them, they are a
 * union of their own, so that adding them breaks no exhaustive match.
 */
export type FieldError = InvalidFieldError | InstructionMismatchError;

/** Shows a refused input in a message without letting a huge or odd value through. */
export const showValue = (value: unknown): string => {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return String(value);
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : typeof value;
};

/** A field path as a message shows it: `body.cbu`, long keys cut short. */
export const showPath = (field: FieldPath): string =>
  field.map((key) => (key.length > 40 ? `${key.slice(0, 40)}…` : key)).join('.');

export const invalidField = (
  entity: InvalidFieldError['entity'],
  field: FieldPath,
  reason: FieldRefusal,
  why: string,
): InvalidFieldError => ({
  type: 'InvalidField',
  code: 'invalid_field',
  entity,
  field,
  reason,
  message: `${showPath(field)}: ${why}`,
});

type Lifecycle = { readonly entity: 'request' | 'output'; readonly id: string; readonly state: string };

export const invalidTransition = (at: Lifecycle, action: string): DomainError => ({
  type: 'InvalidTransition',
  code: 'invalid_transition',
  entity: at.entity,
  id: at.id,
  state: at.state,
  action,
  message: `cannot ${action} ${at.entity} ${at.id}: it is ${at.state}, and ${action} is not allowed from ${at.state}`,
});

export const guardFailed = (
  at: Lifecycle,
  action: string,
  code: Extract<DomainError, { type: 'GuardFailed' }>['code'],
  why: string,
): DomainError => ({
  type: 'GuardFailed',
  code,
  entity: at.entity,
  id: at.id,
  state: at.state,
  action,
  message: `cannot ${action} ${at.entity} ${at.id} (${at.state}): ${why}`,
});
