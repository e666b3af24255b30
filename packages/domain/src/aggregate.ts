import { err, ok, type Result } from 'neverthrow';
import type { MoneyMovement } from './balance.js';
import {
  type CounterDraft,
  countInDraft,
  countNew,
  draftCounters,
  type OutputCounters,
  openOutputs,
} from './counters.js';
import type { Currency } from './currency.js';
import { type DomainError, guardFailed, invalidTransition } from './errors.js';
import { type DocumentKind, type DomainEvent, documentEvent, outputEvent, requestEvent } from './events.js';
import { type Money, money } from './money.js';
import {
  createOutput,
  type NewOutput,
  type Output,
  type OutputTransitionDetail,
  type OutputTrigger,
  priceOutputEntity,
  transitionOutput,
} from './output.js';
import { divideByRate, type OutputPrice } from './pricing.js';
import {
  createRequest,
  type NewRequest,
  type Request,
  type RequestTrigger,
  transitionRequest,
} from './request.js';

/**
 * Operations on the request aggregate. Each takes the request (and the outputs it
 * needs), and returns the new request, the outputs it changed, the events of every
 * state change and the money movements they imply. Nothing is mutated.
 */
export interface Change {
  readonly request: Request;
  /** Changed outputs, each in its latest version, in the order they first changed. */
  readonly outputs: readonly Output[];
  readonly events: readonly DomainEvent[];
  readonly movements: readonly MoneyMovement[];
}

/**
 * Collects a change step by step; local to each operation, so it may mutate its own
 * drafts. For speed at a million outputs, moving an output only bumps a private counter
 * draft and appends to arrays: the new request (counters included) is built once, in
 * `build`, instead of copying the request and its counters on every output move.
 *
 * Each event carries its resource as it was right then (SPEC section 8). A request's move
 * is written once the step that made it is done (what it sets with the move: deadlines,
 * funds, total_to_spend), before anything else happens (an output moves, a document is
 * issued, the request moves again) or the change is built.
 */
class ChangeBuilder {
  /** The request as moved so far, without the counter changes kept in `counts`. */
  private current: Request;
  private counts: CounterDraft | undefined;
  /** Changed outputs in the order they changed; an output moved twice in a row keeps one slot. */
  readonly outputs: Output[] = [];
  private readonly events: DomainEvent[] = [];
  readonly movements: MoneyMovement[] = [];
  /** When the request moved, while the event of that move waits for the rest of its step. */
  private movedAt: number | undefined;

  constructor(request: Request) {
    this.current = request;
  }

  /** The request with every change so far (counters folded in). */
  get request(): Request {
    if (this.counts) {
      this.current = { ...this.current, counters: this.counts };
      this.counts = undefined;
    }
    return this.current;
  }

  /** Sets request attributes other than the counters (prices, deadlines, funds). */
  patch(fields: Partial<Omit<Request, 'counters'>>): void {
    this.current = { ...this.current, ...fields };
  }

  /** How many outputs and money movements the change holds so far. */
  get size(): number {
    return this.outputs.length + this.movements.length;
  }

  /** The request as moved so far but with stale counters: for its state, ids and prices, without a copy. */
  get unfolded(): Request {
    return this.current;
  }

  get counters(): OutputCounters {
    return this.counts ?? this.current.counters;
  }

  moveRequest(trigger: RequestTrigger, now: number): Result<Request, DomainError> {
    this.writeRequestMove();
    return transitionRequest(this.request, trigger, now).map((next) => {
      this.current = next;
      this.movedAt = now;
      return next;
    });
  }

  /** Writes the event of the request's last move, with the request as its step left it. */
  private writeRequestMove(): void {
    if (this.movedAt === undefined) return;
    this.events.push(requestEvent(this.request, this.movedAt));
    this.movedAt = undefined;
  }

  /** Issues one of the request's documents now (SPEC section 7), with its event. */
  issue(kind: DocumentKind, now: number): void {
    this.writeRequestMove();
    this.patch(
      kind === 'receipt'
        ? { receiptIssuedAt: now, updatedAt: now }
        : { creditNoteIssuedAt: now, updatedAt: now },
    );
    this.events.push(documentEvent(kind, this.request, now));
  }

  /**
   * Records a money movement; the first that gives money back to the payer after the
   * debit (a refund or a return) issues the request's credit note (SPEC section 7).
   */
  addMovement(movement: MoneyMovement, now: number): void {
    this.movements.push(movement);
    if (
      (movement.kind === 'refund' || movement.kind === 'return') &&
      this.current.creditNoteIssuedAt === null
    )
      this.issue('credit_note', now);
  }

  /** Records a changed output that makes no state change (a price). */
  changeOutput(output: Output): void {
    this.outputs.push(output);
  }

  moveOutput(
    output: Output,
    trigger: OutputTrigger,
    now: number,
    detail?: OutputTransitionDetail,
  ): Result<Output, DomainError> {
    const moved = transitionOutput(output, trigger, now, detail);
    if (moved.isErr()) return moved;
    this.writeRequestMove();
    const next = moved.value;
    // Every output transition changes the state (SPEC section 4 has no move to itself).
    const c = this.draft();
    countInDraft(c, output.state, -1);
    countInDraft(c, next.state, 1);
    const last = this.outputs.length - 1;
    if (last >= 0 && (this.outputs[last] as Output).id === next.id) this.outputs[last] = next;
    else this.outputs.push(next);
    this.events.push(
      next.withdrawalInstructionId === output.withdrawalInstructionId
        ? outputEvent(next, now)
        : { ...outputEvent(next, now), formerInstructionId: output.withdrawalInstructionId },
    );
    return moved;
  }

  /**
   * The change so far. `carry`: a part of a longer step (a large request stored in parts)
   * whose request move is written by a later part (`nextPart`), once the step is done.
   */
  build(now: number, carry = false): Change {
    if (!carry) this.writeRequestMove();
    const base = this.current;
    const counters = this.counts;
    // One copy of the request for the whole operation (counters and updatedAt together).
    // Without an output move the request changed only by its own move or a document, both
    // of which already set its updatedAt to now (or it did not change at all).
    const request = counters ? withCounters(base, counters, now) : base;
    return { request, outputs: this.outputs, events: this.events, movements: this.movements };
  }

  /** A builder for the part after `part` (built with `carry`), which takes over the request move not written yet. */
  nextPart(part: Change): ChangeBuilder {
    const next = new ChangeBuilder(part.request);
    next.movedAt = this.movedAt;
    this.movedAt = undefined;
    return next;
  }

  private draft(): CounterDraft {
    this.counts ??= draftCounters(this.current.counters);
    return this.counts;
  }
}

/**
 * `{ ...request, counters, updatedAt: now }` written out field by field, in the order
 * `createRequest` gives them. For speed: each output created one by one copies its
 * request once, and an explicit literal of one shape is much cheaper for V8 than a
 * spread of twenty fields (the same plain object comes out).
 */
const withCounters = (r: Request, counters: OutputCounters, now: number): Request => ({
  id: r.id,
  ownerId: r.ownerId,
  payerId: r.payerId,
  portCode: r.portCode,
  state: r.state,
  externalId: r.externalId,
  paymentAuthorizationCode: r.paymentAuthorizationCode,
  counters,
  eta: r.eta,
  quoteRequestedAt: r.quoteRequestedAt,
  quotedAt: r.quotedAt,
  acceptQuoteBefore: r.acceptQuoteBefore,
  quoteAcceptedAt: r.quoteAcceptedAt,
  provisionFundsBefore: r.provisionFundsBefore,
  totalToSpend: r.totalToSpend,
  fundsAvailable: r.fundsAvailable,
  cancellationReason: r.cancellationReason,
  receiptIssuedAt: r.receiptIssuedAt,
  creditNoteIssuedAt: r.creditNoteIssuedAt,
  createdAt: r.createdAt,
  updatedAt: now,
});

/** Drafts a request (state draft). */
export const draftRequest = (input: NewRequest): Change => {
  const request = createRequest(input);
  return { request, outputs: [], events: [requestEvent(request, input.now)], movements: [] };
};

/** Adds an output (state accepting) to a draft request. */
export const addOutput = (request: Request, input: NewOutput): Result<Change, DomainError> => {
  if (request.state !== 'draft')
    return err(invalidTransition({ entity: 'request', id: request.id, state: request.state }, 'add_output'));
  // No copy of the input when it already names the request (always, from the service), and
  // the request copied field by field (`withCounters`): a million outputs are added one by one.
  const output = createOutput(input.requestId === request.id ? input : { ...input, requestId: request.id });
  return ok({
    request: withCounters(request, countNew(request.counters), input.now),
    outputs: [output],
    events: [outputEvent(output, input.now)],
    movements: [],
  });
};

/** What an operator, the checks or the provider can do to one output. */
export type OutputAction = Exclude<OutputTrigger, 'cancel_with_request' | 'start_working'>;

export interface OutputStepContext extends OutputTransitionDetail {
  /** give_up: the destination port's return cost, in its currency. */
  readonly returnCost?: Money;
}

const QUOTE_STAGES = new Set(['quote_requested', 'quoted', 'quote_accepted']);

/** Cascades after an output change: no payable outputs left, or the last output final. */
const settleRequest = (b: ChangeBuilder, now: number): Result<void, DomainError> => {
  const c = b.counters;
  const state = b.unfolded.state;
  if (QUOTE_STAGES.has(state) && c.total > 0 && c.rejected === c.total)
    return b.moveRequest('no_payable_outputs', now).map(() => undefined);
  if (state === 'working' && openOutputs(c) === 0) return b.moveRequest('finish', now).map(() => undefined);
  return ok(undefined);
};

/** The cost of a return in the origin currency: the port's cost at the output's rate, capped at its budget. */
export const returnCostInOrigin = (price: OutputPrice, returnCost: Money): Money => {
  const origin = { code: price.budget.currency, exponent: price.budget.scale };
  const cost = divideByRate(returnCost, price.rate, origin);
  return cost.amount > price.budget.amount ? price.budget : cost;
};

/**
 * The money an output's new state moves, when its request has been debited: a request
 * that works (a finished one has only final outputs, which never move again).
 */
const movementFor = (
  request: Request,
  output: Output,
  returnCost: Money | undefined,
): MoneyMovement | undefined => {
  if (request.state !== 'working') return undefined;
  const price = output.price;
  if (!price) return undefined;
  // Fields written out rather than spread from a shared base: V8 builds a spread several
  // times slower, and every output of a request moves money once.
  const { payerId, id: requestId } = request;
  switch (output.state) {
    case 'rejected':
    case 'cancelled':
      return { kind: 'refund', payerId, requestId, outputId: output.id, amount: price.budget };
    case 'settled':
      return { kind: 'spend', payerId, requestId, outputId: output.id, amount: price.budget };
    case 'returned': {
      const cost = returnCost ? returnCostInOrigin(price, returnCost) : money(0n, originOf(price));
      return {
        kind: 'return',
        payerId,
        requestId,
        outputId: output.id,
        refunded: money(price.budget.amount - cost.amount, originOf(price)),
        cost,
      };
    }
    default:
      return undefined;
  }
};

const originOf = (price: OutputPrice) => ({ code: price.budget.currency, exponent: price.budget.scale });

/**
 * One step of one output: acceptance checks passing or failing, payment issued,
 * settled, failed, retried, given up, or cancelled by the provider. An output accepted
 * while its request works starts working at once; money moves as SPEC section 4 says;
 * the request follows (no payable outputs left, or finished).
 */
export const stepOutput = (
  request: Request,
  output: Output,
  action: OutputAction,
  now: number,
  context: OutputStepContext = {},
): Result<Change, DomainError> =>
  stepOutputs(request, [output], action, now, { ...context, returnCostOf: () => context.returnCost });

export interface OutputBatchContext extends OutputTransitionDetail {
  /** give_up: the return cost of an output's destination port, in its currency. */
  readonly returnCostOf?: (output: Output) => Money | undefined;
}

/**
 * The same step for many outputs of one request, in one change: what `stepOutput` does
 * to each in turn (events in the order of `outputs`, per output in lifecycle order), with
 * the request's cascade (no payable outputs left, or finished) decided once at the end,
 * which gives the same final state and events as stepping them one by one. The sandbox's
 * scripted outcomes use it to move thousands of outputs per commit instead of one.
 * Refused as a whole if any output cannot take the step. The change lists the outputs in
 * the order given.
 */
export const stepOutputs = (
  request: Request,
  outputs: readonly Output[],
  action: OutputAction,
  now: number,
  context: OutputBatchContext = {},
): Result<Change, DomainError> => {
  const b = new ChangeBuilder(request);
  for (const output of outputs) {
    if (output.requestId !== request.id)
      return err(invalidTransition({ entity: 'output', id: output.id, state: output.state }, action));
    // Used only by an output that ends returned, which only give_up does.
    const returnCost = context.returnCostOf?.(output);
    if (action === 'give_up' && returnCost === undefined)
      return err(
        guardFailed(
          { entity: 'output', id: output.id, state: output.state },
          action,
          'reason_required',
          'the return cost is needed',
        ),
      );
    const moved = b.moveOutput(output, action, now, context);
    if (moved.isErr()) return err(moved.error);
    let latest = moved.value;
    if (latest.state === 'accepted' && b.unfolded.state === 'working') {
      const working = b.moveOutput(latest, 'start_working', now);
      if (working.isErr()) return err(working.error);
      latest = working.value;
    }
    const movement = movementFor(b.unfolded, latest, returnCost);
    if (movement) b.addMovement(movement, now);
  }
  return settleRequest(b, now).map(() => b.build(now));
};

export interface QuoteWindows {
  /** accept_quote_before = quoted at + this (SPEC: 10 minutes). */
  readonly acceptQuoteMs: number;
  /** provision_funds_before = quoted at + this (SPEC: 12 hours). */
  readonly provisionFundsMs: number;
}

export const DEFAULT_QUOTE_WINDOWS: QuoteWindows = {
  acceptQuoteMs: 10 * 60_000,
  provisionFundsMs: 12 * 3_600_000,
};

/**
 * draft → quote_requested, with the time the quote will be ready. The two deadlines are set
 * at once, provisionally, as if the quote were produced at `eta` (the published answer to
 * request_quote carries both); the quote sets them again when it is produced.
 */
export const requestQuote = (
  request: Request,
  now: number,
  eta: number,
  windows: QuoteWindows = DEFAULT_QUOTE_WINDOWS,
): Result<Change, DomainError> => {
  const b = new ChangeBuilder(request);
  return b.moveRequest('request_quote', now).map(() => {
    b.patch({
      eta,
      acceptQuoteBefore: eta + windows.acceptQuoteMs,
      provisionFundsBefore: eta + windows.provisionFundsMs,
    });
    return b.build(now);
  });
};

/**
 * quote_requested → quoted: prices every output that is accepting or accepted, sets
 * total_to_spend and the two deadlines.
 */
export const produceQuote = (
  request: Request,
  outputs: Iterable<Output>,
  priceOf: (output: Output) => OutputPrice,
  now: number,
  windows: QuoteWindows = DEFAULT_QUOTE_WINDOWS,
): Result<Change, DomainError> =>
  whole(produceQuoteInParts(request, outputs, priceOf, now, windows, Number.POSITIVE_INFINITY));

/**
 * `produceQuote` as a series of changes of at most `partSize` priced outputs each, to be
 * applied in order: the first moves the request to quoted (with its deadlines), the last
 * sets total_to_spend and holds the quoted event (which carries it). Applied in order, they come to the same request, outputs and events
 * as the one change of `produceQuote` (which is this in one part). For a caller that stores
 * a large request part by part, so that a million priced outputs never exist at once.
 * Refused (one Err, nothing before it) as `produceQuote` is.
 */
export function* produceQuoteInParts(
  request: Request,
  outputs: Iterable<Output>,
  priceOf: (output: Output) => OutputPrice,
  now: number,
  windows: QuoteWindows,
  partSize: number,
): Generator<Result<Change, DomainError>, void, undefined> {
  let b = new ChangeBuilder(request);
  const moved = b.moveRequest('produce_quote', now);
  if (moved.isErr()) {
    yield err(moved.error);
    return;
  }
  b.patch({
    acceptQuoteBefore: now + windows.acceptQuoteMs,
    provisionFundsBefore: now + windows.provisionFundsMs,
  });
  // A running sum instead of a list of N prices: nothing but the priced outputs is kept.
  let origin: Currency | undefined;
  let total = 0n;
  for (const output of outputs) {
    if (output.requestId !== request.id) continue;
    if (output.state !== 'accepting' && output.state !== 'accepted') continue;
    const price = priceOf(output);
    origin ??= originOf(price);
    total += price.budget.amount;
    b.changeOutput(priceOutputEntity(output, price, now));
    if (b.size >= partSize) {
      // The quoted event waits for the last part: it carries total_to_spend.
      const part = b.build(now, true);
      yield ok(part);
      b = b.nextPart(part);
    }
  }
  b.patch({ totalToSpend: origin ? money(total, origin) : null });
  yield ok(b.build(now));
}

/** The change of an operation run in one part (an infinite part size yields exactly one). */
const whole = (parts: Generator<Result<Change, DomainError>, void, undefined>): Result<Change, DomainError> =>
  parts.next().value as Result<Change, DomainError>;

/** quoted → quote_accepted, only before accept_quote_before. */
export const acceptQuote = (request: Request, now: number): Result<Change, DomainError> => {
  const b = new ChangeBuilder(request);
  return b.moveRequest('accept_quote', now).map(() => b.build(now));
};

/**
 * quote_accepted → working once the payer's balance covers total_to_spend: debits it,
 * moves every accepted output to working, and refunds outputs rejected since the quote.
 */
export const startWorking = (
  request: Request,
  outputs: Iterable<Output>,
  available: Money,
  now: number,
): Result<Change, DomainError> =>
  whole(startWorkingInParts(request, outputs, available, now, Number.POSITIVE_INFINITY));

/**
 * `startWorking` as a series of changes of at most `partSize` outputs and refunds each, to
 * be applied in order: the first moves the request to working and debits the payer, the
 * last decides whether the request is already finished. Applied in order, they come to the
 * same as the one change of `startWorking` (which is this in one part). Refused (one Err,
 * nothing before it) as `startWorking` is; no later part is refused, since an accepted
 * output can always start working.
 */
export function* startWorkingInParts(
  request: Request,
  outputs: Iterable<Output>,
  available: Money,
  now: number,
  partSize: number,
): Generator<Result<Change, DomainError>, void, undefined> {
  const total = request.totalToSpend;
  let b = new ChangeBuilder(request);
  // Only a quote_accepted request may start working (refused with invalid_transition).
  const moved = b.moveRequest('start_working', now);
  if (moved.isErr()) {
    yield err(moved.error);
    return;
  }
  const at = { entity: 'request' as const, id: request.id, state: request.state };
  if (!total || available.currency !== total.currency || available.amount < total.amount) {
    yield err(
      guardFailed(
        at,
        'start_working',
        'insufficient_funds',
        `the payer's balance (${available.amount} ${available.currency} minor units) does not cover total_to_spend`,
      ),
    );
    return;
  }
  b.patch({ fundsAvailable: total });
  b.movements.push({ kind: 'debit', payerId: request.payerId, requestId: request.id, amount: total });
  // The payer is charged: the request's receipt exists from now on (SPEC section 7).
  b.issue('receipt', now);
  for (const output of outputs) {
    if (output.requestId !== request.id) continue;
    if (output.state === 'accepted') {
      const working = b.moveOutput(output, 'start_working', now);
      if (working.isErr()) {
        yield err(working.error);
        return;
      }
    } else if (output.state === 'rejected' && output.price) {
      b.addMovement(
        {
          kind: 'refund',
          payerId: request.payerId,
          requestId: request.id,
          outputId: output.id,
          amount: output.price.budget,
        },
        now,
      );
    } else continue;
    if (b.size >= partSize) {
      const part = b.build(now);
      yield ok(part);
      b = new ChangeBuilder(part.request);
    }
  }
  const last = b;
  yield settleRequest(last, now).map(() => last.build(now));
}

export type CancelTrigger =
  | 'cancel'
  | 'expire_quote'
  | 'funds_deadline'
  | 'prune_draft'
  | 'no_payable_outputs';

/**
 * Cancels a request (by the user, or because a deadline passed): every accepting or
 * accepted output is cancelled with it; rejected outputs keep their state.
 */
export const cancelRequest = (
  request: Request,
  outputs: Iterable<Output>,
  trigger: CancelTrigger,
  now: number,
): Result<Change, DomainError> => {
  const b = new ChangeBuilder(request);
  return b.moveRequest(trigger, now).andThen(() => {
    for (const output of outputs) {
      if (output.requestId !== request.id) continue;
      if (output.state === 'accepting' || output.state === 'accepted') {
        const moved = b.moveOutput(output, 'cancel_with_request', now, {
          reason: b.unfolded.cancellationReason ?? 'cancelled_by_user',
        });
        if (moved.isErr()) return err(moved.error);
      }
    }
    return ok(b.build(now));
  });
};

export type TimeTrigger = 'produce_quote' | 'expire_quote' | 'funds_deadline';

/** The time-based transition due for a request at `now`, if any (SPEC sections 3 and 6). */
export const dueTimeTrigger = (request: Request, now: number): TimeTrigger | null => {
  switch (request.state) {
    case 'quote_requested':
      return request.eta !== null && now >= request.eta ? 'produce_quote' : null;
    case 'quoted':
      return request.acceptQuoteBefore !== null && now >= request.acceptQuoteBefore ? 'expire_quote' : null;
    case 'quote_accepted':
      return request.provisionFundsBefore !== null && now >= request.provisionFundsBefore
        ? 'funds_deadline'
        : null;
    default:
      return null;
  }
};
