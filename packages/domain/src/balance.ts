import { err, ok, type Result } from 'neverthrow';
import type { Currency } from './currency.js';
import type { DomainError } from './errors.js';
import { type Money, money } from './money.js';

/**
 * A payer's money in one currency, SPEC section 4. Every movement keeps
 * deposited = available + inFlight + spent + returnCosts.
 */
export interface Balance {
  readonly userId: string;
  readonly currency: string;
  readonly scale: number;
  /** What the payer can spend now. */
  readonly available: bigint;
  /** Debited for working requests, not yet settled, returned or refunded. */
  readonly inFlight: bigint;
  /** Budgets of settled outputs. */
  readonly spent: bigint;
  /** What returned payments cost. */
  readonly returnCosts: bigint;
  /** Every deposit ever credited. */
  readonly deposited: bigint;
}

export type MoneyMovement =
  | { readonly kind: 'deposit'; readonly payerId: string; readonly amount: Money }
  /** Start of work: total_to_spend leaves the balance. */
  | { readonly kind: 'debit'; readonly payerId: string; readonly requestId: string; readonly amount: Money }
  /** A rejected or cancelled output: its full budget comes back. */
  | {
      readonly kind: 'refund';
      readonly payerId: string;
      readonly requestId: string;
      readonly outputId: string;
      readonly amount: Money;
    }
  /** A settled output: its budget is spent. */
  | {
      readonly kind: 'spend';
      readonly payerId: string;
      readonly requestId: string;
      readonly outputId: string;
      readonly amount: Money;
    }
  /** A returned output: budget minus the return cost comes back. */
  | {
      readonly kind: 'return';
      readonly payerId: string;
      readonly requestId: string;
      readonly outputId: string;
      readonly refunded: Money;
      readonly cost: Money;
    };

export const emptyBalance = (userId: string, currency: Currency): Balance => ({
  userId,
  currency: currency.code,
  scale: currency.exponent,
  available: 0n,
  inFlight: 0n,
  spent: 0n,
  returnCosts: 0n,
  deposited: 0n,
});

export const availableMoney = (b: Balance): Money =>
  money(b.available, { code: b.currency, exponent: b.scale });

const movedCurrency = (m: MoneyMovement): string =>
  m.kind === 'return' ? m.refunded.currency : m.amount.currency;

/** Applies one movement; refuses a debit the balance cannot cover and a foreign currency. */
export const applyMovement = (balance: Balance, movement: MoneyMovement): Result<Balance, DomainError> => {
  if (movedCurrency(movement) !== balance.currency)
    return err({
      type: 'CurrencyMismatch',
      code: 'currency_mismatch',
      expected: balance.currency,
      actual: movedCurrency(movement),
      message: `a ${movement.kind} in ${movedCurrency(movement)} cannot touch a ${balance.currency} balance`,
    });
  switch (movement.kind) {
    case 'deposit':
      return ok({
        ...balance,
        available: balance.available + movement.amount.amount,
        deposited: balance.deposited + movement.amount.amount,
      });
    case 'debit':
      if (balance.available < movement.amount.amount)
        return err({
          type: 'GuardFailed',
          code: 'insufficient_funds',
          entity: 'request',
          id: movement.requestId,
          state: 'quote_accepted',
          action: 'start_working',
          message: `cannot debit ${movement.amount.amount} from ${balance.currency} balance of ${balance.userId}: only ${balance.available} available`,
        });
      return ok({
        ...balance,
        available: balance.available - movement.amount.amount,
        inFlight: balance.inFlight + movement.amount.amount,
      });
    case 'refund':
      return ok({
        ...balance,
        available: balance.available + movement.amount.amount,
        inFlight: balance.inFlight - movement.amount.amount,
      });
    case 'spend':
      return ok({
        ...balance,
        spent: balance.spent + movement.amount.amount,
        inFlight: balance.inFlight - movement.amount.amount,
      });
    case 'return':
      return ok({
        ...balance,
        available: balance.available + movement.refunded.amount,
        returnCosts: balance.returnCosts + movement.cost.amount,
        inFlight: balance.inFlight - movement.refunded.amount - movement.cost.amount,
      });
    default: {
      const unreachable: never = movement;
      return unreachable;
    }
  }
};
