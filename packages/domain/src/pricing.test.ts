import { describe, expect, it } from 'vitest';
import { moneyText, parseMoney } from './money.js';
import { priceOutput, totalToSpend } from './pricing.js';
import { parseFee, parseRate, rateText } from './rate.js';

const CLP = { code: 'CLP', exponent: 0 };
const USD = { code: 'USD', exponent: 2 };
const MXN = { code: 'MXN', exponent: 2 };

const quote = (rate: string, fee: string) => ({
  rate: parseRate(rate)._unsafeUnwrap(),
  fee: parseFee(fee)._unsafeUnwrap(),
});

/**
 * The published example of SPEC section 6 (origin cl_clp). The provider did not round
 * to minor units; this project does. Fees are the ones that reproduce the published
 * all_in_rate at 8 decimals.
 */
describe('the published pricing example, under this project rounding', () => {
  const usd = priceOutput(
    { kind: 'budget', budget: parseMoney(100000, 'CLP')._unsafeUnwrap() },
    quote('0.00135317', '0.0099688'),
    CLP,
    USD,
  );
  const mxn = priceOutput(
    { kind: 'amount', amount: parseMoney(500, 'MXN')._unsafeUnwrap() },
    quote('0.02647582', '0.0129356'),
    CLP,
    MXN,
  );

  it('reproduces the published all-in rates', () => {
    expect(rateText(usd.allInRate)).toBe('0.00133968');
    expect(rateText(mxn.allInRate)).toBe('0.02613333');
  });

  it('us_usd, budget 100000 CLP: amount 100000 × 0.00133968 = 133.968, rounded down to 133.96 USD', () => {
    expect(moneyText(usd.budget)).toBe('100000');
    expect(moneyText(usd.amount)).toBe('133.96');
    // 133.96 ÷ 0.00135317 = 98997.17…, rounded up to 98998 CLP; 100000 − 98998.
    expect(moneyText(usd.feeAndCost)).toBe('1002');
  });

  it('mx_mxn, amount 500 MXN: budget 500 ÷ 0.02613333 = 19132.65…, rounded up to 19133 CLP', () => {
    expect(moneyText(mxn.amount)).toBe('500.00');
    expect(moneyText(mxn.budget)).toBe('19133');
    // 500 ÷ 0.02647582 = 18885.02…, rounded up to 18886; 19133 − 18886.
    expect(moneyText(mxn.feeAndCost)).toBe('247');
  });

  it('total_to_spend is 119133 CLP (published, unrounded: 119132.65420936)', () => {
    expect(moneyText(totalToSpend(CLP, [usd, mxn]))).toBe('119133');
  });
});
