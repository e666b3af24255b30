import { type ConciergeError, conciergeError, type PricingSource } from '@concierge-ts/application';
import { type Port, type PriceQuote, parseFee, parseRate, RATE_ONE } from '@concierge-ts/domain';
import { err, ok, type Result } from 'neverthrow';

/** Units of each currency per US dollar: the sandbox's reference market. */
export const UNITS_PER_USD: Readonly<Record<string, string>> = {
  USD: '1',
  ARS: '1450',
  // 1 / 0.00135317 (the published CLP → USD rate).
  CLP: '739.01282',
  // 0.02647582 MXN per CLP (published) × CLP per USD.
  MXN: '19.56602',
  UYU: '40.1',
  PYG: '7300',
};

/** The published sandbox figures (SPEC section 6), used where they apply. */
export const PUBLISHED_PAIRS: Readonly<Record<string, { rate: string; fee: string }>> = {
  'cl_clp>us_usd': { rate: '0.00135317', fee: '0.0099688' },
  'cl_clp>mx_mxn': { rate: '0.02647582', fee: '0.0129356' },
};

export const DEFAULT_FEE = '0.01';
/** Same currency on both sides (e.g. ar_usd → us_usd): no exchange, a smaller fee. */
export const SAME_CURRENCY_FEE = '0.005';

export interface PriceTable {
  readonly unitsPerUsd: Readonly<Record<string, string>>;
  readonly pairs: Readonly<Record<string, { rate: string; fee: string }>>;
  readonly defaultFee: string;
  readonly sameCurrencyFee: string;
}

export const DEFAULT_PRICE_TABLE: PriceTable = {
  unitsPerUsd: UNITS_PER_USD,
  pairs: PUBLISHED_PAIRS,
  defaultFee: DEFAULT_FEE,
  sameCurrencyFee: SAME_CURRENCY_FEE,
};

/**
 * A price for every origin and destination of the catalog: the published pair where
 * there is one, otherwise the cross rate through the dollar, rounded down to 8 decimals.
 */
export const tablePricing = (table: PriceTable = DEFAULT_PRICE_TABLE): PricingSource => {
  // origin → destination → quote: asked for every output created, so no key string is built for a hit.
  const cache = new Map<string, Map<string, PriceQuote>>();
  return {
    quote(origin: Port, destination: Port): Result<PriceQuote, ConciergeError> {
      const cached = cache.get(origin.code)?.get(destination.code);
      if (cached) return ok(cached);
      const key = `${origin.code}>${destination.code}`;
      const published = table.pairs[key];
      let quote: Result<PriceQuote, unknown>;
      if (published) {
        quote = parseRate(published.rate).andThen((rate) =>
          parseFee(published.fee).map((fee) => ({ rate, fee })),
        );
      } else {
        const from = table.unitsPerUsd[origin.currency.code];
        const to = table.unitsPerUsd[destination.currency.code];
        if (!from || !to)
          return err(
            conciergeError.server(`no price from ${origin.code} to ${destination.code} in the sandbox table`),
          );
        const same = origin.currency.code === destination.currency.code;
        quote = parseRate(from).andThen((f) =>
          parseRate(to).andThen((t) =>
            parseFee(same ? table.sameCurrencyFee : table.defaultFee).map((fee) => ({
              rate: { units: same ? RATE_ONE : (t.units * RATE_ONE) / f.units },
              fee,
            })),
          ),
        );
      }
      if (quote.isErr() || quote.value.rate.units <= 0n)
        return err(conciergeError.server(`the sandbox price table is invalid for ${key}`));
      const byDestination = cache.get(origin.code) ?? new Map<string, PriceQuote>();
      cache.set(origin.code, byDestination.set(destination.code, quote.value));
      return ok(quote.value);
    },
  };
};
