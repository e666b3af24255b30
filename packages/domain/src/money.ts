import { dinero, toDecimal } from 'dinero.js/bigint';
import { err, ok, type Result } from 'neverthrow';
import { type Currency, currencyOf, dineroCurrency } from './currency.js';
import { formatScaled, parseDecimal, pow10 } from './decimal.js';
import { type DomainError, type MoneyRefusal, showValue } from './errors.js';

/**
 * Money as it is kept in entities: a compact value (minor units as a bigint, the
 * currency code and its scale). dinero.js does conversion and formatting; sums of
 * one currency are plain bigint additions at the same scale, which are exact.
 */
export interface Money {
  readonly amount: bigint;
  readonly currency: string;
  readonly scale: number;
}

/** The largest amount accepted from outside, in major units: anything above is a typo or an attack. */
export const MAX_MAJOR_UNITS = 1_000_000_000_000n;

export const money = (amount: bigint, currency: Currency): Money => ({
  amount,
  currency: currency.code,
  scale: currency.exponent,
});

export const zero = (currency: Currency): Money => money(0n, currency);

const refuse = (reason: MoneyRefusal, currency: string, input: unknown, why: string): DomainError => ({
  type: 'InvalidMoney',
  code: 'invalid_amount',
  reason,
  currency,
  input: showValue(input),
  message: `${showValue(input)} is not a valid ${currency} amount: ${why}`,
});

export interface ParseMoneyOptions {
  /** Accept zero (a balance); the default refuses it (a payment must be positive). */
  readonly allowZero?: boolean;
}

/**
 * Turns a JSON number or a decimal string into money of a currency. Never throws:
 * NaN, Infinity, zero or negative (unless allowed), absurdly large values and more
 * decimals than the currency allows are each refused with their own reason.
 */
export const parseMoney = (
  input: unknown,
  currencyCode: string,
  options: ParseMoneyOptions = {},
): Result<Money, DomainError> => {
  const found = currencyOf(currencyCode);
  if (found.isErr()) return err(found.error);
  const currency = found.value;
  if (typeof input === 'number') {
    const minor = exactMinorUnits(input, currency.exponent);
    if (minor !== undefined) return ok(money(minor, currency));
  }
  const code = currency.code;
  let text: string;
  if (typeof input === 'number') {
    if (Number.isNaN(input)) return err(refuse('not_a_number', code, input, 'NaN is not a number'));
    if (!Number.isFinite(input)) return err(refuse('not_finite', code, input, 'it must be finite'));
    text = String(input);
  } else if (typeof input === 'string') {
    // SPEC 5: a plain decimal string (digits, one optional point), no sign, exponent or
    // spaces. A minus sign is refused as negative, which says more than "not a number".
    if (!PLAIN_DECIMAL.test(input))
      return err(
        /^-\d+(\.\d+)?$/.test(input)
          ? refuse('negative', code, input, 'it must not be negative')
          : refuse(
              'not_a_number',
              code,
              input,
              'expected plain decimal text such as 1500.25 (digits and one optional point; no sign, exponent or spaces)',
            ),
      );
    text = input;
  } else {
    return err(refuse('not_a_number', code, input, 'expected a JSON number or a decimal string'));
  }
  if (text.length > 64) return err(refuse('too_large', code, input, 'too many digits'));
  const parsed = parseDecimal(text);
  if (!parsed) return err(refuse('not_a_number', code, input, 'expected a decimal number such as 1500.25'));
  if (parsed.coefficient < 0n) return err(refuse('negative', code, input, 'it must not be negative'));
  if (parsed.coefficient === 0n && !options.allowZero)
    return err(refuse('not_positive', code, input, 'it must be greater than zero'));
  if (parsed.scale > currency.exponent)
    return err(
      refuse(
        'too_many_decimals',
        code,
        input,
        `${code} allows ${currency.exponent} decimal${currency.exponent === 1 ? '' : 's'}, got ${parsed.scale}`,
      ),
    );
  const minor = parsed.coefficient * pow10(currency.exponent - parsed.scale);
  if (minor > MAX_MAJOR_UNITS * pow10(currency.exponent))
    return err(refuse('too_large', code, input, `it exceeds ${MAX_MAJOR_UNITS} ${code}`));
  return ok(money(minor, currency));
};

/** What a string amount may be (SPEC 5): digits with an optional fraction, nothing else. */
const PLAIN_DECIMAL = /^\d+(\.\d+)?$/;

/** Below this many minor units, two decimals a minor unit apart never share a double. */
const EXACT_LIMIT = 2 ** 49;

/**
 * The fast path of `parseMoney` for JSON numbers, which skips the text round trip
 * (String, a regular expression, BigInt of the digits) that costs about a microsecond
 * per output. m = round(input × 10^e) is the answer when m ÷ 10^e gives back the same
 * double and m < 2^49: the input is then the double nearest to the decimal m ÷ 10^e,
 * and no other decimal with at most e decimals is that close (they are 10^-e apart,
 * far more than a unit in the last place at that size), so String(input), the shortest
 * decimal that reads back as the input, is that decimal, and the text path would
 * find the same m. Anything else (zero, negative, too many decimals, too large, NaN)
 * takes the text path and its exact refusals.
 */
const exactMinorUnits = (input: number, exponent: number): bigint | undefined => {
  if (!(input > 0) || exponent > 15) return undefined;
  const unit = 10 ** exponent;
  const minor = Math.round(input * unit);
  if (minor >= EXACT_LIMIT || minor / unit !== input) return undefined;
  const result = BigInt(minor);
  return result > MAX_MAJOR_UNITS * pow10(exponent) ? undefined : result;
};

/** Decimal text with exactly the currency's decimals, e.g. "1500.25" or "19133". */
export const formatMoney = (m: Money): string =>
  toDecimal(dinero({ amount: m.amount, currency: dineroCurrency(m.currency), scale: BigInt(m.scale) }));

/** Plain decimal text without dinero, for hot paths (same result as formatMoney). */
export const moneyText = (m: Money): string => formatScaled(m.amount, m.scale);

/** The JSON number for the wire. Exact for every amount below 2^53 minor units. */
export const moneyToNumber = (m: Money): number => Number(moneyText(m));
