import type {
  AmountInput,
  ConciergeError,
  CreateOutputInput,
  CreateRequestInput,
  OutputView,
  Page,
  PageQuery,
  RequestView,
} from '@concierge-ts/application';
import { equalMoney, type Money, parseMoney } from '@concierge-ts/domain';
import { err, ok, type Result, type ResultAsync } from 'neverthrow';
import { portCurrency } from './codec/values.js';

/**
 * What this client has already seen, per resource: after an ambiguous failure, an
 * output (or request) that matches what was sent but was already known cannot be the
 * one this call created. Ids only, so it stays small even for big batches.
 */
export class KnownResources {
  private readonly requests = new Set<string>();
  private readonly outputs = new Map<string, Set<string>>();

  request(view: RequestView): RequestView {
    this.requests.add(view.id);
    return view;
  }

  output(view: OutputView): OutputView {
    let ids = this.outputs.get(view.requestId);
    if (!ids) {
      ids = new Set();
      this.outputs.set(view.requestId, ids);
    }
    ids.add(view.id);
    return view;
  }

  knowsRequest(id: string): boolean {
    return this.requests.has(id);
  }

  knowsOutput(view: OutputView): boolean {
    return this.outputs.get(view.requestId)?.has(view.id) ?? false;
  }
}

const RECONCILE_PAGE_SIZE = 500;

/** Walks every page of a list, stopping at the first item `found` picks or the first error. */
export const findInPages = async <T>(
  list: (page: PageQuery) => ResultAsync<Page<T>, ConciergeError>,
  found: (item: T) => boolean,
): Promise<Result<T | null, ConciergeError>> => {
  for (let number: number | null = 1; number !== null; ) {
    const page = await list({ number, size: RECONCILE_PAGE_SIZE });
    if (page.isErr()) return err(page.error);
    const hit = page.value.items.find(found);
    if (hit !== undefined) return ok(hit);
    number = page.value.next;
  }
  return ok(null);
};

const sameMoney = (given: AmountInput, held: Money | null, portCode: string): boolean => {
  const currency = portCurrency(portCode);
  if (held === null || currency === null) return false;
  const parsed = parseMoney(given, currency.code);
  return parsed.isOk() && equalMoney(parsed.value, held);
};

/** An output this create could have made: same payee, instruction, port and amount or budget. */
export const matchesOutput = (o: OutputView, input: CreateOutputInput): boolean => {
  if (
    o.requestId !== input.requestId ||
    o.payeeId !== input.payeeId ||
    o.withdrawalInstructionId !== input.withdrawalInstructionId ||
    o.portCode !== input.portCode
  )
    return false;
  if (input.amount !== undefined)
    return o.given === 'amount' && sameMoney(input.amount, o.amount, o.portCode);
  if (input.budget !== undefined)
    return o.given === 'budget' && sameMoney(input.budget, o.budget, o.originPortCode);
  return false;
};

/** A request this draft could have made: same external id, payer, port and authorization code. */
export const matchesRequest = (r: RequestView, input: CreateRequestInput): boolean =>
  r.externalId === (input.externalId ?? null) &&
  r.payerId === input.payerId &&
  r.portCode === input.portCode &&
  r.paymentAuthorizationCode === (input.paymentAuthorizationCode ?? null);
