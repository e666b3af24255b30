import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  acceptQuote,
  addOutput,
  DEFAULT_QUOTE_WINDOWS,
  draftRequest,
  produceQuoteInParts,
  requestQuote,
  startWorkingInParts,
  stepOutput,
} from './aggregate.js';
import type { DomainEvent } from './events.js';
import { money } from './money.js';
import {
  createOutput,
  momentOf,
  OUTPUT_TRANSITIONS,
  type Output,
  type OutputTrigger,
  outputAt,
  priceOutputEntity,
  transitionOutput,
} from './output.js';
import type { OutputPrice } from './pricing.js';
import type { Request } from './request.js';
import { arbOutputRecord, arbPricing, propertyTest, unwrap } from './testing/index.js';

const test = propertyTest(it);

/**
 * SPEC section 8: an event carries its resource as it was when the event happened. An
 * output's event is kept as a moment (what changes) against the output as it is later
 * (what does not, and what a final state keeps): the two must give every version back.
 */

/** A walk through the output lifecycle: at each step a choice among the moves the table allows, or a price. */
const arbWalk = fc.record({
  start: arbOutputRecord(fc.constant('accepting')),
  choices: fc.array(
    fc.record({
      pick: fc.nat(),
      price: fc.boolean(),
      reason: fc.constantFrom('compliance_rejected', 'bank_refused', 'account_closed', 'x'),
      newInstruction: fc.option(fc.constantFrom('wi-2', 'wi-3')),
      wait: fc.integer({ min: 0, max: 3_600_000 }),
    }),
    { maxLength: 14 },
  ),
  pricing: arbPricing({ max: 10n ** 9n }),
});

/** Every version a move made (what an event carries), and the output at the end. */
type Walk = typeof arbWalk extends fc.Arbitrary<infer T> ? T : never;

const walk = ({ start, choices, pricing }: Walk) => {
  let now = start.createdAt;
  let output = createOutput({ ...start, now });
  const versions: Output[] = [output];
  for (const choice of choices) {
    now += choice.wait;
    if (
      choice.price &&
      output.price === null &&
      (output.state === 'accepting' || output.state === 'accepted')
    ) {
      output = priceOutputEntity(output, pricing.price, now);
      continue;
    }
    const triggers = Object.keys(OUTPUT_TRANSITIONS[output.state]) as OutputTrigger[];
    const trigger = triggers[choice.pick % Math.max(1, triggers.length)];
    if (trigger === undefined) break;
    output = unwrap(
      transitionOutput(output, trigger, now, {
        reason: choice.reason,
        ...(choice.newInstruction === null ? {} : { withdrawalInstructionId: choice.newInstruction }),
      }),
    );
    versions.push(output);
  }
  return { versions, latest: output };
};

describe('snapshots of outputs', () => {
  test.prop([arbWalk], { numRuns: 500 })(
    'the moment of any version, against the latest version, gives that version back whole',
    (w) => {
      const { versions, latest } = walk(w);
      for (const version of versions)
        expect(outputAt(latest, momentOf(version), version.updatedAt)).toEqual(version);
    },
  );

  it('a failure reason lives in its moment: the retry that follows clears it from the output', () => {
    const start = fc.sample(arbOutputRecord(fc.constant('accepting')), { numRuns: 1, seed: 11 })[0] as Output;
    let output = createOutput({ ...start, now: 1 });
    const steps: [OutputTrigger, string?][] = [
      ['pass_checks'],
      ['start_working'],
      ['issue'],
      ['fail', 'account_closed'],
    ];
    for (const [trigger, reason] of steps)
      output = unwrap(transitionOutput(output, trigger, 2, reason === undefined ? {} : { reason }));
    const failed = output;
    output = unwrap(transitionOutput(output, 'retry', 3));
    expect(output.failureReason).toBeNull();
    expect(outputAt(output, momentOf(failed), 2)).toMatchObject({
      state: 'failed',
      failureReason: 'account_closed',
    });
  });
});

/** A draft with two outputs of `budgets` (ARS minor units), checked: the first passes, the second is rejected or passes. */
const quotedRequest = (rejectSecond: boolean) => {
  const ars = { code: 'ARS', exponent: 2 };
  let request: Request = draftRequest({
    id: 'r',
    ownerId: 'm',
    payerId: 'p',
    portCode: 'ar_ars' as never,
    now: 0,
  }).request;
  const outputs: Output[] = [];
  for (const id of ['o1', 'o2']) {
    const change = unwrap(
      addOutput(request, {
        id,
        requestId: 'r',
        payeeId: 'e',
        withdrawalInstructionId: 'w',
        portCode: 'ar_ars' as never,
        target: { kind: 'budget', budget: money(10_000n, ars) },
        now: 0,
      }),
    );
    request = change.request;
    outputs.push(change.outputs[0] as Output);
  }
  request = unwrap(requestQuote(request, 1, 1)).request;
  const price = (o: Output): OutputPrice => ({
    amount: money(10_000n, ars),
    budget: money(o.id === 'o1' ? 10_000n : 20_000n, ars),
    rate: { units: 100_000_000n },
    allInRate: { units: 100_000_000n },
    feeAndCost: money(0n, ars),
  });
  const parts = [...produceQuoteInParts(request, outputs, price, 2, DEFAULT_QUOTE_WINDOWS, 1)].map(unwrap);
  request = (parts.at(-1) as { request: Request }).request;
  const priced = parts.flatMap((p) => p.outputs);
  const quotedEvents = parts.flatMap((p) => p.events);
  // Checks decided after the quote: the second output is rejected (priced) or accepted.
  let checked: Output[] = [];
  for (const output of priced) {
    const step = unwrap(
      stepOutput(request, output, rejectSecond && output.id === 'o2' ? 'fail_checks' : 'pass_checks', 3, {
        reason: 'compliance_rejected',
      }),
    );
    request = step.request;
    checked = [...checked, step.outputs[0] as Output];
  }
  request = unwrap(acceptQuote(request, 4)).request;
  return { request, outputs: checked, quotedEvents };
};

const types = (events: readonly DomainEvent[]) => events.map((e) => e.eventType);

describe('snapshots of requests', () => {
  it('the quoted event waits for the last part of a quote in parts, and carries total_to_spend and the deadlines', () => {
    const { quotedEvents } = quotedRequest(false);
    expect(types(quotedEvents)).toEqual(['concierge_request_quoted']);
    const quoted = quotedEvents[0] as Extract<DomainEvent, { resource: 'request' }>;
    expect(quoted.request).toMatchObject({
      state: 'quoted',
      totalToSpend: { amount: 30_000n, currency: 'ARS' },
      acceptQuoteBefore: 2 + DEFAULT_QUOTE_WINDOWS.acceptQuoteMs,
    });
  });

  it('working carries the funds taken, then the receipt is issued, then the outputs move and the credit note follows the first refund', () => {
    const { request, outputs } = quotedRequest(true);
    const total = request.totalToSpend as NonNullable<Request['totalToSpend']>;
    const parts = [...startWorkingInParts(request, outputs, total, 5, 1)].map(unwrap);
    const events = parts.flatMap((p) => p.events);
    expect(types(events)).toEqual([
      'concierge_request_working',
      'concierge_request_receipt_created',
      'concierge_request_output_working',
      'concierge_request_credit_note_created',
    ]);
    const [working, receipt, , note] = events as Extract<DomainEvent, { resource: 'request' }>[];
    // As the request was when it started working: charged, its accepted output not moved yet.
    expect(working?.request).toMatchObject({
      state: 'working',
      fundsAvailable: total,
      receiptIssuedAt: null,
      counters: { accepted: 1, rejected: 1, working: 0 },
    });
    expect(receipt?.request).toMatchObject({ receiptIssuedAt: 5, creditNoteIssuedAt: null });
    expect(note?.request).toMatchObject({
      receiptIssuedAt: 5,
      creditNoteIssuedAt: 5,
      counters: { working: 1 },
    });
    // The stored request says both documents exist.
    expect((parts.at(-1) as { request: Request }).request).toMatchObject({
      receiptIssuedAt: 5,
      creditNoteIssuedAt: 5,
    });
  });

  it('no credit note while nothing went back; one only, at the first money given back', () => {
    const { request, outputs } = quotedRequest(false);
    const total = request.totalToSpend as NonNullable<Request['totalToSpend']>;
    const started = unwrap([...startWorkingInParts(request, outputs, total, 5, 10)][0] as never) as {
      request: Request;
      outputs: Output[];
      events: DomainEvent[];
    };
    expect(types(started.events)).not.toContain('concierge_request_credit_note_created');
    let current = started.request;
    const noteEvents: DomainEvent[] = [];
    for (const output of started.outputs) {
      const cancelled = unwrap(stepOutput(current, output, 'provider_cancel', 6));
      current = cancelled.request;
      noteEvents.push(
        ...cancelled.events.filter((e) => e.eventType === 'concierge_request_credit_note_created'),
      );
    }
    expect(noteEvents).toHaveLength(1);
    expect(current).toMatchObject({ state: 'finished', creditNoteIssuedAt: 6 });
  });
});
