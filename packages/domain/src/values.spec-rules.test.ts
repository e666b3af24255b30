import { describe, expect, it } from 'vitest';
import { parseDecimal } from './decimal.js';
import { type Money, moneyText, parseMoney } from './money.js';
import { parseFee, parseRate, rateText, rateToNumber } from './rate.js';
import { checkText } from './text.js';

/**
 * Rules of SPEC sections 5 (amounts) and 6 (rates, exact decimal arithmetic) stated with
 * values written here by hand, and the limits the code puts on free text and amount text.
 */

const refusal = (input: unknown) => parseMoney(input, 'USD')._unsafeUnwrapErr();

describe('amounts (SPEC 5: a finite number greater than zero)', () => {
  it('an infinite JSON number is refused as not finite; infinity spelled as text is not a plain decimal', () => {
    for (const input of [Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      expect(refusal(input)).toMatchObject({ code: 'invalid_amount', reason: 'not_finite' });
    }
    for (const input of ['Infinity', '-Infinity', '+inf', 'INF', ' infinity ']) {
      expect(refusal(input)).toMatchObject({ code: 'invalid_amount', reason: 'not_a_number' });
    }
  });

  it('a string amount is plain decimal text (SPEC 5: digits, one optional point; no sign, exponent or spaces)', () => {
    expect(parseMoney('1000', 'USD')._unsafeUnwrap()).toEqual({ amount: 100000n, currency: 'USD', scale: 2 });
    expect(parseMoney('12.50', 'USD')._unsafeUnwrap()).toEqual({ amount: 1250n, currency: 'USD', scale: 2 });
    for (const input of [
      '+5',
      ' 5',
      '5 ',
      '5e2',
      '5E0',
      '.5',
      '5.',
      '1,000',
      '\t5',
      '5\n',
      '0x5',
      '5-5',
      '- 5',
      '-5 ',
      '-5e2',
      '-.5',
      '-5.',
      'x-5',
    ]) {
      expect(refusal(input)).toMatchObject({ code: 'invalid_amount', reason: 'not_a_number' });
    }
    // A minus sign is refused too, as negative (what the integrator needs to know).
    for (const input of ['-5', '-50', '-12.50', '-0.01', '-0']) {
      expect(refusal(input)).toMatchObject({ code: 'invalid_amount', reason: 'negative' });
    }
    // JSON numbers are numbers, whatever their spelling was on the wire.
    expect(parseMoney(5e2, 'USD')._unsafeUnwrap().amount).toBe(50000n);
  });

  it('text that merely contains "inf" or "Infinity" is not a number at all', () => {
    for (const input of ['1inf', 'xInfinity', 'Infinity1', 'infinite']) {
      expect(refusal(input)).toMatchObject({ code: 'invalid_amount', reason: 'not_a_number' });
    }
  });

  it('amount text is read up to 64 characters; longer text is refused as too large without being read', () => {
    const zeros = (n: number) => '0'.repeat(n);
    const at64 = `${zeros(57)}1500.25`;
    expect(at64).toHaveLength(64);
    expect(parseMoney(at64, 'USD')._unsafeUnwrap()).toEqual({ amount: 150025n, currency: 'USD', scale: 2 });
    const at65 = `0${at64}`;
    expect(refusal(at65)).toMatchObject({ code: 'invalid_amount', reason: 'too_large' });
  });
});

describe('decimal text is read exactly (SPEC 6: exact decimal arithmetic, never binary floating point)', () => {
  it('reads digits, a fraction and an exponent as coefficient / 10^scale, with no trailing zeros and no negative scale', () => {
    expect(parseDecimal('1500.25')).toEqual({ coefficient: 150025n, scale: 2 });
    expect(parseDecimal('1.50')).toEqual({ coefficient: 15n, scale: 1 });
    expect(parseDecimal('5e2')).toEqual({ coefficient: 500n, scale: 0 });
    expect(parseDecimal('1.5E3')).toEqual({ coefficient: 1500n, scale: 0 });
    expect(parseDecimal('.5')).toEqual({ coefficient: 5n, scale: 1 });
    expect(parseDecimal('-.25e1')).toEqual({ coefficient: -25n, scale: 1 });
    expect(parseDecimal('125e-2')).toEqual({ coefficient: 125n, scale: 2 });
  });

  it('refuses what is not decimal text', () => {
    for (const text of ['', '.', '+', '-.', '5.', '1e', '1e12345', '1.2.3', '0x10', '1,5', '½']) {
      expect(parseDecimal(text)).toBeUndefined();
    }
  });

  it('writes negative money with a leading minus and the currency decimals', () => {
    const usd = (amount: bigint): Money => ({ amount, currency: 'USD', scale: 2 });
    expect(moneyText(usd(-5n))).toBe('-0.05');
    expect(moneyText(usd(-150025n))).toBe('-1500.25');
    expect(moneyText({ amount: -7n, currency: 'CLP', scale: 0 })).toBe('-7');
  });
});

describe('the largest amount as a JSON number (SPEC 5)', () => {
  it('a whole number of major units up to 10^12 is accepted; one more, as a number, is refused as too large', () => {
    expect(parseMoney(1_000_000_000_000, 'CLP')._unsafeUnwrap().amount).toBe(1_000_000_000_000n);
    expect(parseMoney(1_000_000_000_000, 'USD')._unsafeUnwrap().amount).toBe(100_000_000_000_000n);
    for (const [input, currency] of [
      [1_000_000_000_001, 'CLP'],
      [1e13, 'CLP'],
      [1_000_000_000_000.01, 'USD'],
    ] as const) {
      expect(parseMoney(input, currency)._unsafeUnwrapErr()).toMatchObject({
        code: 'invalid_amount',
        reason: 'too_large',
      });
    }
  });
});

describe('rates and fees (SPEC 6: rates carry 8 decimal places)', () => {
  it('the published example rates are read and written back to the same 8 decimals, as text and as JSON numbers', () => {
    const rate = parseRate('0.00135317')._unsafeUnwrap();
    expect(rate).toEqual({ units: 135317n });
    expect(rateText(rate)).toBe('0.00135317');
    expect(rateToNumber(rate)).toBe(0.00135317);
    expect(rateToNumber(parseRate(0.02647582)._unsafeUnwrap())).toBe(0.02647582);
  });

  it('a rate must be greater than zero: zero is refused however it is spelled, the smallest rate is accepted', () => {
    for (const input of [0, '0', '0.00000000', -0.5, '-1']) {
      expect(parseRate(input)._unsafeUnwrapErr()).toMatchObject({ code: 'invalid_rate' });
    }
    expect(parseRate('0.00000001')._unsafeUnwrap()).toEqual({ units: 1n });
  });

  it('a rate or a fee that is neither a JSON number nor decimal text is refused, even when its text would read as one', () => {
    for (const input of [[1.5], ['0.5'], null, true, {}]) {
      expect(parseRate(input)._unsafeUnwrapErr()).toMatchObject({ code: 'invalid_rate' });
    }
    for (const input of [[0], ['0'], [], null]) {
      expect(parseFee(input)._unsafeUnwrapErr()).toMatchObject({ code: 'invalid_rate' });
    }
    expect(parseFee(0)._unsafeUnwrap()).toEqual({ units: 0n });
    expect(parseFee('0.00')._unsafeUnwrap()).toEqual({ units: 0n });
  });
});

describe('free text (names, cities, addresses)', () => {
  it('control characters (C0, DEL, C1) are refused; tab, line feed and carriage return are kept', () => {
    for (const text of ['a\u0000b', 'bell\u0007', 'del\u007f', 'next line\u0085', '\u001bescape']) {
      expect(checkText(text, 100)._unsafeUnwrapErr()).toMatchObject({ reason: 'invalid_format' });
    }
    for (const text of ['Av. Corrientes\t1234', 'line one\nline two', 'crlf\r\n', 'Ñuñoa, São Paulo']) {
      expect(checkText(text, 100)._unsafeUnwrap()).toBe(text);
    }
  });
});
