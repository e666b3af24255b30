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
