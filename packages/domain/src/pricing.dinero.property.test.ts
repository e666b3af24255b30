import { convert, dinero, down, toSnapshot, transformScale } from 'dinero.js/bigint';
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { dineroCurrency } from './currency.js';
import { money } from './money.js';
import { multiplyByRate } from './pricing.js';
import { RATE_SCALE } from './rate.js';

/**
 * budget → amount is plain bigint arithmetic on the hot path (a million outputs);
 * it must give exactly what dinero.js gives: convert at the scaled rate, then round
 * down to the destination's minor unit.
 */
const currencies = [
  { code: 'CLP', exponent: 0 },
  { code: 'PYG', exponent: 0 },
  { code: 'ARS', exponent: 2 },
  { code: 'USD', exponent: 2 },
  { code: 'MXN', exponent: 2 },
  { code: 'UYU', exponent: 2 },
  { code: 'KWD', exponent: 3 },
];

it('multiplyByRate equals dinero.js convert + transformScale(down), exactly', () => {
  fc.assert(
    fc.property(
      fc.constantFrom(...currencies),
      fc.constantFrom(...currencies),
      fc.bigInt({ min: 1n, max: 10n ** 17n }),
      fc.bigInt({ min: 1n, max: 10n ** 13n }),
      (origin, destination, minor, rateUnits) => {
        const budget = money(minor, origin);
        const ours = multiplyByRate(budget, { units: rateUnits }, destination);
        const source = dinero({
          amount: minor,
          currency: dineroCurrency(origin.code),
          scale: BigInt(origin.exponent),
        });
        const converted = convert(source, dineroCurrency(destination.code), {
          [destination.code]: { amount: rateUnits, scale: BigInt(RATE_SCALE) },
        });
        const expected = toSnapshot(transformScale(converted, BigInt(destination.exponent), down));
        expect(ours).toEqual(money(expected.amount, destination));
      },
    ),
    { numRuns: 1000 },
  );
});
