import { err, ok, type Result } from 'neverthrow';
import { type Currency, currencyOf } from './currency.js';
import type { DomainError } from './errors.js';
import type { Money } from './money.js';
import type { InstructionField } from './withdrawal-instruction/body.js';

/** `ar_ars`: an ISO 3166-1 alpha-2 country and an ISO 4217 currency, lower case. */
export type PortCode = string & { readonly __brand: 'PortCode' };

export interface ParsedPortCode {
  readonly code: PortCode;
  /** Upper-case country, e.g. AR. */
  readonly country: string;
  readonly currency: Currency;
}

const PORT_CODE = /^([a-z]{2})_([a-z]{3})$/;

/** Parses a port code such as `ar_ars`; never throws. */
export const parsePortCode = (input: unknown): Result<ParsedPortCode, DomainError> => {
  const shown = typeof input === 'string' ? input.slice(0, 40) : String(typeof input);
  const refuse = (why: string): DomainError => ({
    type: 'InvalidPortCode',
    code: 'invalid_port_code',
    input: shown,
    message: `${JSON.stringify(shown)} is not a port code: ${why}`,
  });
  if (typeof input !== 'string') return err(refuse('expected a string such as "ar_ars"'));
  const match = PORT_CODE.exec(input);
  if (!match) return err(refuse('expected a country and a currency in lower case, such as "ar_ars"'));
  const [, country = '', currency = ''] = match;
  return currencyOf(currency).match(
    (c) => ok({ code: input as PortCode, country: country.toUpperCase(), currency: c }),
    () => err(refuse(`${currency.toUpperCase()} is not an ISO 4217 currency`)),
  );
};

/** Where money leaves or arrives: a country plus a currency, with its limits. */
export interface Port {
  readonly code: PortCode;
  readonly country: string;
  readonly currency: Currency;
  /** Smallest and largest amount an output to this port may carry (destination currency). */
  readonly minAmount: Money;
  readonly maxAmount: Money;
  /** How long a quote to this port takes to be produced, in milliseconds (0: at once). */
  readonly quoteDelayMs: number;
  /** What a returned payment costs, in the port's currency. */
  readonly returnCost: Money;
  readonly active: boolean;
  /**
   * The withdrawal instruction fields a payment to this port needs, besides a matching
   * `country` and `currency` (SPEC section 7.1: `cbu` and `cuit` for `ar_ars`): data of
   * the catalog, served with the ports (`PORT_REQUIRED_FIELDS` has the sandbox's).
   */
  readonly instructionFields: readonly InstructionField[];
}

/** The catalog of ports: data handed to the code, never built into it. */
export interface PortCatalog {
  readonly ports: readonly Port[];
}

export const findPort = (catalog: PortCatalog, code: string): Result<Port, DomainError> =>
  parsePortCode(code).andThen((parsed) => {
    const port = catalog.ports.find((p) => p.code === parsed.code);
    return port
      ? ok(port)
      : err<Port, DomainError>({
          type: 'UnknownPort',
          code: 'unknown_port',
          portCode: parsed.code,
          message: `port ${parsed.code} is not in the catalog`,
        });
  });

/**
 * Active ports found so far, per catalog: every output created or priced looks up two
 * ports, and parsing the code (a regular expression) and searching the list each time
 * was a measurable share of a large request. Catalogs are immutable data, so a hit stays
 * right; only found active ports are kept, so the memo is bounded by the catalog's size
 * whatever codes callers send.
 */
const activePorts = new WeakMap<PortCatalog, Map<string, Result<Port, DomainError>>>();

/** A port that exists and is active: the only kind a request or an output may use. */
export const findActivePort = (catalog: PortCatalog, code: string): Result<Port, DomainError> => {
  let known = activePorts.get(catalog);
  const hit = known?.get(code);
  if (hit) return hit;
  const found = findPort(catalog, code).andThen((port) =>
    port.active
      ? ok(port)
      : err<Port, DomainError>({
          type: 'InactivePort',
          code: 'inactive_port',
          portCode: port.code,
          message: `port ${port.code} is not active`,
        }),
  );
  if (found.isOk()) {
    if (!known) {
      known = new Map();
      activePorts.set(catalog, known);
    }
    known.set(code, found);
  }
  return found;
};
