import { type OutputTarget, type Port, parseMoney } from '@concierge-ts/domain';
import { ok } from 'neverthrow';
import { fromDomainError } from '../gateway/errors.js';
import { field, type MemberPath } from '../gateway/field.js';
import type { ServiceResult } from './context.js';
import { unprocessable } from './input.js';

/** How many distinct numbers per currency a memo of targets remembers. */
const TARGET_MEMO_SIZE = 4096;

/**
 * What an output (or an estimate line) is to pay: exactly one of `amount` (destination
 * currency) or `budget` (origin currency), parsed as exact money.
 *
 * Targets parsed from JSON numbers are remembered per currency: outputs with the same
 * amount share one immutable target (and its money) instead of each keeping its own copy,
 * about 100 bytes an output at a million; the parse is skipped too. Bounded per currency.
 */
export class OutputTargets {
  private readonly amounts = new Map<string, Map<number, OutputTarget>>();
  private readonly budgets = new Map<string, Map<number, OutputTarget>>();

  /** The target of `input`, refused at the attribute `[...at, 'amount']` or `[...at, 'budget']`. */
  parse(
    input: { amount?: unknown; budget?: unknown },
    origin: Port,
    destination: Port,
    at: MemberPath,
  ): ServiceResult<OutputTarget> {
    const hasAmount = input.amount !== undefined && input.amount !== null;
    const hasBudget = input.budget !== undefined && input.budget !== null;
    if (hasAmount === hasBudget)
      return unprocessable(
        'amount_or_budget',
        hasAmount ? 'give amount or budget, not both' : 'give exactly one of amount or budget',
        field.attribute(...at, 'amount'),
      );
    const given = hasAmount ? input.amount : input.budget;
    const currency = hasAmount ? destination.currency.code : origin.currency.code;
    const memo = hasAmount ? this.amounts : this.budgets;
    const known = typeof given === 'number' ? memo.get(currency)?.get(given) : undefined;
    if (known) return ok(known);
    const parsed = hasAmount
      ? parseMoney(given, currency)
          .map((amount): OutputTarget => ({ kind: 'amount', amount }))
          .mapErr((e) => fromDomainError(e, field.attribute(...at, 'amount')))
      : parseMoney(given, currency)
          .map((budget): OutputTarget => ({ kind: 'budget', budget }))
          .mapErr((e) => fromDomainError(e, field.attribute(...at, 'budget')));
    if (parsed.isOk() && typeof given === 'number') {
      let byValue = memo.get(currency);
      if (!byValue) {
        byValue = new Map();
        memo.set(currency, byValue);
      }
      if (byValue.size < TARGET_MEMO_SIZE) byValue.set(given, parsed.value);
    }
    return parsed;
  }
}
