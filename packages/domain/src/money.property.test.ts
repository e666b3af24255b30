import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { currencyOf } from './currency.js';
import { formatMoney, MAX_MAJOR_UNITS, moneyText, moneyToNumber, parseMoney } from './money.js';
import { findActivePort, parsePortCode } from './port.js';
import { parseFee, parseRate, RATE_SCALE } from './rate.js';
import {
  arbAmountSpelling,
  arbAnyMoney,
  arbCurrency,
  arbMalformedAmount,
  arbMalformedPortCode,
  arbMoney,
  arbPortCatalog,
  arbPortCode,
  arbUnknownCurrencyCode,
  decimalText,
  propertyTest,
  SPEC_CURRENCIES,
} from './testing/index.js';

const test = propertyTest(it);

/** SPEC section 5: synchronous validation of amounts and port codes; section 6: rates. */

/** Runs `f` and fails the property (instead of crashing the runner) if it throws. */
const neverThrows = <T>(f: () => T): T => {
  try {
    return f();
  } catch (error) {
    throw new Error(`threw instead of returning an Err: ${String(error)}`);
  }
};

describe('money', () => {
  test.prop([arbAnyMoney()], { numRuns: 500 })(
    'parseMoney reads back what formatMoney and moneyText write, in every ISO 4217 currency',
    (m) => {
      const text = formatMoney(m);
      expect(moneyText(m)).toBe(text);
      expect(parseMoney(text, m.currency)._unsafeUnwrap()).toEqual(m);
      // Exactly the currency's decimals, no more, no fewer.
      expect(text.split('.')[1]?.length ?? 0).toBe(m.scale);
    },
  );

  test.prop([arbCurrency().chain((c) => arbAmountSpelling(c))], { numRuns: 500 })(
    'parseMoney reads every spelling of a valid amount (JSON number, plain decimal text, trailing zeros) as the same money',
    ({ input, expected }) => {
      expect(parseMoney(input, expected.currency)._unsafeUnwrap()).toEqual(expected);
      expect(parseMoney(input, expected.currency.toLowerCase())._unsafeUnwrap()).toEqual(expected);
    },
  );

  test.prop([fc.constantFrom(...SPEC_CURRENCIES).chain((c) => arbMoney(c))], { numRuns: 500 })(
    'moneyToNumber is exact for every amount the spec currencies accept: the JSON number reads back as the same money',
    (m) => {
      expect(parseMoney(moneyToNumber(m), m.currency)._unsafeUnwrap()).toEqual(m);
    },
  );

  test.prop([arbCurrency().chain((c) => fc.tuple(fc.constant(c), arbMalformedAmount(c)))], { numRuns: 500 })(
    'random malformed amounts (NaN, Infinity, zero, negative, too many decimals, huge, strings, objects) never throw and are refused with the right reason',
    ([currency, { input, reason }]) => {
      const result = neverThrows(() => parseMoney(input, currency.code));
      const error = result._unsafeUnwrapErr();
      expect(error).toMatchObject({
        type: 'InvalidMoney',
        code: 'invalid_amount',
        reason,
        currency: currency.code,
      });
      expect(typeof error.message).toBe('string');
    },
  );

  test.prop(
    [arbCurrency(), fc.constantFrom(0, -0, '0', '0.00', '0.000'), fc.anything(), arbUnknownCurrencyCode()],
    { numRuns: 300 },
  )(
    'zero is refused for a payment and accepted for a balance; an unknown currency is refused with unknown_currency',
    (currency, zero, anything, unknown) => {
      expect(parseMoney(zero, currency.code)._unsafeUnwrapErr()).toMatchObject({ reason: 'not_positive' });
      expect(parseMoney(zero, currency.code, { allowZero: true })._unsafeUnwrap()).toEqual({
        amount: 0n,
        currency: currency.code,
        scale: currency.exponent,
      });
      const foreign = neverThrows(() => parseMoney(anything, unknown));
      expect(foreign._unsafeUnwrapErr()).toMatchObject({
        code: 'invalid_amount',
        reason: 'unknown_currency',
      });
    },
  );

  test.prop([arbCurrency(), fc.bigInt({ min: 1n, max: 10n ** 6n })], { numRuns: 300 })(
    'the largest amount is accepted and one minor unit more is refused as too_large',
    (currency, below) => {
      const max = MAX_MAJOR_UNITS * 10n ** BigInt(currency.exponent);
      expect(parseMoney(decimalText(max, currency.exponent), currency.code)._unsafeUnwrap().amount).toBe(max);
      expect(parseMoney(decimalText(max - below + 1n, currency.exponent), currency.code).isOk()).toBe(true);
      expect(
        parseMoney(decimalText(max + below, currency.exponent), currency.code)._unsafeUnwrapErr(),
      ).toMatchObject({
        reason: 'too_large',
      });
    },
  );
});

describe('port codes', () => {
  test.prop([arbPortCode()], { numRuns: 300 })(
    'a well-formed port code parses to its upper-case country and its ISO 4217 currency',
    (code) => {
      const parsed = parsePortCode(code)._unsafeUnwrap();
      expect(parsed.code).toBe(code);
      expect(parsed.country).toBe(code.slice(0, 2).toUpperCase());
      expect(parsed.currency).toEqual(currencyOf(code.slice(3))._unsafeUnwrap());
      expect(parsed.currency.code).toBe(code.slice(3).toUpperCase());
    },
  );

  test.prop([arbMalformedPortCode(), arbPortCatalog()], { numRuns: 500 })(
    'random malformed port codes (case, separators, spaces, unknown currency, non-strings) never throw and are refused with invalid_port_code',
    (input, catalog) => {
      const parsed = neverThrows(() => parsePortCode(input));
      expect(parsed._unsafeUnwrapErr()).toMatchObject({ type: 'InvalidPortCode', code: 'invalid_port_code' });
      const found = neverThrows(() => findActivePort(catalog, input as string));
      expect(found._unsafeUnwrapErr().code).toBe('invalid_port_code');
    },
  );

  test.prop([arbPortCatalog(), arbPortCode()], { numRuns: 300 })(
    'findActivePort finds an active port of the catalog, and refuses an inactive one with inactive_port and a missing one with unknown_port',
    (catalog, other) => {
      for (const port of catalog.ports) {
        const found = findActivePort(catalog, port.code);
        if (port.active) expect(found._unsafeUnwrap()).toBe(port);
        else expect(found._unsafeUnwrapErr()).toMatchObject({ code: 'inactive_port', portCode: port.code });
      }
      if (!catalog.ports.some((p) => p.code === other))
        expect(findActivePort(catalog, other)._unsafeUnwrapErr()).toMatchObject({
          code: 'unknown_port',
          portCode: other,
        });
    },
  );
});

/** A non-negative decimal as text, with its value in 10^-8 units when 8 decimals can hold it. */
const arbDecimal = (maxWhole: bigint, decimals: fc.Arbitrary<number>) =>
  fc
    .tuple(fc.bigInt({ min: 0n, max: maxWhole }), decimals, fc.bigInt({ min: 0n, max: 10n ** 12n }))
    .map(([whole, places, digits]) => {
      const fraction = (digits % 10n ** BigInt(places)).toString().padStart(places, '0');
      const text = places === 0 ? `${whole}` : `${whole}.${fraction}`;
      const numerator = whole * 10n ** BigInt(places) + (places === 0 ? 0n : BigInt(fraction));
      const units =
        places <= RATE_SCALE
          ? numerator * 10n ** BigInt(RATE_SCALE - places)
          : numerator % 10n ** BigInt(places - RATE_SCALE) === 0n
            ? numerator / 10n ** BigInt(places - RATE_SCALE)
            : undefined;
      return { text, units };
    });

describe('rates and fees', () => {
  test.prop([arbDecimal(10n ** 6n, fc.integer({ min: 0, max: 12 }))], { numRuns: 500 })(
    'parseRate reads a positive decimal with at most 8 decimals exactly, and refuses more decimals, zero and negatives',
    ({ text, units }) => {
      const result = neverThrows(() => parseRate(text));
      if (units === undefined || units === 0n) expect(result._unsafeUnwrapErr().code).toBe('invalid_rate');
      else expect(result._unsafeUnwrap().units).toBe(units);
      expect(parseRate(`-${text}`).isErr()).toBe(true);
    },
  );

  test.prop([arbDecimal(0n, fc.integer({ min: 0, max: 8 })), fc.boolean()], { numRuns: 500 })(
    'parseFee accepts every fraction in [0, 1) with at most 8 decimals, zero included in any spelling, as text or number',
    ({ text, units }, asNumber) => {
      const input = asNumber ? Number(text) : text;
      expect(neverThrows(() => parseFee(input))._unsafeUnwrap().units).toBe(units);
    },
  );

  test.prop(
    [
      fc.oneof(
        arbDecimal(10n ** 6n, fc.integer({ min: 0, max: 8 })).map((d) => `1${d.text}`),
        fc.constantFrom('1', '1.0', 1, 2.5, '-0.1', Number.NaN, Number.POSITIVE_INFINITY, 'abc', null, {}),
      ),
    ],
    { numRuns: 300 },
  )('parseFee refuses 1 and more, negatives and non-numbers with invalid_rate, without throwing', (input) => {
    expect(neverThrows(() => parseFee(input))._unsafeUnwrapErr().code).toBe('invalid_rate');
  });
});
