import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { produceQuote } from './aggregate.js';
import type { Currency } from './currency.js';
import { type Money, moneyText, parseMoney } from './money.js';
import type { Output } from './output.js';
import { type PortCode, parsePortCode } from './port.js';
import { allInRate, estimate, type OutputPrice, priceOutput, totalToSpend } from './pricing.js';
import { createRequest } from './request.js';
import {
  arbCurrency,
  arbMoney,
  arbOutputTarget,
  arbPortCode,
  arbPriceQuote,
  arbPricing,
  arbScenario,
  decimalText,
  finalState,
  outputsOf,
  propertyTest,
  runScenario,
  scenarioPrice,
  unwrap,
} from './testing/index.js';

const test = propertyTest(it);

/** SPEC section 6: pricing, with exact rationals as the oracle (no floating point anywhere). */

const RATE = 10n ** 8n;
const pow10 = (n: number) => 10n ** BigInt(n);
const ceilDiv = (a: bigint, b: bigint) => (a + b - 1n) / b;

/** a/10^sa × r/10^8 compared with b/10^sb: the sign of (a × r × 10^sb) − (b × 10^(sa+8)). */
const times = (budget: Money, rateUnits: bigint, amount: Money): { left: bigint; right: bigint } => ({
  left: budget.amount * rateUnits * pow10(amount.scale),
  right: amount.amount * pow10(budget.scale) * RATE,
});

/** An origin port and estimate lines to destinations, each with its quote and target. */
const arbEstimateInput = arbPortCode().chain((originCode) => {
  const origin = { code: originCode as string, currency: unwrap(parsePortCode(originCode)).currency };
  const line = arbPortCode().chain((portCode) => {
    const destination = unwrap(parsePortCode(portCode)).currency;
    return fc.record({
      portCode: fc.constant(portCode as string),
      destination: fc.constant(destination),
      quote: arbPriceQuote(),
      target: arbOutputTarget(origin.currency, destination),
    });
  });
  return fc.array(line, { minLength: 1, maxLength: 40 }).map((lines) => ({ origin, lines }));
});

describe('pricing', () => {
  test.prop([arbPricing().filter((p) => p.target.kind === 'amount')], { numRuns: 500 })(
    'amount given: the payee gets exactly the amount, budget × all_in_rate ≥ amount, and one minor unit less budget would not cover it',
    ({ target, price }) => {
      if (target.kind !== 'amount') return;
      expect(price.amount).toEqual(target.amount);
      const covered = times(price.budget, price.allInRate.units, price.amount);
      expect(covered.left >= covered.right).toBe(true);
      const less = times(
        { ...price.budget, amount: price.budget.amount - 1n },
        price.allInRate.units,
        price.amount,
      );
      expect(less.left < less.right).toBe(true);
    },
  );

  test.prop([arbPricing().filter((p) => p.target.kind === 'budget')], { numRuns: 500 })(
    'budget given: the payer spends exactly the budget, amount ≤ budget × all_in_rate, and one minor unit more amount would exceed it',
    ({ target, price }) => {
      if (target.kind !== 'budget') return;
      expect(price.budget).toEqual(target.budget);
      const within = times(price.budget, price.allInRate.units, price.amount);
      expect(within.right <= within.left).toBe(true);
      const more = times(price.budget, price.allInRate.units, {
        ...price.amount,
        amount: price.amount.amount + 1n,
      });
      expect(more.right > more.left).toBe(true);
    },
  );

  test.prop([arbPricing()], { numRuns: 500 })(
    'no price has more decimals than its currency allows: amount in the destination exponent, budget and fee_and_cost in the origin exponent',
    ({ origin, destination, price }) => {
      expect({ currency: price.amount.currency, scale: price.amount.scale }).toEqual({
        currency: destination.code,
        scale: destination.exponent,
      });
      for (const m of [price.budget, price.feeAndCost])
        expect({ currency: m.currency, scale: m.scale }).toEqual({
          currency: origin.code,
          scale: origin.exponent,
        });
      expect(price.amount.amount).toBeGreaterThan(-1n);
      expect(price.budget.amount).toBeGreaterThan(0n);
    },
  );

  test.prop([arbPriceQuote()], { numRuns: 500 })(
    'all_in_rate = rate × (1 − fee), rounded down to 8 decimals: never above rate, never better than the fee allows',
    (quote) => {
      const allIn = allInRate(quote).units;
      const exact = quote.rate.units * (RATE - quote.fee.units); // scale 16
      expect(allIn * RATE <= exact).toBe(true);
      expect((allIn + 1n) * RATE > exact).toBe(true);
      expect(allIn <= quote.rate.units).toBe(true);
      expect(allIn > 0n).toBe(true);
    },
  );

  test.prop([arbPricing()], { numRuns: 500 })(
    'fee_and_cost = budget − ⌈amount ÷ rate⌉ in the origin currency, and is never negative',
    ({ price }) => {
      const atMid = ceilDiv(
        price.amount.amount * pow10(price.budget.scale) * RATE,
        price.rate.units * pow10(price.amount.scale),
      );
      expect(price.feeAndCost.amount).toBe(price.budget.amount - atMid);
      expect(price.feeAndCost.amount >= 0n).toBe(true);
    },
  );

  test.prop([arbEstimateInput], { numRuns: 200 })(
    'an estimate prices each line as priceOutput does, and its total_to_spend is the exact sum of the budgets',
    ({ origin, lines }) => {
      const result = estimate(origin, lines);
      let expected = '0';
      result.outputs.forEach((line, i) => {
        const given = lines[i]!;
        expect(line.portCode).toBe(given.portCode);
        expect(line.price).toEqual(
          priceOutput(given.target, given.quote, origin.currency, given.destination),
        );
        expected = sumDecimalColumns([expected, moneyText(line.price.budget)], origin.currency.exponent);
      });
      expect(moneyText(result.totalToSpend)).toBe(expected);
    },
  );

  it('total_to_spend is the exact sum of the budgets, with no drift over 10,000 random outputs', () => {
    fc.assert(
      fc.property(arbCurrency(), fc.integer(), (currency, seed) => {
        const texts = randomBudgets(seed, currency, 10_000);
        const budgets = texts.map((t) => unwrap(parseMoney(t, currency.code)));
        const prices = budgets.map((budget) => pseudoPrice(budget));
        const expected = sumDecimalColumns(texts, currency.exponent);
        // The pricing function and the aggregate both give exactly the sum.
        expect(stripZeros(moneyText(totalToSpend(currency, prices)))).toBe(stripZeros(expected));
        const quoted = quoteOf(currency, prices);
        expect(stripZeros(moneyText(quoted.totalToSpend!))).toBe(stripZeros(expected));
      }),
      // Each run sums 10,000 budgets: 200,000 outputs in all.
      { numRuns: 20 },
    );
  });

  test.prop(
    [arbCurrency().chain((c) => fc.tuple(fc.constant(c), fc.array(arbMoney(c), { maxLength: 300 })))],
    {
      numRuns: 300,
    },
  )(
    'total_to_spend is the exact sum of any budgets, down to the extremes of what parseMoney accepts',
    ([currency, budgets]) => {
      const texts = budgets.map((b) => decimalText(b.amount, b.scale));
      const expected = sumDecimalColumns(texts, currency.exponent);
      const total = totalToSpend(currency, budgets.map(pseudoPrice));
      expect(moneyText(total)).toBe(expected);
      expect(total.scale).toBe(currency.exponent);
    },
  );

  it('a produced quote prices every accepting or accepted output at the pricing source, and total_to_spend is the sum of the priced budgets', () => {
    let quoted = 0;
    fc.assert(
      fc.property(arbScenario(), ({ config, operations }) => {
        const world = finalState(config, runScenario(config, operations));
        for (const request of world.requests) {
          if (request.quotedAt === null) continue;
          quoted += 1;
          const priced = outputsOf(world, request.id).filter((o) => o.price !== null);
          expect(priced.length).toBeGreaterThan(0);
          for (const output of priced) expect(output.price).toEqual(scenarioPrice(config, output));
          const sum = priced.reduce((n, o) => n + o.price!.budget.amount, 0n);
          expect(request.totalToSpend?.amount).toBe(sum);
          expect(request.totalToSpend?.scale).toBe(config.origin.currency.exponent);
        }
      }),
      { numRuns: 300 },
    );
    expect(quoted).toBeGreaterThan(100);
  });
});

// --- helpers --------------------------------------------------------------------------------

/** Decimal text from a seeded generator (mulberry32): 10,000 values per run, cheap to make. */
function randomBudgets(seed: number, currency: Currency, count: number): string[] {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const texts: string[] = [];
  for (let i = 0; i < count; i++) {
    const digits = 1 + Math.floor(next() * (12 + currency.exponent));
    let minor = '';
    for (let d = 0; d < digits; d++) minor += String(Math.floor(next() * 10));
    minor = minor.replace(/^0+/, '') || '1';
    texts.push(decimalText(BigInt(minor), currency.exponent));
  }
  return texts;
}

/** Sums decimal texts of one scale column by column, with plain digit counts and one carry pass. */
function sumDecimalColumns(texts: readonly string[], scale: number): string {
  const columns: number[] = []; // columns[0] is the last decimal place
  for (const text of texts) {
    const digits = text.replace('.', '');
    for (let i = 0; i < digits.length; i++) {
      const column = digits.length - 1 - i;
      columns[column] = (columns[column] ?? 0) + (digits.charCodeAt(i) - 48);
    }
  }
  let carry = 0;
  let out = '';
  for (let column = 0; column < columns.length || carry > 0; column++) {
    const total = (columns[column] ?? 0) + carry;
    out = String(total % 10) + out;
    carry = Math.floor(total / 10);
  }
  out = out.padStart(scale + 1, '0');
  const whole = out.slice(0, out.length - scale).replace(/^0+(?=\d)/, '');
  return scale === 0 ? whole : `${whole}.${out.slice(out.length - scale)}`;
}

/** Canonical decimal text: no trailing fraction zeros, no lone dot. */
function stripZeros(text: string): string {
  return text.includes('.') ? text.replace(/0+$/, '').replace(/\.$/, '') : text;
}

/** A price whose only meaningful field is its budget (total_to_spend reads nothing else). */
function pseudoPrice(budget: Money): OutputPrice {
  const one = { units: RATE };
  return { rate: one, allInRate: one, amount: budget, budget, feeAndCost: { ...budget, amount: 0n } };
}

/** produceQuote over many outputs, each priced at the given price. */
function quoteOf(currency: Currency, prices: readonly OutputPrice[]) {
  const portCode = `ar_${currency.code.toLowerCase()}` as PortCode;
  const request = {
    ...createRequest({ id: 'r', ownerId: 'm', payerId: 'p', portCode, now: 0 }),
    state: 'quote_requested' as const,
  };
  const outputs: Output[] = prices.map((price, i) => ({
    id: `o${i}`,
    requestId: 'r',
    payeeId: 'p',
    withdrawalInstructionId: 'w',
    portCode,
    target: { kind: 'budget', budget: price.budget },
    price: null,
    state: 'accepting',
    attempts: 0,
    rejectionReason: null,
    failureReason: null,
    cancellationReason: null,
    createdAt: 0,
    updatedAt: 0,
  }));
  const byId = new Map(outputs.map((o, i) => [o.id, prices[i]!]));
  return unwrap(produceQuote(request, outputs, (o) => byId.get(o.id)!, 1)).request;
}
