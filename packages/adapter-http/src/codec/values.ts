import {
  type Currency,
  type DomainError,
  type Money,
  moneyToNumber,
  parseDecimal,
  parseMoney,
  parsePortCode,
  parseRate,
  RATE_SCALE,
  type Rate,
  rateToNumber,
} from '@concierge-ts/domain';
import { z } from 'zod';

/**
 * Scalars as they travel: money and rates as JSON numbers (decimal strings accepted),
 * timestamps as ISO 8601 UTC with milliseconds. Decoding is exact: a number becomes
 * minor units without binary arithmetic on money.
 */

/** What the wire may carry for an amount or a rate. */
export const wireNumber = z.union([z.number(), z.string()]);

const currencyCache = new Map<string, Currency | null>();

/** The currency of a port code (`cl_clp` → CLP, 0 decimals), memoised: decoding asks once per output. */
export const portCurrency = (portCode: string): Currency | null => {
  let found = currencyCache.get(portCode);
  if (found === undefined) {
    const parsed = parsePortCode(portCode);
    found = parsed.isOk() ? parsed.value.currency : null;
    if (currencyCache.size < 10_000) currencyCache.set(portCode, found);
  }
  return found;
};

const POW10 = [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000];

/**
 * A wire amount as exact money of a currency, or the reason it is not one.
 *
 * Fast path: a JSON number n with at most `exponent` decimals satisfies
 * round(n·10^e) / 10^e === n (division by a power of ten is correctly rounded, so it
 * gives back the double nearest to the decimal, which is n). Anything else goes through
 * `parseMoney`, the domain's exact parser. The provider's sandbox has been seen to send
 * unrounded figures (SPEC section 6); those are kept exact at their own scale rather
 * than refused or rounded.
 */
export const decodeMoney = (value: unknown, currency: Currency): Money | DomainError => {
  if (typeof value === 'number') {
    const factor = POW10[currency.exponent];
    if (factor !== undefined && value >= 0) {
      const minor = Math.round(value * factor);
      if (Number.isSafeInteger(minor) && minor / factor === value)
        return { amount: BigInt(minor), currency: currency.code, scale: currency.exponent };
    }
  }
  const parsed = parseMoney(value, currency.code, { allowZero: true });
  if (parsed.isOk()) return parsed.value;
  if (parsed.error.type === 'InvalidMoney' && parsed.error.reason === 'too_many_decimals') {
    const exact = parseDecimal(String(value).trim());
    if (exact) return { amount: exact.coefficient, currency: currency.code, scale: exact.scale };
  }
  return parsed.error;
};

const RATE_FACTOR = POW10[RATE_SCALE] as number;

/** A wire rate (8 decimals at most) as a scaled integer; same fast path as money. */
export const decodeRate = (value: unknown): Rate | DomainError => {
  if (typeof value === 'number' && value > 0) {
    const units = Math.round(value * RATE_FACTOR);
    if (Number.isSafeInteger(units) && units / RATE_FACTOR === value) return { units: BigInt(units) };
  }
  const parsed = parseRate(value);
  return parsed.isOk() ? parsed.value : parsed.error;
};

export const isDomainError = (value: object): value is DomainError => 'type' in value && 'message' in value;

export const encodeMoney = (m: Money): number => moneyToNumber(m);
export const encodeMoneyOrNull = (m: Money | null): number | null => (m === null ? null : moneyToNumber(m));
export const encodeRate = (r: Rate): number => rateToNumber(r);
export const encodeRateOrNull = (r: Rate | null): number | null => (r === null ? null : rateToNumber(r));

const isDigit = (code: number): boolean => code >= 48 && code <= 57;

/** `YYYY-MM-DDTHH:MM:SS.sssZ`, checked by character codes: no regex on a hot field. */
const isCanonicalTime = (s: string): boolean => {
  if (s.length !== 24) return false;
  for (let i = 0; i < 24; i += 1) {
    const c = s.charCodeAt(i);
    switch (i) {
      case 4:
      case 7:
        if (c !== 45) return false;
        break;
      case 10:
        if (c !== 84) return false;
        break;
      case 13:
      case 16:
        if (c !== 58) return false;
        break;
      case 19:
        if (c !== 46) return false;
        break;
      case 23:
        if (c !== 90) return false;
        break;
      default:
        if (!isDigit(c)) return false;
    }
  }
  return true;
};

/** An ISO 8601 timestamp normalised to UTC with milliseconds, or undefined if it is not one. */
export const decodeTime = (value: string): string | undefined => {
  if (isCanonicalTime(value)) return value;
  if (value.length > 64) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
};
