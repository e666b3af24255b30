/**
 * Exact decimal text <-> scaled bigint. Used where dinero.js has nothing to offer:
 * reading user input (JSON numbers or strings) and dividing by a scaled rate.
 */

export interface ScaledDecimal {
  /** The digits as an integer: value = coefficient / 10^scale. */
  readonly coefficient: bigint;
  readonly scale: number;
}

const DECIMAL = /^([+-]?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d{1,4}))?$/;
const LEADING_DOT = /^([+-]?)\.(\d+)(?:[eE]([+-]?\d{1,4}))?$/;

/** Parses decimal text (optionally with an exponent) exactly; undefined if it is not one. */
export const parseDecimal = (text: string): ScaledDecimal | undefined => {
  let sign: string;
  let whole: string;
  let fraction: string;
  let exponentText: string | undefined;
  const full = DECIMAL.exec(text);
  if (full) {
    sign = full[1] ?? '';
    whole = full[2] ?? '0';
    fraction = full[3] ?? '';
    exponentText = full[4];
  } else {
    const dot = LEADING_DOT.exec(text);
    if (!dot) return undefined;
    sign = dot[1] ?? '';
    whole = '0';
    fraction = dot[2] ?? '';
    exponentText = dot[3];
  }
  const exponent = exponentText === undefined ? 0 : Number(exponentText);
  let coefficient = BigInt(whole + fraction);
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

/** Integer division rounding towards +infinity (both operands positive or zero numerator). */
export const divideUp = (numerator: bigint, denominator: bigint): bigint => {
  const q = numerator / denominator;
  return q * denominator === numerator || numerator < 0n ? q : q + 1n;
};

/** Integer division rounding towards negative infinity (positive denominator). */
export const divideFloor = (numerator: bigint, denominator: bigint): bigint => {
  const q = numerator / denominator;
  return numerator < 0n && q * denominator !== numerator ? q - 1n : q;
};

/** Renders coefficient / 10^scale as plain decimal text, keeping exactly `scale` decimals. */
export const formatScaled = (coefficient: bigint, scale: number): string => {
  const negative = coefficient < 0n;
  const digits = (negative ? -coefficient : coefficient).toString().padStart(scale + 1, '0');
  const text = scale === 0 ? digits : `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
  return negative ? `-${text}` : text;
};
