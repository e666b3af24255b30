/**
 * Exact decimal text <-> scaled bigint. Used where dinero.js has nothing to offer:
 * reading user input (JSON numbers or strings) and dividing by a scaled rate.
 */

export interface ScaledDecimal {
  /** The digits as an integer: value = coefficient / 10^scale. */
  readonly coefficient: bigint;
  readonly scale: number;
}

/** Digits with an optional fraction (".5" has no whole digits), an optional sign and exponent. */
const DECIMAL = /^([+-]?)(?=\.?\d)(\d*)(?:\.(\d+))?(?:[eE]([+-]?\d{1,4}))?$/;

/** Parses decimal text (optionally with an exponent) exactly; undefined if it is not one. */
export const parseDecimal = (text: string): ScaledDecimal | undefined => {
  const match = DECIMAL.exec(text);
  if (!match) return undefined;
  // The sign and whole groups always take part in a match; the fraction and exponent may not.
  const [, sign, whole, fraction = '', exponentText] = match;
  const exponent = exponentText === undefined ? 0 : Number(exponentText);
  let coefficient = BigInt(`${whole}${fraction}`);
  let scale = fraction.length - exponent;
  if (scale < 0) {
    coefficient *= 10n ** BigInt(-scale);
    scale = 0;
  }
  // Trailing zeros carry no precision: 1.50 has one decimal, not two.
  while (scale > 0 && coefficient % 10n === 0n) {
    coefficient /= 10n;
    scale -= 1;
  }
  return { coefficient: sign === '-' ? -coefficient : coefficient, scale };
};

/** 10^0 to 10^40, built once: pricing asks for powers of ten for every output it prices. */
const POWERS_OF_TEN: readonly bigint[] = Array.from({ length: 41 }, (_, n) => 10n ** BigInt(n));

export const pow10 = (n: number): bigint => POWERS_OF_TEN[n] ?? 10n ** BigInt(n);

/** Integer division rounding up (numerator zero or positive, denominator positive). */
export const divideUp = (numerator: bigint, denominator: bigint): bigint => {
  const q = numerator / denominator;
  return q * denominator === numerator ? q : q + 1n;
};

/** Integer division rounding down (numerator zero or positive, denominator positive: truncation is the floor). */
export const divideFloor = (numerator: bigint, denominator: bigint): bigint => numerator / denominator;

/** Renders coefficient / 10^scale as plain decimal text, keeping exactly `scale` decimals. */
export const formatScaled = (coefficient: bigint, scale: number): string => {
  const negative = coefficient < 0n;
  const digits = (negative ? -coefficient : coefficient).toString().padStart(scale + 1, '0');
  const text = scale === 0 ? digits : `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
  return negative ? `-${text}` : text;
};
