import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  acceptQuote,
  addOutput,
  cancelRequest,
  DEFAULT_QUOTE_WINDOWS,
  draftRequest,
  dueTimeTrigger,
  produceQuote,
  requestQuote,
  stepOutput,
} from './aggregate.js';
import { money } from './money.js';
import type { Output } from './output.js';
import type { Request } from './request.js';
import {
  arbRequestRecord,
  arbScenarioConfig,
  deepFreeze,
  propertyTest,
  type ScenarioConfig,
  scenarioPrice,
  unwrap,
} from './testing/index.js';

const test = propertyTest(it);

/** SPEC sections 3 and 6: quote timing and deadlines. Time is an argument, never read from a clock. */

interface Flow {
  readonly config: ScenarioConfig;
  readonly request: Request;
  readonly outputs: readonly Output[];
}

/** A request drafted at t0 with outputs (some accepted), its quote requested with an eta. */
const arbQuoteRequested = fc
  .record({
    config: arbScenarioConfig(),
    outputs: fc.array(
      fc.record({
        destination: fc.nat({ max: 10 }),
        budget: fc.boolean(),
        minor: fc.bigInt({ min: 1n, max: 10n ** 9n }),
        pass: fc.boolean(),
      }),
      { minLength: 1, maxLength: 5 },
    ),
    delay: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 7_200_000 })),
  })
  .map(({ config, outputs: seeds, delay }): Flow & { eta: number } => {
    const t0 = config.start;
    let request = draftRequest({
      id: 'r1',
      ownerId: 'm',
      payerId: config.payerId,
      portCode: config.origin.code,
      now: t0,
    }).request;
    const outputs = new Map<string, Output>();
    seeds.forEach((seed, i) => {
      const destination = config.destinations[seed.destination % config.destinations.length]!;
      const change = unwrap(
        addOutput(request, {
          id: `o${i}`,
          requestId: request.id,
          payeeId: 'p',
          withdrawalInstructionId: 'w',
          portCode: destination.port.code,
          target: seed.budget
            ? { kind: 'budget', budget: money(seed.minor, config.origin.currency) }
            : { kind: 'amount', amount: money(seed.minor, destination.port.currency) },
          now: t0,
        }),
      );
      request = change.request;
      let output = change.outputs[0]!;
      if (seed.pass) {
        const passed = unwrap(stepOutput(request, output, 'pass_checks', t0));
        request = passed.request;
        output = passed.outputs[0]!;
      }
      outputs.set(output.id, output);
    });
    const eta = t0 + delay;
    request = unwrap(requestQuote(request, t0, eta, config.windows)).request;
    return deepFreeze({ config, request, outputs: [...outputs.values()], eta });
  });

const quote = (flow: Flow, at: number): Flow => {
  const change = unwrap(
    produceQuote(flow.request, flow.outputs, (o) => scenarioPrice(flow.config, o), at, flow.config.windows),
  );
  const changed = new Map(change.outputs.map((o) => [o.id, o]));
  return deepFreeze({
    ...flow,
    request: change.request,
    outputs: flow.outputs.map((o) => changed.get(o.id) ?? o),
  });
};

/** An instant around a deadline: just before, at, just after, or anywhere in a wide span. */
const arbAround = (span: number) =>
  fc.oneof(fc.integer({ min: -2, max: 2 }), fc.integer({ min: -span, max: span }), fc.constantFrom(-1, 0, 1));

const arbQuoted = fc
  .tuple(arbQuoteRequested, fc.nat({ max: 7_200_000 }))
  .map(([flow, wait]) => quote(flow, flow.eta + wait));

describe('time', () => {
  test.prop([arbQuoteRequested], { numRuns: 200 })(
    'a quote request carries both deadlines at once, counted from eta as the quote will count them, and no funds yet (the published answer)',
    (flow) => {
      const { request, eta, config } = flow;
      expect(request.state).toBe('quote_requested');
      expect(request.eta).toBe(eta);
      expect(request.acceptQuoteBefore).toBe(eta + config.windows.acceptQuoteMs);
      expect(request.provisionFundsBefore).toBe(eta + config.windows.provisionFundsMs);
      expect(request.fundsAvailable).toEqual(money(0n, config.origin.currency));
      // Produced at eta, the quote keeps them.
      const quoted = quote(flow, eta).request;
      expect([quoted.acceptQuoteBefore, quoted.provisionFundsBefore]).toEqual([
        request.acceptQuoteBefore,
        request.provisionFundsBefore,
      ]);
    },
  );

  test.prop([arbQuoteRequested, arbAround(7_200_000)], { numRuns: 300 })(
    'the quote is due exactly when now ≥ eta, and producing it then sets quoted_at and both deadlines from the windows',
    (flow, offset) => {
      const now = flow.eta + offset;
      const due = dueTimeTrigger(flow.request, now);
      expect(due).toBe(now >= flow.eta ? 'produce_quote' : null);
      if (due === null) return;
      const quoted = quote(flow, now).request;
      expect(quoted.state).toBe('quoted');
      expect(quoted.quotedAt).toBe(now);
      expect(quoted.acceptQuoteBefore).toBe(now + flow.config.windows.acceptQuoteMs);
      expect(quoted.provisionFundsBefore).toBe(now + flow.config.windows.provisionFundsMs);
      expect(DEFAULT_QUOTE_WINDOWS).toEqual({ acceptQuoteMs: 10 * 60_000, provisionFundsMs: 12 * 3_600_000 });
    },
  );

  test.prop([arbQuoted, arbAround(1_200_000)], { numRuns: 400 })(
    'a quote can be accepted before accept_quote_before, and at or after it is refused with quote_expired',
    (flow, offset) => {
      const deadline = flow.request.acceptQuoteBefore!;
      const now = deadline + offset;
      const result = acceptQuote(flow.request, now);
      if (now < deadline) {
        const accepted = result._unsafeUnwrap().request;
        expect(accepted.state).toBe('quote_accepted');
        expect(accepted.quoteAcceptedAt).toBe(now);
      } else {
        expect(result._unsafeUnwrapErr()).toMatchObject({
          code: 'quote_expired',
          state: 'quoted',
          action: 'accept_quote',
        });
      }
    },
  );

  test.prop([arbQuoted, arbAround(1_200_000)], { numRuns: 400 })(
    'at or after accept_quote_before the due trigger is expire_quote, and cancelling with it gives quote_expired; before, nothing is due and expire_quote is refused with quote_not_expired',
    (flow, offset) => {
      const deadline = flow.request.acceptQuoteBefore!;
      const now = deadline + offset;
      const due = dueTimeTrigger(flow.request, now);
      const result = cancelRequest(flow.request, flow.outputs, 'expire_quote', now);
      if (now >= deadline) {
        expect(due).toBe('expire_quote');
        const change = result._unsafeUnwrap();
        expect(change.request.state).toBe('cancelled');
        expect(change.request.cancellationReason).toBe('quote_not_accepted');
        for (const output of change.outputs)
          expect(output).toMatchObject({ state: 'cancelled', cancellationReason: 'quote_not_accepted' });
      } else {
        expect(due).toBeNull();
        expect(result._unsafeUnwrapErr().code).toBe('quote_not_expired');
      }
    },
  );

  test.prop([arbQuoted, fc.nat({ max: 599_999 }), arbAround(86_400_000)], { numRuns: 400 })(
    'at or after provision_funds_before an accepted quote is due funds_deadline, and cancelling with it gives payment_not_received; before, deadline_not_reached',
    (flow, acceptAfter, offset) => {
      const acceptedAt = Math.min(flow.request.quotedAt! + acceptAfter, flow.request.acceptQuoteBefore! - 1);
      const accepted = unwrap(acceptQuote(flow.request, acceptedAt)).request;
      const deadline = accepted.provisionFundsBefore!;
      const now = Math.max(acceptedAt, deadline + offset);
      const due = dueTimeTrigger(accepted, now);
      const result = cancelRequest(accepted, flow.outputs, 'funds_deadline', now);
      if (now >= deadline) {
        expect(due).toBe('funds_deadline');
        const change = result._unsafeUnwrap();
        expect(change.request).toMatchObject({
          state: 'cancelled',
          cancellationReason: 'payment_not_received',
        });
        for (const output of change.outputs)
          expect(output).toMatchObject({ state: 'cancelled', cancellationReason: 'payment_not_received' });
        // Rejected outputs keep their state; nothing is left accepting or accepted.
        expect(change.request.counters.accepting + change.request.counters.accepted).toBe(0);
      } else {
        expect(due).toBeNull();
        expect(result._unsafeUnwrapErr().code).toBe('deadline_not_reached');
      }
    },
  );

  test.prop(
    [
      arbRequestRecord(fc.constantFrom('draft', 'working', 'finished', 'cancelled')),
      fc.integer({ min: -1e13, max: 1e13 }),
    ],
    { numRuns: 300 },
  )(
    'nothing is ever due for a draft, working, finished or cancelled request, whatever the time',
    (request, now) => {
      expect(dueTimeTrigger(request, now)).toBeNull();
    },
  );
});
