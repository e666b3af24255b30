import { availableMoney, emptyBalance, startWorkingInParts } from '@concierge-ts/domain';
import { err, ok } from 'neverthrow';
import type { ProviderContext, ServiceResult } from './context.js';
import { applyInParts, COMMIT_PART } from './unit-of-work.js';

/**
 * The start of work (SPEC section 3): once a quote is accepted and the payer's balance
 * covers `total_to_spend`, the amount is debited and the request and its accepted outputs
 * start working. The funds are looked for a little after anything that may make the
 * balance cover them (`funds-checks.ts`), never inside the answer to it.
 */

/**
 * Starts work on a quote_accepted request if its payer's balance covers it. A balance that
 * does not is no failure: the request waits for a deposit (or for its funds deadline).
 */
export const startWorkIfFunded = (p: ProviderContext, requestId: string): ServiceResult<void> => {
  const request = p.repos.requests.get(requestId);
  if (request?.state !== 'quote_accepted' || !request.totalToSpend) return ok(undefined);
  const currency = { code: request.totalToSpend.currency, exponent: request.totalToSpend.scale };
  const balance =
    p.repos.balances.get(request.payerId, currency.code) ?? emptyBalance(request.payerId, currency);
  return applyInParts(
    p,
    startWorkingInParts(
      request,
      p.repos.outputs.listByRequest(request.id),
      availableMoney(balance),
      p.time.now(),
      COMMIT_PART,
    ),
  )
    .map(() => undefined)
    .orElse((error) =>
      error.type === 'conflict' && error.code === 'insufficient_funds' ? ok(undefined) : err(error),
    );
};
