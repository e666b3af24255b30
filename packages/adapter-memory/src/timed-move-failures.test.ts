import {
  ConciergeService,
  conciergeError,
  MAGIC_VALUES,
  type PricingSource,
  type TimedMoveFailure,
  type UserRecord,
} from '@concierge-ts/application';
import { testInstructionBody } from '@concierge-ts/domain';
import { err } from 'neverthrow';
import { describe, expect, it } from 'vitest';
import { defaultCatalog, staticCatalog } from './catalog.js';
import { ManualClock } from './clock.js';
import { InMemoryEventStore } from './events.js';
import { InMemoryHintTokens } from './hints.js';
import { SequentialIds } from './ids.js';
import { tablePricing } from './pricing.js';
import { inMemoryRepositories } from './repositories.js';

/**
 * The moves the service makes on its own clock answer to no caller: when one fails, the
 * service says so through `onMoveFailed` and goes on, rather than dropping the failure.
 */

/** The table's prices, or a refusal while the rate source is down. */
const switchablePricing = () => {
  const table = tablePricing();
  let down = false;
  const source: PricingSource = {
    quote: (origin, destination) =>
      down ? err(conciergeError.server('the rate source is down')) : table.quote(origin, destination),
  };
  const setDown = (value: boolean): void => {
    down = value;
  };
  return { source, setDown };
};

const setUp = () => {
  const clock = new ManualClock();
  const pricing = switchablePricing();
  const failures: TimedMoveFailure[] = [];
  const service = new ConciergeService({
    repositories: inMemoryRepositories(),
    catalog: staticCatalog(defaultCatalog()),
    pricing: pricing.source,
    clock,
    ids: new SequentialIds(),
    events: new InMemoryEventStore(),
    hints: new InMemoryHintTokens(),
    policy: MAGIC_VALUES,
    onMoveFailed: (failure) => failures.push(failure),
  });
  const master: UserRecord = service.createMasterUser({ email: 'master@example.com' });
  const payer = service.createUser(master, { email: 'payer@example.com' })._unsafeUnwrap();
  const payee = service.createUser(master, { email: 'payee@example.com' })._unsafeUnwrap();
  const instruction = service
    .createWithdrawalInstruction(master, {
      userId: payee.id,
      label: 'CLP account',
      // No test identifier: it would settle by itself, long after what these tests look at.
      body: testInstructionBody('cl_clp', 'other'),
    })
    ._unsafeUnwrap();
  const request = service.createRequest(master, { portCode: 'ar_ars', payerId: payer.id })._unsafeUnwrap();
  const addOutput = () =>
    service
      .createOutput(master, {
        requestId: request.id,
        payeeId: payee.id,
        withdrawalInstructionId: instruction.id,
        portCode: 'cl_clp',
        amount: 5000,
      })
      ._unsafeUnwrap();
  return { clock, pricing, failures, service, master, payer, request, addOutput };
};

describe('timed moves that fail', () => {
  it('a quote the pricing source refuses at its eta is reported, and the request keeps waiting for it', () => {
    const { clock, pricing, failures, service, master, request, addOutput } = setUp();
    addOutput();
    service.advance(clock, 2_000);
    expect(service.getRequest(master, request.id)._unsafeUnwrap().counters.accepted).toBe(1);
    service.requestQuote(master, request.id)._unsafeUnwrap();
    const eta = clock.now() + service.timings.quoteStepMs;
    pricing.setDown(true);
    service.advance(clock, service.timings.quoteStepMs);
    expect(failures).toEqual([
      {
        at: eta,
        kind: 'produce_quote',
        requestId: request.id,
        error: expect.objectContaining({ type: 'server', detail: 'the rate source is down' }),
      },
    ]);
    expect(service.getRequest(master, request.id)._unsafeUnwrap().state).toBe('quote_requested');
    // The operator can still produce it once the source is back.
    pricing.setDown(false);
    expect(service.produceQuoteNow(master, request.id)._unsafeUnwrap().state).toBe('quoted');
    expect(failures).toHaveLength(1);
  });

  it('checks the pricing source cannot price are reported once per request, and the outputs stay accepting', () => {
    const { clock, pricing, failures, service, master, request, addOutput } = setUp();
    const outputs = [addOutput(), addOutput(), addOutput()];
    pricing.setDown(true);
    service.advance(clock, service.timings.checksAfterMs);
    expect(failures.map((f) => [f.kind, f.requestId, f.error.type])).toEqual([
      ['run_checks', request.id, 'server'],
    ]);
    for (const output of outputs)
      expect(service.getOutput(master, output.id)._unsafeUnwrap().state).toBe('accepting');
  });

  it('a start of work the balance does not cover is no failure: the request waits for a deposit', () => {
    const { clock, failures, service, master, payer, request, addOutput } = setUp();
    addOutput();
    service.advance(clock, service.timings.checksAfterMs);
    service.requestQuote(master, request.id)._unsafeUnwrap();
    service.advance(clock, service.timings.quoteStepMs);
    service.acceptQuote(master, request.id)._unsafeUnwrap();
    service.advance(clock, service.timings.fundsCheckAfterMs);
    expect(service.getRequest(master, request.id)._unsafeUnwrap().state).toBe('quote_accepted');
    service.deposit(master, payer.id, { portCode: 'ar_ars', amount: 1_000_000 })._unsafeUnwrap();
    service.advance(clock, service.timings.fundsCheckAfterMs);
    expect(service.getRequest(master, request.id)._unsafeUnwrap().state).toBe('working');
    expect(failures).toEqual([]);
  });
});
