import {
  type Change,
  type DomainError,
  type DomainEvent,
  draftRequest,
  type Money,
  type MoneyMovement,
  type Output,
  type Request,
} from '@concierge-ts/domain';
import { test } from '@fast-check/vitest';
import fc from 'fast-check';
import { err, ok, type Result } from 'neverthrow';
import { describe, expect, it } from 'vitest';
import { NO_MAGIC, type OutboundEvent } from '../../src/index.js';
import { type OutputProgress, providerContext } from '../../src/provider/context.js';
import { apply, applyDomain, applyInParts } from '../../src/provider/unit-of-work.js';
import {
  CountingIds,
  HandClock,
  ListEventStore,
  mapRepositories,
  RememberedHints,
  START,
  TablePricing,
  testCatalog,
} from '../support/world.js';

/**
 * The unit of work: a change the domain decided is stored whole (balances, request,
 * outputs, events) or, refused by a balance, not at all; events are published only with
 * what they report (SPEC section 8), and working outputs get their next step planned only
 * once stored. Money rules of SPEC section 4, written here independently.
 */

const context = (events = new ListEventStore()) => {
  const started: string[][] = [];
  const progress: OutputProgress = {
    started: (_p, outputs) => void started.push(outputs.map((o) => o.id)),
    progress: () => ok(undefined),
  };
  const repos = mapRepositories();
  const p = providerContext(
    {
      repositories: repos,
      catalog: { catalog: testCatalog },
      pricing: new TablePricing(),
      clock: new HandClock(),
      ids: new CountingIds(),
      events,
      hints: new RememberedHints(),
    },
    { policy: NO_MAGIC, progress },
  );
  return { p, repos, events, started };
};

const ars = (cents: bigint): Money => ({ amount: cents, currency: 'ARS', scale: 2 });
const usd = (cents: bigint): Money => ({ amount: cents, currency: 'USD', scale: 2 });

const draft = (id = 'r1', ownerId = 'm1'): Change =>
  draftRequest({
    id,
    ownerId,
    payerId: 'payer',
    portCode: 'ar_ars' as Request['portCode'],
    externalId: null,
    paymentAuthorizationCode: null,
    now: START,
  });

const output = (id: string, requestId = 'r1', state: Output['state'] = 'working'): Output => ({
  id,
  requestId,
  payeeId: 'payee',
  withdrawalInstructionId: 'wi',
  portCode: 'cl_clp' as Output['portCode'],
  target: { kind: 'amount', amount: { amount: 5000n, currency: 'CLP', scale: 0 } },
  price: null,
  state,
  attempts: 1,
  rejectionReason: null,
  failureReason: null,
  cancellationReason: null,
  createdAt: START,
  updatedAt: START,
});

/** A change of `request` moving `outputs` and money, reporting `events`. */
const change = (
  request: Request,
  more: { outputs?: Output[]; movements?: MoneyMovement[]; events?: readonly DomainEvent[] } = {},
): Change => ({
  request,
  outputs: more.outputs ?? [],
  events: more.events ?? [],
  movements: more.movements ?? [],
});

const deposit = (payerId: string, amount: Money): MoneyMovement => ({ kind: 'deposit', payerId, amount });
const debit = (payerId: string, amount: Money): MoneyMovement => ({
  kind: 'debit',
  payerId,
  requestId: 'r1',
  amount,
});

describe('apply', () => {
  it('stores the request and its outputs, publishes its events for the request owner, then plans the outputs', () => {
    const { p, repos, events, started } = context();
    const base = draft();
    const outputs = [output('o1'), output('o2')];
    const stored = apply(p, change(base.request, { outputs, events: base.events }))._unsafeUnwrap();
    expect(stored.request).toBe(base.request);
    expect(repos.requests.get('r1')).toEqual(base.request);
    expect(repos.outputs.get('o2')).toEqual(outputs[1]);
    expect(events.list('m1').map((e) => [e.eventType, e.resourceId])).toEqual([
      ['concierge_request_draft', 'r1'],
    ]);
    expect(started).toEqual([['o1', 'o2']]);
  });

  it('a debit the balance cannot cover stores nothing: no balance, request, output or event, no plan', () => {
    const { p, repos, events, started } = context();
    const base = draft();
    repos.balances.save({
      userId: 'payer',
      currency: 'ARS',
      scale: 2,
      available: 999n,
      inFlight: 0n,
      spent: 0n,
      returnCosts: 0n,
      deposited: 999n,
    });
    const refused = apply(
      p,
      change(base.request, {
        outputs: [output('o1')],
        events: base.events,
        // The deposit alone would be stored; with the debit refused after it, it is not.
        movements: [deposit('payer', ars(1n)), deposit('other', ars(5n)), debit('payer', ars(1001n))],
      }),
    )._unsafeUnwrapErr();
    expect(refused).toMatchObject({ type: 'server', status: 500 });
    expect(repos.balances.get('payer', 'ARS')?.available).toBe(999n);
    expect(repos.balances.get('other', 'ARS')).toBeUndefined();
    expect(repos.requests.get('r1')).toBeUndefined();
    expect(repos.outputs.get('o1')).toBeUndefined();
    expect(events.stored).toEqual([]);
    expect(started).toEqual([]);
  });

  it('a debit the balance covers exactly is stored: available to in flight', () => {
    const { p, repos } = context();
    apply(
      p,
      change(draft().request, { movements: [deposit('payer', ars(1000n)), debit('payer', ars(1000n))] }),
    );
    expect(repos.balances.get('payer', 'ARS')).toMatchObject({
      available: 0n,
      inFlight: 1000n,
      deposited: 1000n,
    });
  });

  it('a change without events publishes nothing', () => {
    let calls = 0;
    const sink = new ListEventStore();
    const original = sink.publish.bind(sink);
    sink.publish = (events) => {
      calls += 1;
      original(events);
    };
    const { p } = context(sink);
    apply(p, change(draft().request));
    expect(calls).toBe(0);
  });

  it('a sink that takes events by owner is given them with the owner, once', () => {
    const got: [string, readonly DomainEvent[]][] = [];
    const published: OutboundEvent[][] = [];
    const sink = Object.assign(new ListEventStore(), {
      publishFor: (ownerId: string, events: readonly DomainEvent[]) => void got.push([ownerId, events]),
    });
    sink.publish = (events) => void published.push([...events]);
    const { p } = context(sink);
    const base = draft('r1', 'owner-7');
    apply(p, base);
    expect(got).toEqual([['owner-7', base.events]]);
    expect(published).toEqual([]);
  });
});

describe('applyDomain', () => {
  it("answers the domain's refusal as the API does (409 for a move the state forbids) and stores nothing", () => {
    const { p, repos } = context();
    const refusal: Result<Change, DomainError> = err({
      type: 'InvalidTransition',
      code: 'invalid_transition',
      entity: 'request',
      id: 'r1',
      state: 'draft',
      action: 'accept_quote',
      message: 'no',
    });
    expect(applyDomain(p, refusal)._unsafeUnwrapErr()).toMatchObject({
      type: 'conflict',
      status: 409,
      code: 'invalid_transition',
    });
    expect(repos.requests.get('r1')).toBeUndefined();
  });
});

describe('applyInParts', () => {
  it('stores each part in order, plans each part, and answers the last', () => {
    const { p, repos, started } = context();
    const base = draft();
    const later = { ...base.request, externalId: 'second' };
    const last = applyInParts(p, [
      ok(change(base.request, { outputs: [output('o1')] })),
      ok(change(later, { outputs: [output('o2')] })),
    ])._unsafeUnwrap();
    expect(last.request.externalId).toBe('second');
    expect(repos.requests.get('r1')?.externalId).toBe('second');
    expect(started).toEqual([['o1'], ['o2']]);
  });

  it('a refused part stops the series: the parts before it stay stored, none after it is stored', () => {
    const { p, repos, started } = context();
    const base = draft();
    const refusal: Result<Change, DomainError> = err({
      type: 'GuardFailed',
      code: 'insufficient_funds',
      entity: 'request',
      id: 'r1',
      state: 'quote_accepted',
      action: 'start_working',
      message: 'no',
    });
    const answer = applyInParts(p, [
      ok(change(base.request, { outputs: [output('o1')] })),
      refusal,
      ok(change(base.request, { outputs: [output('o3')] })),
    ]);
    expect(answer._unsafeUnwrapErr()).toMatchObject({ type: 'conflict', code: 'insufficient_funds' });
    expect(repos.outputs.get('o1')).toBeDefined();
    expect(repos.outputs.get('o3')).toBeUndefined();
    expect(started).toEqual([['o1']]);
  });

  it('a part a balance refuses stops the series too', () => {
    const { p, repos, started } = context();
    const base = draft();
    const answer = applyInParts(p, [
      ok(change(base.request, { movements: [debit('payer', ars(1n))], outputs: [output('o1')] })),
      ok(change(base.request, { outputs: [output('o2')] })),
    ]);
    expect(answer._unsafeUnwrapErr()).toMatchObject({ type: 'server' });
    expect(repos.outputs.get('o1')).toBeUndefined();
    expect(repos.outputs.get('o2')).toBeUndefined();
    expect(started).toEqual([]);
  });

  it('no parts at all is a server error: there is no request to answer with', () => {
    const { p } = context();
    expect(applyInParts(p, [])._unsafeUnwrapErr()).toMatchObject({ type: 'server', status: 500 });
  });
});

/**
 * SPEC section 4's money rules per movement, on (available, in flight, spent, return costs,
 * deposited): a deposit adds to available; a debit moves total_to_spend from available to
 * in flight and is refused when available is short; a refund moves a budget back from in
 * flight; a spend from in flight to spent; a return the refunded part back to available and
 * the cost to return costs.
 */
type Fields = { available: bigint; inFlight: bigint; spent: bigint; returnCosts: bigint; deposited: bigint };
const rule = (b: Fields, m: MoneyMovement): Fields | null => {
  switch (m.kind) {
    case 'deposit':
      return { ...b, available: b.available + m.amount.amount, deposited: b.deposited + m.amount.amount };
    case 'debit':
      return b.available < m.amount.amount
        ? null
        : { ...b, available: b.available - m.amount.amount, inFlight: b.inFlight + m.amount.amount };
    case 'refund':
      return { ...b, available: b.available + m.amount.amount, inFlight: b.inFlight - m.amount.amount };
    case 'spend':
      return { ...b, spent: b.spent + m.amount.amount, inFlight: b.inFlight - m.amount.amount };
    case 'return':
      return {
        ...b,
        available: b.available + m.refunded.amount,
        returnCosts: b.returnCosts + m.cost.amount,
        inFlight: b.inFlight - m.refunded.amount - m.cost.amount,
      };
  }
};

const arbMovement: fc.Arbitrary<MoneyMovement> = fc
  .record({
    kind: fc.constantFrom('deposit', 'debit', 'refund', 'spend', 'return'),
    payerId: fc.constantFrom('p1', 'p2'),
    usd: fc.boolean(),
    cents: fc.bigInt({ min: 1n, max: 5000n }),
    cost: fc.bigInt({ min: 0n, max: 300n }),
  })
  .map(({ kind, payerId, usd: inUsd, cents, cost }): MoneyMovement => {
    const m = inUsd ? usd : ars;
    switch (kind) {
      case 'deposit':
        return { kind, payerId, amount: m(cents) };
      case 'debit':
        return { kind, payerId, requestId: 'r1', amount: m(cents) };
      case 'return':
        return { kind, payerId, requestId: 'r1', outputId: 'o', refunded: m(cents), cost: m(cost) };
      default:
        return {
          kind: kind as 'refund' | 'spend',
          payerId,
          requestId: 'r1',
          outputId: 'o',
          amount: m(cents),
        };
    }
  });

/** Each payer funded in each currency first, or not (then a debit is often short). */
const arbMovements = fc
  .tuple(fc.boolean(), fc.array(arbMovement, { maxLength: 60 }))
  .map(([funded, movements]) =>
    funded
      ? [
          ...['p1', 'p2'].flatMap((payerId) => [
            deposit(payerId, ars(1_000_000n)),
            deposit(payerId, usd(1_000_000n)),
          ]),
          ...movements,
        ]
      : movements,
  );

test.prop([arbMovements], { numRuns: 400 })(
  "a change's movements leave each balance as the money rules applied one by one, or, one debit short, all as they were",
  (movements) => {
    const { p, repos } = context();
    const expected = new Map<string, Fields>();
    let refused = false;
    for (const m of movements) {
      const currency = m.kind === 'return' ? m.refunded.currency : m.amount.currency;
      const key = `${m.payerId}|${currency}`;
      const before = expected.get(key) ?? {
        available: 0n,
        inFlight: 0n,
        spent: 0n,
        returnCosts: 0n,
        deposited: 0n,
      };
      const after = rule(before, m);
      if (after === null) {
        refused = true;
        break;
      }
      expected.set(key, after);
    }
    const stored = apply(p, change(draft().request, { movements }));
    expect(stored.isErr()).toBe(refused);
    for (const payer of ['p1', 'p2'])
      for (const currency of ['ARS', 'USD']) {
        const balance = repos.balances.get(payer, currency);
        const want = refused ? undefined : expected.get(`${payer}|${currency}`);
        if (want === undefined) expect(balance).toBeUndefined();
        else expect(balance).toEqual({ userId: payer, currency, scale: 2, ...want });
      }
  },
);
