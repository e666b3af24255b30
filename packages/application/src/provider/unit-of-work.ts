import {
  applyMovement,
  type Balance,
  type Change,
  type DomainError,
  emptyBalance,
  type MoneyMovement,
} from '@concierge-ts/domain';
import { err, ok, type Result } from 'neverthrow';
import { conciergeError, fromDomainError } from '../gateway/errors.js';
import type { ProviderContext, ServiceResult } from './context.js';
import { planFundsChecksOfPayer } from './funds-checks.js';
import type { OutboundEvent } from './ports.js';

/**
 * The unit of work: how a change the domain decided is stored. Balances first (checked
 * before anything is written), then the request, its outputs and the events; then the
 * outputs that are working get their next step planned (`OutputProgress.started`).
 * Repositories are synchronous and each command runs in one turn of the event loop, so a
 * change is stored whole or, refused by a balance, not at all.
 */

/**
 * Outputs per part when many outputs of a request move together (checks passed, pricing,
 * start of work, progress): the new versions of a part die young instead of a million of
 * them being held, and promoted to the old generation, until one commit.
 */
export const COMMIT_PART = 1024;

/** Stores a change. */
export const apply = (p: ProviderContext, change: Change): ServiceResult<Change> => {
  const committed = commit(p, change);
  if (committed.isErr()) return err(committed.error);
  p.progress.started(p, change.outputs);
  return ok(change);
};

/** Stores the change the domain decided, or answers its refusal as the API does. */
export const applyDomain = (
  p: ProviderContext,
  result: Result<Change, DomainError>,
): ServiceResult<Change> => (result.isOk() ? apply(p, result.value) : err(fromDomainError(result.error)));

/**
 * Stores a change that comes in parts, part by part, each as `apply` does. Answers with the
 * last part, which holds the request as it ends. A refused part stops the series; the
 * domain refuses only the first one (before anything moved).
 */
export const applyInParts = (
  p: ProviderContext,
  parts: Iterable<Result<Change, DomainError>>,
): ServiceResult<Change> => {
  let last: ServiceResult<Change> = err(conciergeError.server('the change had no parts'));
  for (const part of parts) {
    if (part.isErr()) return err(fromDomainError(part.error));
    const committed = commit(p, part.value);
    if (committed.isErr()) return err(committed.error);
    p.progress.started(p, part.value.outputs);
    last = ok(part.value);
  }
  return last;
};

const commit = (p: ProviderContext, change: Change): ServiceResult<void> => {
  // Most changes move no money: no balances to read or write then.
  if (change.movements.length > 0) {
    const balances = new Map<string, Balance>();
    const movements = change.movements;
    for (let i = 0; i < movements.length; ) {
      const [movement, end] = coalesced(movements, i);
      i = end;
      const currency =
        movement.kind === 'return'
          ? { code: movement.refunded.currency, exponent: movement.refunded.scale }
          : { code: movement.amount.currency, exponent: movement.amount.scale };
      const key = `${movement.payerId}|${currency.code}`;
      const current =
        balances.get(key) ??
        p.repos.balances.get(movement.payerId, currency.code) ??
        emptyBalance(movement.payerId, currency);
      const next = applyMovement(current, movement);
      if (next.isErr())
        return err(conciergeError.server(`balance refused a ${movement.kind}: ${next.error.message}`));
      balances.set(key, next.value);
    }
    for (const balance of balances.values()) p.repos.balances.save(balance);
    // Money credited back (a refund, a returned output) may now cover a request waiting for funds.
    const credited = new Set(
      movements.filter((m) => m.kind === 'refund' || m.kind === 'return').map((m) => m.payerId),
    );
    for (const payerId of credited) planFundsChecksOfPayer(p, change.request.ownerId, payerId);
  }
  p.repos.requests.save(change.request);
  for (const output of change.outputs) p.repos.outputs.save(output);
  if (change.events.length > 0) {
    const ownerId = change.request.ownerId;
    const sink = p.events;
    // Without wrapping each event with its owner when the store takes them as they are.
    if (sink.publishFor) sink.publishFor(ownerId, change.events);
    else sink.publish(change.events.map((event): OutboundEvent => ({ event, ownerId })));
  }
  return ok(undefined);
};

/**
 * The movement at `start`, or, when it starts a run of spends or of refunds by the same
 * payer in the same currency, one movement of the run's sum; and where the next movement
 * starts. For speed: settling a million outputs is a million spends, and applying each
 * made a Balance (and a key string) per output. Spends and refunds refuse nothing but a
 * foreign currency (the same for the whole run) and only add up, so the balance comes
 * out the same; debits, which can be refused, and returns are applied one by one.
 */
const coalesced = (movements: readonly MoneyMovement[], start: number): [MoneyMovement, number] => {
  const first = movements[start] as MoneyMovement;
  if (first.kind !== 'spend' && first.kind !== 'refund') return [first, start + 1];
  let end = start + 1;
  let sum = first.amount.amount;
  for (; end < movements.length; end += 1) {
    const m = movements[end] as MoneyMovement;
    if (
      m.kind !== first.kind ||
      m.payerId !== first.payerId ||
      m.amount.currency !== first.amount.currency ||
      m.amount.scale !== first.amount.scale
    )
      break;
    sum += m.amount.amount;
  }
  if (end === start + 1) return [first, end];
  return [
    { ...first, amount: { amount: sum, currency: first.amount.currency, scale: first.amount.scale } },
    end,
  ];
};
