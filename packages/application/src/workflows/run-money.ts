import { currencyOf, type Money, moneyText, parseDecimal, parseMoney } from '@concierge-ts/domain';
import { err, ok, type Result } from 'neverthrow';

const pow10 = (n: number): bigint => 10n ** BigInt(n);

/** The currency code of a port code (`cl_clp` → `CLP`), or undefined when it has none. */
export const portCurrencyCode = (portCode: string): string | undefined => {
  const code = /^[a-z]{2}_([a-z]{3})$/.exec(portCode)?.[1];
  return code === undefined || currencyOf(code).isErr() ? undefined : code.toUpperCase();
};

/** Decimal text of a port's currency as money, or why not. */
export const moneyOfPort = (text: string, portCode: string): Result<Money, string> => {
  const code = portCurrencyCode(portCode);
  if (code === undefined) return err(`${portCode} is not a port code such as ar_ars`);
  const parsed = parseMoney(text, code);
  return parsed.isOk() ? ok(parsed.value) : err(parsed.error.message);
};

/** Money as plain decimal text with the currency's decimals. */
export const moneyString = (m: Money): string => moneyText(m);

/** A non-negative fraction such as `0.02`, as (numerator, 10^scale). */
export const parseFraction = (
  text: string,
): { readonly units: bigint; readonly scale: number } | undefined => {
  // Digits, then maybe a point and digits: decimal text that is never negative.
  const parsed = /^\d+(\.\d+)?$/.test(text) ? parseDecimal(text) : undefined;
  return parsed === undefined ? undefined : { units: parsed.coefficient, scale: parsed.scale };
};

/** Whether `quote` ≤ `estimate` × (1 + tolerance), exactly, all in minor units of one currency. */
export const withinTolerance = (quote: bigint, estimate: bigint, tolerance: string): boolean => {
  const fraction = parseFraction(tolerance) ?? { units: 0n, scale: 0 };
  const one = pow10(fraction.scale);
  return quote * one <= estimate * (one + fraction.units);
};

/** Minor units of decimal text at a scale (exact; text already validated). */
export const minorUnits = (text: string, scale: number): bigint => {
  const parsed = parseDecimal(text);
  if (parsed === undefined) return 0n;
  return parsed.scale <= scale
    ? parsed.coefficient * pow10(scale - parsed.scale)
    : parsed.coefficient / pow10(parsed.scale - scale);
};
