import { cancelRequest, dueTimeTrigger } from '@concierge-ts/domain';
import { ok } from 'neverthrow';
import type { ProviderContext, ServiceResult } from './context.js';
import { applyDomain } from './unit-of-work.js';

/**
 * The deadlines of a request (SPEC section 3), each a timed move that cancels it when it
 * comes: the quote's expiry (`quote_not_accepted`), the funds deadline
 * (`payment_not_received`) and the pruning of an abandoned draft (`draft_was_pruned`).
 */

export type Deadline = 'expire_quote' | 'funds_deadline' | 'prune_draft';

/** Cancels a request whose deadline came, if it still applies (the request may have moved on). */
export const cancelOnTime = (
  p: ProviderContext,
  requestId: string,
  deadline: Deadline,
): ServiceResult<void> => {
  const request = p.repos.requests.get(requestId);
  const now = p.time.now();
  const applies =
    deadline === 'prune_draft'
      ? request?.state === 'draft'
      : request && dueTimeTrigger(request, now) === deadline;
  if (!request || !applies) return ok(undefined);
  p.hintPrices.delete(requestId);
  return applyDomain(p, cancelRequest(request, p.repos.outputs.listByRequest(requestId), deadline, now)).map(
    () => undefined,
  );
};
