import type { Result } from 'neverthrow';
import { describe, expect, it } from 'vitest';
import {
  acceptQuote,
  addOutput,
  type Change,
  draftRequest,
  produceQuote,
  requestQuote,
  returnCostInOrigin,
  startWorking,
  stepOutput,
} from './aggregate.js';
import { applyMovement, emptyBalance, type MoneyMovement } from './balance.js';
import type { Currency } from './currency.js';
import { type Money, money } from './money.js';
import type { Output } from './output.js';
import type { PortCode } from './port.js';
import type { OutputPrice } from './pricing.js';
import { type Request, type RequestState, updateRequest } from './request.js';

/**
 * Rules of SPEC sections 2, 3 and 4 stated with worked numbers: the values expected are
 * written here by hand, never taken from the domain.
 */

const USD: Currency = { code: 'USD', exponent: 2 };
const ARS: Currency = { code: 'ARS', exponent: 2 };
const MXN: Currency = { code: 'MXN', exponent: 2 };
const T0 = Date.UTC(2026, 0, 5, 12);
const MINUTE = 60_000;

/** 1 USD = 1,000 ARS, no fee: a budget of 10.00 USD buys 10,000.00 ARS. */
const PRICE: OutputPrice = {
  rate: { units: 1_000n * 10n ** 8n },
  allInRate: { units: 1_000n * 10n ** 8n },
  amount: money(1_000_000n, ARS),
  budget: money(1_000n, USD),
  feeAndCost: money(0n, USD),
};

const ok = <T, E>(result: Result<T, E>): T => result._unsafeUnwrap();

/** A us_usd request with one ar_ars output of 10,000.00 ARS, accepted, quoted at PRICE and accepted. */
const acceptedRequest = (): { request: Request; output: Output } => {
  let request = draftRequest({
    id: 'r1',
    ownerId: 'master',
    payerId: 'payer',
    portCode: 'us_usd' as PortCode,
    now: T0,
  }).request;
  const latest = (change: Change) => {
    request = change.request;
    return change.outputs[0] as Output;
  };
  let output = latest(
    ok(
      addOutput(request, {
        id: 'o1',
        requestId: 'r1',
        payeeId: 'payee',
        withdrawalInstructionId: 'wi1',
        portCode: 'ar_ars' as PortCode,
        target: { kind: 'amount', amount: money(1_000_000n, ARS) },
        now: T0,
      }),
    ),
  );
  output = latest(ok(stepOutput(request, output, 'pass_checks', T0 + 1)));
  request = ok(requestQuote(request, T0 + 2, T0 + 2)).request;
  const quoted = ok(produceQuote(request, [output], () => PRICE, T0 + 3));
  output = latest(quoted);
  request = ok(acceptQuote(request, T0 + 4)).request;
  return { request, output };
};

/** The request working (funded with exactly 10.00 USD) and its output failed at the receiving bank. */
const failedOutput = (): { request: Request; output: Output } => {
  const accepted = acceptedRequest();
  let request = accepted.request;
  let output = accepted.output;
  const step = (change: Change) => {
    request = change.request;
    output = change.outputs.find((o) => o.id === 'o1') ?? output;
  };
  step(ok(startWorking(request, [output], money(1_000n, USD), T0 + 5)));
  step(ok(stepOutput(request, output, 'issue', T0 + 6)));
  step(ok(stepOutput(request, output, 'fail', T0 + 7, { reason: 'account_closed' })));
  expect([request.state, output.state]).toEqual(['working', 'failed']);
  return { request, output };
};

const returnOf = (returnCost: Money): MoneyMovement | undefined => {
  const { request, output } = failedOutput();
  const change = ok(stepOutput(request, output, 'give_up', T0 + 8, { returnCost }));
  return change.movements.find((m) => m.kind === 'return');
};

describe('SPEC section 4: a returned output gives back its budget minus the return cost, never less than nothing', () => {
  it('a return cost of 2,500.00 ARS (2.50 USD at the rate) leaves 7.50 USD of the 10.00 USD budget to credit back', () => {
    expect(returnOf(money(250_000n, ARS))).toMatchObject({
      kind: 'return',
      payerId: 'payer',
      requestId: 'r1',
      outputId: 'o1',
      refunded: { amount: 750n, currency: 'USD', scale: 2 },
      cost: { amount: 250n, currency: 'USD', scale: 2 },
    });
  });

  it('a return cost worth exactly the budget credits nothing back', () => {
    expect(returnOf(money(1_000_000n, ARS))).toMatchObject({
      refunded: { amount: 0n, currency: 'USD' },
      cost: { amount: 1_000n, currency: 'USD' },
    });
  });

  it('a return cost worth more than the budget (50,000.00 ARS = 50.00 USD) is capped at the budget: the refund is zero, not negative', () => {
    expect(returnOf(money(5_000_000n, ARS))).toMatchObject({
      refunded: { amount: 0n, currency: 'USD' },
      cost: { amount: 1_000n, currency: 'USD' },
    });
    // The same cap where the documents price a return (a credit note line).
    expect(returnCostInOrigin(PRICE, money(5_000_000n, ARS))).toEqual(money(1_000n, USD));
    expect(returnCostInOrigin(PRICE, money(1_000_001n, ARS))).toEqual(money(1_000n, USD));
    expect(returnCostInOrigin(PRICE, money(999_000n, ARS))).toEqual(money(999n, USD));
  });

  it('a return with no cost at the port gives back the whole budget', () => {
    expect(returnOf(money(0n, ARS))).toMatchObject({
      refunded: { amount: 1_000n, currency: 'USD' },
      cost: { amount: 0n, currency: 'USD' },
    });
  });
});

describe('SPEC section 3: quote_accepted -> working only once the balance in the origin currency covers total_to_spend', () => {
  const attempt = (available: Money) => {
    const { request, output } = acceptedRequest();
    return startWorking(request, [output], available, T0 + 5);
  };

  it('a balance of exactly total_to_spend (10.00 USD) starts the work and debits it', () => {
    const change = ok(attempt(money(1_000n, USD)));
    expect(change.request.state).toBe('working');
    expect(change.request.fundsAvailable).toEqual(money(1_000n, USD));
    expect(change.movements).toContainEqual({
      kind: 'debit',
      payerId: 'payer',
      requestId: 'r1',
      amount: money(1_000n, USD),
    });
  });

  it('a balance one cent short is refused (insufficient_funds) and nothing moves', () => {
    expect(attempt(money(999n, USD))._unsafeUnwrapErr()).toMatchObject({
      code: 'insufficient_funds',
      entity: 'request',
      id: 'r1',
      state: 'quote_accepted',
      action: 'start_working',
    });
  });

  it('a balance in another currency never covers it, however large (MXN funds for a USD total)', () => {
    expect(attempt(money(10n ** 15n, MXN))._unsafeUnwrapErr()).toMatchObject({
      code: 'insufficient_funds',
      state: 'quote_accepted',
    });
  });
});

describe('SPEC section 2: PATCH changes external_id and payment_authorization_code, each independently of the other', () => {
  // Written from SPEC section 3: the final states are finished and cancelled.
  const OPEN: RequestState[] = ['draft', 'quote_requested', 'quoted', 'quote_accepted', 'working'];
  const FINAL: RequestState[] = ['finished', 'cancelled'];
  const base = (state: RequestState): Request => ({
    ...draftRequest({
      id: 'r1',
      ownerId: 'master',
      payerId: 'payer',
      portCode: 'us_usd' as PortCode,
      externalId: 'invoice-7',
      paymentAuthorizationCode: 'auth-1',
      now: T0,
    }).request,
    state,
  });

  it.each(OPEN)('on a %s request, changing one attribute keeps the other', (state) => {
    const later = T0 + MINUTE;
    const external = ok(updateRequest(base(state), { externalId: 'invoice-8' }, later));
    expect([external.externalId, external.paymentAuthorizationCode]).toEqual(['invoice-8', 'auth-1']);
    expect(external.updatedAt).toBe(later);
    const code = ok(updateRequest(base(state), { paymentAuthorizationCode: 'auth-2' }, later));
    expect([code.externalId, code.paymentAuthorizationCode]).toEqual(['invoice-7', 'auth-2']);
    const both = ok(updateRequest(base(state), { externalId: 'x', paymentAuthorizationCode: 'y' }, later));
    expect([both.externalId, both.paymentAuthorizationCode]).toEqual(['x', 'y']);
    const nothing = ok(updateRequest(base(state), {}, later));
    expect([nothing.externalId, nothing.paymentAuthorizationCode]).toEqual(['invoice-7', 'auth-1']);
  });

  it('null clears only the attribute it is given for', () => {
    const cleared = ok(updateRequest(base('draft'), { externalId: null }, T0 + 1));
    expect([cleared.externalId, cleared.paymentAuthorizationCode]).toEqual([null, 'auth-1']);
    const clearedCode = ok(updateRequest(base('draft'), { paymentAuthorizationCode: null }, T0 + 1));
    expect([clearedCode.externalId, clearedCode.paymentAuthorizationCode]).toEqual(['invoice-7', null]);
  });

  it.each(FINAL)('a %s request is refused (invalid_transition, action update) and keeps both', (state) => {
    const request = base(state);
    expect(updateRequest(request, { externalId: 'x' }, T0 + 1)._unsafeUnwrapErr()).toMatchObject({
      code: 'invalid_transition',
      entity: 'request',
      id: 'r1',
      state,
      action: 'update',
    });
    expect(request.externalId).toBe('invoice-7');
  });
});

describe('SPEC section 4: a failed output is retried, possibly with a new withdrawal instruction, or given up', () => {
  it('a retry with a new instruction moves to working with it, and its event names the one before', () => {
    const { request, output } = failedOutput();
    const change = ok(stepOutput(request, output, 'retry', T0 + 8, { withdrawalInstructionId: 'wi2' }));
    expect(change.outputs[0]).toMatchObject({
      state: 'working',
      withdrawalInstructionId: 'wi2',
      attempts: 2,
    });
    expect(change.events).toHaveLength(1);
    expect(change.events[0]).toMatchObject({
      eventType: 'concierge_request_output_working',
      resourceId: 'o1',
      at: T0 + 8,
      formerInstructionId: 'wi1',
    });
    expect(change.request.updatedAt).toBe(T0 + 8);
  });

  it('a retry with the same instruction keeps it, and its event names no former one', () => {
    const { request, output } = failedOutput();
    const change = ok(stepOutput(request, output, 'retry', T0 + 8));
    expect(change.outputs[0]).toMatchObject({ state: 'working', withdrawalInstructionId: 'wi1' });
    expect(change.events[0]).not.toHaveProperty('formerInstructionId');
  });

  it('giving up without the return cost is refused (reason_required) rather than crediting a guess', () => {
    const { request, output } = failedOutput();
    expect(stepOutput(request, output, 'give_up', T0 + 8)._unsafeUnwrapErr()).toMatchObject({
      code: 'reason_required',
      entity: 'output',
      id: 'o1',
      state: 'failed',
      action: 'give_up',
    });
  });

  it('an output of another request is refused (invalid_transition) and changes nothing', () => {
    const { request, output } = failedOutput();
    const foreign = { ...output, requestId: 'r2' };
    expect(stepOutput(request, foreign, 'retry', T0 + 8)._unsafeUnwrapErr()).toMatchObject({
      code: 'invalid_transition',
      entity: 'output',
      id: 'o1',
      action: 'retry',
    });
  });
});

describe('SPEC section 3: a debit the balance cannot cover names the request, its state and the action', () => {
  it('insufficient_funds on quote_accepted, start_working', () => {
    const balance = { ...emptyBalance('payer', USD), available: 999n, deposited: 999n };
    const refused = applyMovement(balance, {
      kind: 'debit',
      payerId: 'payer',
      requestId: 'r1',
      amount: money(1_000n, USD),
    });
    expect(refused._unsafeUnwrapErr()).toMatchObject({
      code: 'insufficient_funds',
      entity: 'request',
      id: 'r1',
      state: 'quote_accepted',
      action: 'start_working',
    });
  });
});
