import { convert, dinero, down, toSnapshot, transformScale } from 'dinero.js/bigint';
import type { Currency } from './currency';
import { dineroCurrency } from './currency';
import { divideUp, pow10 } from './decimal';
import { type Money, money } from './money';
import { RATE_ONE, RATE_SCALE, type Rate } from './rate';

/**
 * Pricing, SPEC section 6. `rate` is destination units per origin unit, `fee` a
 * fraction; both scaled by 10^8. Rounding always protects the party who named the
 * number: the payee never receives less than `amount`, the payer never spends more
 * than `budget`.
 */

/** What an output asks for: exactly one of an amount (destination) or a budget (origin). */
export type OutputTarget =
  | { readonly kind: 'amount'; readonly amount: Money }
  | { readonly kind: 'budget'; readonly budget: Money };

/** The mid-market rate and fee the pricing source gives for one origin and destination. */
export interface PriceQuote {
  readonly rate: Rate;
  readonly fee: Rate;
}

export interface OutputPrice {
  readonly rate: Rate;
  readonly allInRate: Rate;
  /** Destination currency: what the payee receives. */
  readonly amount: Money;
  /** Origin currency: what the payer spends, fees included. */
  readonly budget: Money;
  /** Origin currency: budget − amount ÷ rate. */
  readonly feeAndCost: Money;
}

/** all_in_rate = rate × (1 − fee), rounded down to 8 decimals (never better than the fee allows). */
export const allInRate = (quote: PriceQuote): Rate => ({
  units: (quote.rate.units * (RATE_ONE - quote.fee.units)) / RATE_ONE,
});

/**
 * amount ÷ rate in the origin currency, rounded up to its minor unit. Written by hand:
 * dinero.js multiplies by scaled rates but has no exact division by one.
 */
export const divideByRate = (amount: Money, rate: Rate, origin: Currency): Money => {
  // amount.amount / 10^dest ÷ (rate.units / 10^8) × 10^origin
  const numerator = amount.amount * RATE_ONE * pow10(origin.exponent);
  const denominator = rate.units * pow10(amount.scale);
  return money(divideUp(numerator, denominator), origin);
};

/** budget × rate in the destination currency, rounded down to its minor unit (dinero.js). */
export const multiplyByRate = (budget: Money, rate: Rate, destination: Currency): Money => {
  const source = dinero({
    amount: budget.amount,
    currency: dineroCurrency(budget.currency),
    scale: BigInt(budget.scale),
  });
  const target = dineroCurrency(destination.code);
  const converted = convert(source, target, {
    [destination.code]: { amount: rate.units, scale: BigInt(RATE_SCALE) },
  });
  const rounded = toSnapshot(transformScale(converted, BigInt(destination.exponent), down));
  return money(rounded.amount, destination);
};

/** Prices one output given its target, the pricing source's quote and the two currencies. */
export const priceOutput = (
  target: OutputTarget,
  quote: PriceQuote,
  origin: Currency,
  destination: Currency,
): OutputPrice => {
  const allIn = allInRate(quote);
  const amount = target.kind === 'amount' ? target.amount : multiplyByRate(target.budget, allIn, destination);
  const budget = target.kind === 'budget' ? target.budget : divideByRate(target.amount, allIn, origin);
  const atMid = divideByRate(amount, quote.rate, origin);
  return {
    rate: quote.rate,
    allInRate: allIn,
    amount,
    budget,
    feeAndCost: money(budget.amount - atMid.amount, origin),
  };
};

/** The target expressed in the destination currency, for the acceptance limit check. */
export const amountInDestination = (target: OutputTarget, quote: PriceQuote, destination: Currency): Money =>
  target.kind === 'amount' ? target.amount : multiplyByRate(target.budget, allInRate(quote), destination);

/** total_to_spend = Σ budget, exact. */
export const totalToSpend = (origin: Currency, prices: Iterable<OutputPrice>): Money => {
  let total = 0n;
  for (const p of prices) total += p.budget.amount;
  return money(total, origin);
};

export interface EstimateLine {
  readonly portCode: string;
  readonly target: OutputTarget;
  readonly price: OutputPrice;
}

export interface Estimate {
  readonly portCode: string;
  readonly totalToSpend: Money;
  readonly outputs: readonly EstimateLine[];
}

/** A non-binding estimate: prices each line; the caller supplies quotes per destination. */
export const estimate = (
  originPort: { readonly code: string; readonly currency: Currency },
  lines: readonly {
    readonly portCode: string;
    readonly target: OutputTarget;
    readonly destination: Currency;
    readonly quote: PriceQuote;
  }[],
): Estimate => {
  const outputs = lines.map((line) => ({
    portCode: line.portCode,
    target: line.target,
    price: priceOutput(line.target, line.quote, originPort.currency, line.destination),
  }));
  return {
    portCode: originPort.code,
    totalToSpend: totalToSpend(
      originPort.currency,
      outputs.map((o) => o.price),
    ),
    outputs,
  };
};
