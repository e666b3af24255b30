import {
  type Change,
  type DomainError,
  findActivePort,
  type Output,
  type OutputPrice,
  type OutputTarget,
  pricer,
  produceQuoteInParts,
  type Request,
} from '@concierge-ts/domain';
import { err, ok, type Result } from 'neverthrow';
import { fromDomainError } from '../gateway/errors.js';
import type { RequestView } from '../gateway/views.js';
import type { ProviderContext, ServiceResult } from './context.js';
import { presentRequest } from './present.js';
import { applyInParts, COMMIT_PART } from './unit-of-work.js';

/**
 * Quotes (SPEC sections 3 and 6): the binding price of a request, produced after its quote
 * request, at its eta (a timed move) or when the sandbox operator asks.
 */

/**
 * Produces the quote of a quote_requested request at `at`: at the hint token's prices
 * when the request came with one, else from the pricing source. `destinations`: those of
 * its outputs to price, when the caller has them already. Then plans the quote's expiry.
 */
export const produceQuote = (
  p: ProviderContext,
  request: Request,
  at: number,
  destinations?: ReadonlySet<string>,
): ServiceResult<RequestView> => {
  const hinted = p.hintPrices.get(request.id);
  if (hinted) {
    p.hintPrices.delete(request.id);
    return quoted(
      p,
      produceQuoteInParts(
        request,
        p.repos.outputs.listByRequest(request.id),
        (o) => hinted.get(o.id) as OutputPrice,
        at,
        p.windows,
        COMMIT_PART,
      ),
    );
  }
  const catalog = p.catalog.catalog();
  const origin = findActivePort(catalog, request.portCode);
  if (origin.isErr()) return err(fromDomainError(origin.error));
  const outputs = p.repos.outputs.listByRequest(request.id);
  // One pricer per destination: all_in_rate is worked out once per port, not per output.
  const pricers = new Map<string, (target: OutputTarget) => OutputPrice>();
  for (const code of destinations ?? destinationsOf(outputs)) {
    const port = findActivePort(catalog, code);
    if (port.isErr()) return err(fromDomainError(port.error));
    const quote = p.pricing.quote(origin.value, port.value);
    if (quote.isErr()) return err(quote.error);
    pricers.set(code, pricer(quote.value, origin.value.currency, port.value.currency));
  }
  const priceOf = (o: Output): OutputPrice =>
    (pricers.get(o.portCode) as (target: OutputTarget) => OutputPrice)(o.target);
  return quoted(p, produceQuoteInParts(request, outputs, priceOf, at, p.windows, COMMIT_PART));
};

/** The quote of a request at its eta (a timed move), if it still waits for one. */
export const produceDueQuote = (p: ProviderContext, requestId: string): ServiceResult<void> => {
  const request = p.repos.requests.get(requestId);
  if (request?.state !== 'quote_requested') return ok(undefined);
  return produceQuote(p, request, p.time.now()).map(() => undefined);
};

/** Stores a quote and plans its expiry. */
const quoted = (
  p: ProviderContext,
  parts: Iterable<Result<Change, DomainError>>,
): ServiceResult<RequestView> =>
  applyInParts(p, parts).map((c) => {
    if (c.request.acceptQuoteBefore !== null)
      p.scheduler.schedule(c.request.acceptQuoteBefore, { kind: 'expire_quote', requestId: c.request.id });
    return presentRequest(c.request);
  });

/** The destinations of a request's outputs that a quote prices (accepting or accepted). */
export const destinationsOf = (outputs: Iterable<Output>): Set<string> => {
  const codes = new Set<string>();
  for (const output of outputs)
    if (output.state === 'accepting' || output.state === 'accepted') codes.add(output.portCode);
  return codes;
};
