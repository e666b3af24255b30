import type { Currency } from './currency.js';
import { divideFloor, divideUp, pow10 } from './decimal.js';
import { type Money, money } from './money.js';
import { RATE_ONE, RATE_SCALE, type Rate } from './rate.js';

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

/**
 * budget × rate in the destination currency, rounded down to its minor unit. Plain bigint
 * arithmetic, the same result as dinero.js's `convert` then `transformScale(…, down)`
 * (checked against it in the pricing tests): going through dinero objects cost several
 * microseconds per output, for each budget output of a large request.
 */
export const multiplyByRate = (budget: Money, rate: Rate, destination: Currency): Money => {
  // budget.amount / 10^origin × rate.units / 10^8 × 10^dest, floored.
  const product = budget.amount * rate.units * pow10(destination.exponent);
  return money(divideFloor(product, pow10(budget.scale + RATE_SCALE)), destination);
};

/** Prices one output given its target, the pricing source's quote and the two currencies. */
export const priceOutput = (
  target: OutputTarget,
  quote: PriceQuote,
  origin: Currency,
  destination: Currency,
): OutputPrice => pricer(quote, origin, destination)(target);

/**
 * A function that prices outputs to one destination: all_in_rate is worked out once
 * and shared by every price it returns (rates are immutable values), instead of once
 * per output of a large request.
 */
export const pricer = (
  quote: PriceQuote,
  origin: Currency,
  destination: Currency,
): ((target: OutputTarget) => OutputPrice) => {
  const allIn = allInRate(quote);
  const price = (target: OutputTarget): OutputPrice => {
    const amount =
      target.kind === 'amount' ? target.amount : multiplyByRate(target.budget, allIn, destination);
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
  // Payouts repeat amounts (a payroll pays the same few sums many times): an equal
  // target gets the same price object, which is an immutable value. Each price kept per
  // output costs about 300 bytes and several bigint divisions, for a million outputs.
  // Bounded, so distinct targets cost one failed lookup each.
  const byAmount = new Map<bigint, OutputPrice>();
  const byBudget = new Map<bigint, OutputPrice>();
  return (target) => {
    const known = target.kind === 'amount' ? byAmount : byBudget;
    const key = target.kind === 'amount' ? target.amount.amount : target.budget.amount;
    const cached = known.get(key);
    // The currency is checked too: a target in another currency is priced afresh.
    if (cached && sameTarget(cached, target)) return cached;
    const fresh = price(target);
    if (known.size < PRICE_MEMO_SIZE) known.set(key, fresh);
    return fresh;
  };
};

const PRICE_MEMO_SIZE = 4096;

const sameTarget = (price: OutputPrice, target: OutputTarget): boolean =>
  target.kind === 'amount'
    ? price.amount.currency === target.amount.currency && price.amount.scale === target.amount.scale
    : price.budget.currency === target.budget.currency && price.budget.scale === target.budget.scale;

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
