import * as isoCurrencies from 'dinero.js/bigint/currencies';
import { err, ok, type Result } from 'neverthrow';
import type { DomainError } from './errors.js';

/** An ISO 4217 currency: its upper-case code and its number of minor-unit decimals. */
export interface Currency {
  readonly code: string;
  readonly exponent: number;
}

type DineroCurrency = (typeof isoCurrencies)['USD'];

const byCode = new Map<string, Currency>();
/**
 * dinero.js currencies for arithmetic and formatting, all in base 10: money here is decimal
 * (amount ÷ 10^exponent), as parseMoney reads it; dinero counts MGA and MRU in fifths
 * (base 5), which made pricing to them throw or misprice and toDecimal throw.
 */
const decimalDinero = new Map<string, DineroCurrency>();
for (const [code, currency] of Object.entries(isoCurrencies)) {
  byCode.set(code, { code, exponent: Number(currency.exponent) });
  decimalDinero.set(code, { ...currency, base: 10n });
}

/** Found currencies as results, by the code as asked: callers on hot paths get the same Ok, no allocation. */
const found = new Map<string, Result<Currency, DomainError>>();

/** Looks up an ISO 4217 currency by code (case-insensitive). */
export const currencyOf = (code: string): Result<Currency, DomainError> => {
  const cached = found.get(code);
  if (cached) return cached;
  const currency = byCode.get(code.toUpperCase());
  if (currency) {
    // Only known codes are remembered: a bounded set, whatever callers send.
    const result = ok(currency);
    found.set(code, result);
    return result;
  }
  return err({
    type: 'InvalidMoney',
    code: 'invalid_amount',
    reason: 'unknown_currency',
    currency: code,
    input: code,
    message: `unknown currency ${JSON.stringify(code)}: not an ISO 4217 code`,
  });
};

/** The dinero.js currency object for arithmetic and formatting. */
export const dineroCurrency = (code: string): DineroCurrency => {
  const currency = decimalDinero.get(code);
  if (!currency) throw new Error(`unknown currency ${code}`);
  return currency;
};
