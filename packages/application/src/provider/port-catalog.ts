import { findActivePort, type Port, type PortCatalog } from '@concierge-ts/domain';
import { fromDomainError } from '../gateway/errors.js';
import type { Field } from '../gateway/field.js';
import type { PortView } from '../gateway/views.js';
import type { ProviderContext, ServiceResult } from './context.js';
import { unprocessable } from './input.js';
import type { PortCatalogSource } from './ports.js';
import { presentPort } from './present.js';

/**
 * The ports resource (SPEC section 1): the catalog of countries and currencies where money
 * leaves or arrives, as listed to callers and as the other resources look ports up.
 */

export const listPorts = (p: ProviderContext): PortView[] => p.catalog.catalog().ports.map(presentPort);

/** An active port of the catalog by the code a caller gave, refused at `at` otherwise. */
export const activePort = (p: ProviderContext, code: unknown, at: Field): ServiceResult<Port> => {
  if (typeof code !== 'string')
    return unprocessable('invalid_port_code', 'port_code must be a string such as "ar_ars"', at);
  return findActivePort(p.catalog.catalog(), code).mapErr((e) => fromDomainError(e, at));
};

/** The longest quote delay among the destinations to be priced (0 when none is delayed). */
export const quoteDelay = (p: ProviderContext, destinations: ReadonlySet<string>): number => {
  let longest = 0;
  for (const code of destinations) longest = Math.max(longest, p.ports.get(code)?.quoteDelayMs ?? 0);
  return longest;
};

/** The ports of the catalog by code, active or not; the index is rebuilt when the catalog changes. */
export class PortIndex {
  private index: { catalog: PortCatalog; byCode: Map<string, Port> } | undefined;

  constructor(private readonly source: PortCatalogSource) {}

  /** A port by code (undefined if unknown). Looked up for every output given up. */
  get(code: string): Port | undefined {
    const catalog = this.source.catalog();
    if (this.index?.catalog !== catalog)
      this.index = { catalog, byCode: new Map(catalog.ports.map((port) => [port.code as string, port])) };
    return this.index.byCode.get(code);
  }
}
