import type { ProviderContext } from './context.js';

/**
 * When the provider looks for a payer's funds (SPEC section 3): a quote_accepted request
 * starts working once its payer's balance covers `total_to_spend`, so a look is planned a
 * little after anything that may make it cover: the accept itself, a deposit, and a refund
 * or a returned output credited back to the payer. The look itself is `startWorkIfFunded`.
 */

/** Plans a look for the funds of a quote_accepted request, `fundsCheckAfterMs` from now. */
export const planFundsCheck = (p: ProviderContext, requestId: string): void =>
  p.scheduler.schedule(p.time.now() + p.timings.fundsCheckAfterMs, { kind: 'start_working', requestId });

/** Plans a look for the funds of each quote_accepted request of `ownerId` that `payerId` pays. */
export const planFundsChecksOfPayer = (p: ProviderContext, ownerId: string, payerId: string): void => {
  for (const request of p.repos.requests.listByOwner(ownerId))
    if (request.payerId === payerId && request.state === 'quote_accepted') planFundsCheck(p, request.id);
};
