import type { Result } from 'neverthrow';
import { describe, expect, it } from 'vitest';
import {
  acceptQuote,
  addOutput,
  type Change,
  cancelRequest,
  draftRequest,
  produceQuote,
  requestQuote,
  startWorking,
  stepOutput,
} from './aggregate.js';
import type { Currency } from './currency.js';
import { requestDocument } from './documents.js';
import { type HintBinding, matchHint } from './hint.js';
import { money } from './money.js';
import type { NewOutput, Output } from './output.js';
import type { PortCode } from './port.js';
import { type OutputPrice, pricer } from './pricing.js';
import type { Request } from './request.js';

/**
 * Rules of SPEC sections 2, 3, 4, 6 and 7 about which outputs an operation of a request
 * touches, and about prices, stated with worked numbers written here by hand.
 */

const USD: Currency = { code: 'USD', exponent: 2 };
const ARS: Currency = { code: 'ARS', exponent: 2 };
const T0 = Date.UTC(2026, 0, 5, 12);
const MINUTE = 60_000;
const RATE = (n: bigint) => ({ units: n });

/**
 * 1 USD = 1,000 ARS with a 1% fee (all_in_rate 990): 10,000.00 ARS cost 10,000 ÷ 990 =
 * 10.1010… USD, rounded up to 10.11 USD; at the mid rate they are worth 10.00 USD, so
 * fee_and_cost is 0.11 USD.
 */
const PRICE: OutputPrice = {
  rate: RATE(1_000n * 10n ** 8n),
  allInRate: RATE(990n * 10n ** 8n),
  amount: money(1_000_000n, ARS),
  budget: money(1_011n, USD),
  feeAndCost: money(11n, USD),
};

const ok = <T, E>(result: Result<T, E>): T => result._unsafeUnwrap();

const newOutput = (id: string, requestId: string): NewOutput => ({
  id,
  requestId,
  payeeId: 'payee',
  withdrawalInstructionId: 'wi1',
  portCode: 'ar_ars' as PortCode,
  target: { kind: 'amount', amount: money(1_000_000n, ARS) },
  now: T0,
});

/** Request `id` (us_usd) with one ar_ars output of 10,000.00 ARS whose checks passed. */
const withAcceptedOutput = (id: string, outputId: string): { request: Request; output: Output } => {
  let request = draftRequest({
    id,
    ownerId: 'master',
    payerId: 'payer',
    portCode: 'us_usd' as PortCode,
    now: T0,
  }).request;
  const added = ok(addOutput(request, newOutput(outputId, id)));
  request = added.request;
  const passed = ok(stepOutput(request, added.outputs[0] as Output, 'pass_checks', T0 + 1));
  return { request: passed.request, output: passed.outputs[0] as Output };
};

/** r1 quoted at PRICE, and an accepted output x1 of another request r2, just like r1's o1. */
const quotedWithForeign = (): { request: Request; own: Output; foreign: Output } => {
  const { request: drafted, output } = withAcceptedOutput('r1', 'o1');
  const foreign = withAcceptedOutput('r2', 'x1').output;
  const asked = ok(requestQuote(drafted, T0 + 2, T0 + 2)).request;
  const quoted = ok(produceQuote(asked, [output], () => PRICE, T0 + 3));
  return { request: quoted.request, own: quoted.outputs[0] as Output, foreign: { ...foreign, price: PRICE } };
};

const ids = (change: Change) => change.outputs.map((o) => [o.id, o.requestId, o.state]);

describe('SPEC section 2: an output is added to the request it is posted to', () => {
  it('an output added to r1 belongs to r1, whatever request its input names', () => {
    const request = draftRequest({
      id: 'r1',
      ownerId: 'master',
      payerId: 'payer',
      portCode: 'us_usd' as PortCode,
      now: T0,
    }).request;
    const change = ok(addOutput(request, newOutput('o1', 'r2')));
    expect(change.outputs.map((o) => [o.id, o.requestId, o.state])).toEqual([['o1', 'r1', 'accepting']]);
    expect(change.request.counters.total).toBe(1);
  });
});

describe("SPEC section 3: a request's transitions move its own outputs only", () => {
  it("the quote prices only the request's outputs: total_to_spend is one output's 10.11 USD", () => {
    const { request: drafted, output } = withAcceptedOutput('r1', 'o1');
    const foreign = withAcceptedOutput('r2', 'x1').output;
    const asked = ok(requestQuote(drafted, T0 + 2, T0 + 2)).request;
    const change = ok(produceQuote(asked, [foreign, output], () => PRICE, T0 + 3));
    expect(change.outputs.map((o) => [o.id, o.price?.budget.amount])).toEqual([['o1', 1_011n]]);
    expect(change.request.totalToSpend).toEqual(money(1_011n, USD));
  });

  it("starting work moves only the request's accepted outputs to working", () => {
    const { request, own, foreign } = quotedWithForeign();
    const accepted = ok(acceptQuote(request, T0 + 4)).request;
    const change = ok(startWorking(accepted, [foreign, own], money(1_011n, USD), T0 + 5));
    expect(ids(change)).toEqual([['o1', 'r1', 'working']]);
    expect(change.request.counters).toMatchObject({ total: 1, working: 1, accepted: 0 });
  });

  it('cancelling the request cancels only its own accepted outputs', () => {
    const { request, own, foreign } = quotedWithForeign();
    const change = ok(cancelRequest(request, [foreign, own], 'cancel', T0 + 4));
    expect(ids(change)).toEqual([['o1', 'r1', 'cancelled']]);
    expect(change.request).toMatchObject({ state: 'cancelled', cancellationReason: 'cancelled_by_user' });
  });

  it.each(['draft', 'quoted'] as const)(
    'funds for a %s request start nothing: invalid_transition on start_working',
    (state) => {
      const { request: quoted, own } = quotedWithForeign();
      const request = state === 'draft' ? withAcceptedOutput('r1', 'o1').request : quoted;
      expect(request.state).toBe(state);
      const refused = startWorking(request, [own], money(10n ** 9n, USD), T0 + 5);
      expect(refused._unsafeUnwrapErr()).toMatchObject({
        code: 'invalid_transition',
        entity: 'request',
        id: 'r1',
        state,
        action: 'start_working',
      });
    },
  );
});

describe('SPEC section 4: money moves for an output only once its request has been charged', () => {
  it('an output rejected while its request is quoted gives nothing back, and the request is cancelled (no_payable_outputs)', () => {
    let request = draftRequest({
      id: 'r1',
      ownerId: 'master',
      payerId: 'payer',
      portCode: 'us_usd' as PortCode,
      now: T0,
    }).request;
    const added = ok(addOutput(request, newOutput('o1', 'r1')));
    request = ok(requestQuote(added.request, T0 + 2, T0 + 2)).request;
    const quoted = ok(produceQuote(request, added.outputs, () => PRICE, T0 + 3));
    const output = quoted.outputs[0] as Output;
    expect([output.state, output.price?.budget]).toEqual(['accepting', money(1_011n, USD)]);
    const change = ok(
      stepOutput(quoted.request, output, 'fail_checks', T0 + 4, { reason: 'compliance_rejected' }),
    );
    expect(change.movements).toEqual([]);
    expect(change.request).toMatchObject({ state: 'cancelled', cancellationReason: 'no_payable_outputs' });
  });
});

describe("SPEC section 6: a hint token prices the request's own outputs", () => {
  it('an output of another request with the same port and amount takes no price from the estimate', () => {
    const { request, output } = withAcceptedOutput('r1', 'o1');
    const foreign = withAcceptedOutput('r2', 'x1').output;
    const binding: HintBinding = {
      originPortCode: 'us_usd',
      outputs: [
        { portCode: 'ar_ars', target: { kind: 'amount', amount: money(1_000_000n, ARS) }, price: PRICE },
      ],
      issuedAt: T0,
      expiresAt: T0 + 10 * MINUTE,
    };
    const prices = ok(matchHint(binding, request, [foreign, output], T0 + MINUTE));
    expect([...prices.entries()]).toEqual([['o1', PRICE]]);
  });
});

describe('SPEC section 6: an amount and a budget are each priced by their own rule', () => {
  // 1 USD = 1,000 ARS, no fee: all_in_rate = rate = 1,000.
  const quote = { rate: RATE(1_000n * 10n ** 8n), fee: RATE(0n) };

  it('10,000.00 ARS asked costs 10.00 USD; then 10,000.00 USD given buys 10,000,000.00 ARS', () => {
    const price = pricer(quote, USD, ARS);
    expect(price({ kind: 'amount', amount: money(1_000_000n, ARS) })).toMatchObject({
      amount: money(1_000_000n, ARS),
      budget: money(1_000n, USD),
    });
    expect(price({ kind: 'budget', budget: money(1_000_000n, USD) })).toMatchObject({
      amount: money(1_000_000_000n, ARS),
      budget: money(1_000_000n, USD),
    });
  });

  it('the other way round: 10,000.00 USD given, then 10,000.00 ARS asked', () => {
    const price = pricer(quote, USD, ARS);
    expect(price({ kind: 'budget', budget: money(1_000_000n, USD) }).amount).toEqual(
      money(1_000_000_000n, ARS),
    );
    expect(price({ kind: 'amount', amount: money(1_000_000n, ARS) }).budget).toEqual(money(1_000n, USD));
  });
});

describe("SPEC section 7: the receipt lists the request's charged outputs and adds up their fees", () => {
  it('one output of 10.11 USD with 0.11 USD of fee_and_cost: the receipt totals 10.11 USD, fees 0.11 USD', () => {
    const { request, own, foreign } = quotedWithForeign();
    const accepted = ok(acceptQuote(request, T0 + 4)).request;
    const working = ok(startWorking(accepted, [own], money(1_011n, USD), T0 + 5));
    const ownNow = working.outputs[0] as Output;
    const receipt = requestDocument('receipt', working.request, [foreign, ownNow], () => undefined);
    expect(receipt?.lines.map((l) => [l.outputId, l.state])).toEqual([['o1', 'working']]);
    expect(receipt?.totals).toMatchObject({
      budget: money(1_011n, USD),
      fees: money(11n, USD),
      inFlight: money(1_011n, USD),
      settled: money(0n, USD),
    });
  });
});
