import type { PortCatalogSource } from '@concierge-ts/application';
import {
  type Money,
  type Port,
  type PortCatalog,
  parseMoney,
  parsePortCode,
  requiredFieldsOf,
} from '@concierge-ts/domain';

const HOUR = 3_600_000;

interface PortRow {
  readonly code: string;
  readonly min: number;
  readonly max: number;
  readonly quoteDelayMs: number;
  readonly returnCost: number;
}

/**
 * The 8 documented ports. Quotes to Argentina, Chile, Mexico, Paraguay and Uruguay
 * are not delayed; us_usd takes an hour (SPEC section 6). Limits and return costs are
 * this sandbox's defaults, in each port's currency; the instruction fields each port
 * requires are the domain's `PORT_REQUIRED_FIELDS`.
 */
export const DEFAULT_PORT_ROWS: readonly PortRow[] = [
  { code: 'ar_ars', min: 100, max: 50_000_000, quoteDelayMs: 0, returnCost: 500 },
  { code: 'ar_usd', min: 1, max: 50_000, quoteDelayMs: 0, returnCost: 5 },
  { code: 'cl_clp', min: 1_000, max: 50_000_000, quoteDelayMs: 0, returnCost: 3_000 },
  { code: 'mx_mxn', min: 10, max: 1_000_000, quoteDelayMs: 0, returnCost: 50 },
  { code: 'uy_uyu', min: 50, max: 2_000_000, quoteDelayMs: 0, returnCost: 150 },
  { code: 'py_pyg', min: 10_000, max: 350_000_000, quoteDelayMs: 0, returnCost: 25_000 },
  { code: 'py_usd', min: 1, max: 50_000, quoteDelayMs: 0, returnCost: 5 },
  { code: 'us_usd', min: 1, max: 100_000, quoteDelayMs: HOUR, returnCost: 15 },
];

const moneyOf = (value: number, currency: string): Money =>
  parseMoney(value, currency, { allowZero: true })._unsafeUnwrap();

/** Builds ports from rows; a malformed row is a programming error in the data, so it throws at load. */
export const portsFromRows = (rows: readonly PortRow[], inactive: readonly string[] = []): Port[] =>
  rows.map((row) => {
    const parsed = parsePortCode(row.code)._unsafeUnwrap();
    return {
      code: parsed.code,
      country: parsed.country,
      currency: parsed.currency,
      minAmount: moneyOf(row.min, parsed.currency.code),
      maxAmount: moneyOf(row.max, parsed.currency.code),
      quoteDelayMs: row.quoteDelayMs,
      returnCost: moneyOf(row.returnCost, parsed.currency.code),
      active: !inactive.includes(row.code),
      instructionFields: requiredFieldsOf(parsed.code),
    };
  });

export const defaultCatalog = (): PortCatalog => ({ ports: portsFromRows(DEFAULT_PORT_ROWS) });

export const staticCatalog = (catalog: PortCatalog): PortCatalogSource => ({ catalog: () => catalog });
