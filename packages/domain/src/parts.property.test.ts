import fc from 'fast-check';
import type { Result } from 'neverthrow';
import { describe, expect, it } from 'vitest';
import {
  type Change,
  DEFAULT_QUOTE_WINDOWS,
  produceQuote,
  produceQuoteInParts,
  startWorking,
  startWorkingInParts,
} from './aggregate.js';
import { recount } from './counters.js';
import type { DomainError } from './errors.js';
import { money } from './money.js';
import type { Output, OutputState } from './output.js';
import type { OutputPrice } from './pricing.js';
import type { Request, RequestState } from './request.js';
import {
  arbOutputRecord,
  arbPricing,
  arbRequestRecord,
  deepFreeze,
  propertyTest,
  unwrap,
} from './testing/index.js';

const test = propertyTest(it);

/**
 * A large request is stored part by part (`produceQuoteInParts`, `startWorkingInParts`):
 * applied in order, the parts must come to exactly the one change of `produceQuote` and
 * `startWorking`, whatever the part size, and refuse what they refuse.
 */

/** A request and its outputs (unique ids, counters that match them), each output with the price it would get. */
const arbRequestWithOutputs = (states: RequestState[], outputStates?: OutputState[]) =>
  fc
    .record({
      request: arbRequestRecord(fc.constantFrom(...states)),
      outputs: fc.array(
        fc.record({
          output: arbOutputRecord(outputStates ? fc.constantFrom(...outputStates) : undefined),
          price: arbPricing({ max: 10n ** 9n }).map((p) => p.price),
        }),
        { maxLength: 40 },
      ),
      partSize: fc.integer({ min: 1, max: 6 }),
      now: fc.integer({ min: 0, max: 4_000_000_000_000 }),
    })
    .map(({ request, outputs, partSize, now }) => {
      const owned = outputs.map(({ output, price }, i) => ({
        output: { ...output, id: `o${i}`, requestId: request.id },
        price,
      }));
      const counters = recount(owned.map(({ output }) => output.state));
      return {
        request: deepFreeze<Request>({ ...request, counters }),
        outputs: deepFreeze<Output[]>(owned.map(({ output }) => output)),
        prices: new Map<string, OutputPrice>(owned.map(({ output, price }) => [output.id, price])),
        partSize,
        now,
      };
    });

/**
 * Every part, checking their sizes: at least `partSize` outputs and movements in each but
 * the last, and never more than `partSize` plus the request's own movement (the debit).
 */
const allParts = (
  parts: Iterable<Result<Change, DomainError>>,
  partSize: number,
): Result<Change, DomainError>[] => {
  const all = [...parts];
  all.forEach((part, index) => {
    if (part.isErr()) {
      expect(all).toHaveLength(1);
      return;
    }
    const size = part.value.outputs.length + part.value.movements.length;
    expect(size).toBeLessThanOrEqual(partSize + 1);
    if (index < all.length - 1) expect(size).toBeGreaterThanOrEqual(partSize);
  });
  return all;
};

/** The parts applied in order, as one change (each output changes once in these operations). */
const merged = (parts: readonly Result<Change, DomainError>[]): Result<Change, DomainError> => {
  const first = parts[0] as Result<Change, DomainError>;
  if (first.isErr()) return first;
  const changes = parts.map((part) => unwrap(part));
  return first.map(() => ({
    request: (changes.at(-1) as Change).request,
    outputs: changes.flatMap((c) => c.outputs),
    events: changes.flatMap((c) => c.events),
    movements: changes.flatMap((c) => c.movements),
  }));
};

describe('a change over a whole request, in parts', () => {
  test.prop([arbRequestWithOutputs(['quote_requested', 'quote_requested', 'draft', 'quoted'])], {
    numRuns: 300,
  })(
    'produceQuoteInParts comes to produceQuote: same request, priced outputs, events; refused alike',
    ({ request, outputs, prices, partSize, now }) => {
      const priceOf = (o: Output) => prices.get(o.id) as OutputPrice;
      const whole = produceQuote(request, outputs, priceOf, now, DEFAULT_QUOTE_WINDOWS);
      const parts = allParts(
        produceQuoteInParts(request, outputs, priceOf, now, DEFAULT_QUOTE_WINDOWS, partSize),
        partSize,
      );
      expect(merged(parts)).toEqual(whole);
    },
  );

  test.prop(
    [
      arbRequestWithOutputs(
        ['quote_accepted', 'quote_accepted', 'quote_accepted', 'quoted'],
        ['accepted', 'accepted', 'rejected', 'accepting', 'cancelled'],
      ),
      fc.boolean(),
    ],
    { numRuns: 300 },
  )(
    'startWorkingInParts comes to startWorking: same request, working outputs, events, debit and refunds; refused alike',
    ({ request, outputs, partSize, now }, funded) => {
      const total = request.totalToSpend;
      const available = total
        ? money(funded ? total.amount : total.amount - 1n, { code: total.currency, exponent: total.scale })
        : money(0n, { code: 'ARS', exponent: 2 });
      const whole = startWorking(request, outputs, available, now);
      const parts = allParts(startWorkingInParts(request, outputs, available, now, partSize), partSize);
      expect(merged(parts)).toEqual(whole);
    },
  );
});
