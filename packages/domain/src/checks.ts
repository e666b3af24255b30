import type { Money } from './money.js';
import type { RejectionReason } from './output.js';
import type { Port } from './port.js';
import { type ComplianceState, compliancePaymentVerdict } from './user/user.js';

export interface CheckInput {
  readonly payee: { readonly id: string; readonly complianceState: ComplianceState };
  readonly instruction: { readonly userId: string; readonly country: string; readonly currency: string };
  readonly port: Port;
  /** The amount, or the budget converted at the current rate, in the port's currency. */
  readonly amount: Money;
}

/** `wait`: the output stays `accepting` until the payee's compliance state changes. */
export type CheckVerdict =
  | { readonly kind: 'pass' }
  | { readonly kind: 'wait' }
  | { readonly kind: 'fail'; readonly reason: RejectionReason };

/**
 * The acceptance checks of SPEC section 4. Definite failures win over a compliance state
 * that makes the payment wait (`new`, `disabled`): an output that can never pass is
 * rejected at once.
 */
export const acceptanceChecks = (input: CheckInput): CheckVerdict => {
  const { payee, instruction, port, amount } = input;
  const compliance = compliancePaymentVerdict(payee.complianceState);
  if (compliance === 'refuse') return { kind: 'fail', reason: 'compliance_rejected' };
  if (
    instruction.userId !== payee.id ||
    instruction.country.toUpperCase() !== port.country ||
    instruction.currency.toUpperCase() !== port.currency.code
  )
    return { kind: 'fail', reason: 'instruction_mismatch' };
  if (
    amount.currency !== port.currency.code ||
    amount.amount < port.minAmount.amount ||
    amount.amount > port.maxAmount.amount
  )
    return { kind: 'fail', reason: 'amount_out_of_range' };
  if (compliance === 'wait') return { kind: 'wait' };
  return { kind: 'pass' };
};
