import type { StoredEvent } from '@concierge-ts/application';
import {
  createOutput,
  type DomainEvent,
  momentOf,
  OUTPUT_TRANSITIONS,
  type Output,
  type OutputTrigger,
  outputEvent,
  priceOutputEntity,
  transitionOutput,
} from '@concierge-ts/domain';
import { arbOutputRecord, arbPricing } from '@concierge-ts/domain/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InMemoryEventStore } from './events.js';

/**
 * The event store keeps an output's event as a byte and a few rare things aside (SPEC
 * section 8: the resource as it was then, for a million outputs). What it gives back must
 * be the moment of the output the event carried, whatever the walk.
 */

/** The events of one output's walk through its lifecycle (with a price on the way, and retries that change the instruction). */
const arbWalk = fc.record({
  start: arbOutputRecord(fc.constant('accepting')),
  pricing: arbPricing({ max: 10n ** 9n }),
  choices: fc.array(
    fc.record({
      pick: fc.nat(),
      price: fc.boolean(),
      reason: fc.constantFrom('bank_refused', 'account_closed', 'compliance_rejected'),
      instruction: fc.option(fc.constantFrom('wi-2', 'wi-3', 'wi-4')),
    }),
    { maxLength: 20 },
  ),
});

type Walk = typeof arbWalk extends fc.Arbitrary<infer T> ? T : never;

const eventsOf = ({ start, pricing, choices }: Walk, id: string): DomainEvent[] => {
  let output: Output = createOutput({ ...start, id, now: 1 });
  const events: DomainEvent[] = [outputEvent(output, 1)];
  choices.forEach((choice, i) => {
    const now = 2 + i;
    if (
      choice.price &&
      output.price === null &&
      (output.state === 'accepting' || output.state === 'accepted')
    ) {
      output = priceOutputEntity(output, pricing.price, now);
      return;
    }
    const triggers = Object.keys(OUTPUT_TRANSITIONS[output.state]) as OutputTrigger[];
    const trigger = triggers[choice.pick % Math.max(1, triggers.length)];
    if (trigger === undefined) return;
    const before = output;
    output = transitionOutput(output, trigger, now, {
      reason: choice.reason,
      ...(choice.instruction === null ? {} : { withdrawalInstructionId: choice.instruction }),
    })._unsafeUnwrap();
    const event = outputEvent(output, now);
    events.push(
      before.withdrawalInstructionId === output.withdrawalInstructionId
        ? event
        : { ...event, formerInstructionId: before.withdrawalInstructionId },
    );
  });
  return events;
};

/** The moment a stored event gives back, its instruction resolved against the output's latest. */
const storedMoment = (stored: StoredEvent, latest: Output) => {
  if (stored.snapshot?.kind !== 'output') throw new Error(`event ${stored.id} kept no output moment`);
  const { moment } = stored.snapshot;
  return {
    ...moment,
    withdrawalInstructionId: moment.withdrawalInstructionId ?? latest.withdrawalInstructionId,
  };
};

describe('InMemoryEventStore', () => {
  it('gives back the moment of every output event, whatever the walk, among other owners and events', () => {
    fc.assert(
      fc.property(fc.array(arbWalk, { minLength: 1, maxLength: 4 }), (walks) => {
        const store = new InMemoryEventStore();
        const all = walks.map((walk, w) => eventsOf(walk, `o${w}`));
        // Interleaved, each walk its own owner.
        const longest = Math.max(...all.map((events) => events.length));
        for (let i = 0; i < longest; i += 1)
          all.forEach((events, w) => {
            const event = events[i];
            if (event) store.publishFor(`master-${w}`, [event]);
          });
        all.forEach((events, w) => {
          const stored = [...store.list(`master-${w}`)];
          const last = events.at(-1) as Extract<DomainEvent, { resource: 'output' }>;
          expect(stored.map((s) => [s.eventType, s.resourceId, s.at, s.sentAt])).toEqual(
            events.map((e) => [e.eventType, e.resourceId, e.at, null]),
          );
          stored.forEach((s, i) => {
            const event = events[i] as Extract<DomainEvent, { resource: 'output' }>;
            expect(storedMoment(s, last.output)).toEqual(momentOf(event.output));
          });
        });
      }),
      { numRuns: 300 },
    );
  });

  it('keeps attempts past what a byte holds', () => {
    const store = new InMemoryEventStore();
    const start = fc.sample(arbOutputRecord(fc.constant('accepting')), { numRuns: 1, seed: 3 })[0] as Output;
    let output = createOutput({ ...start, now: 0 });
    for (const trigger of ['pass_checks', 'start_working'] as const)
      output = transitionOutput(output, trigger, 0)._unsafeUnwrap();
    for (let i = 0; i < 200; i += 1)
      for (const trigger of ['issue', 'fail', 'retry'] as const)
        output = transitionOutput(output, trigger, i, { reason: 'bank_refused' })._unsafeUnwrap();
    store.publishFor('m', [outputEvent(output, 200)]);
    const [stored] = [...store.list('m')];
    expect(stored?.snapshot).toMatchObject({ kind: 'output', moment: { attempts: 201, state: 'working' } });
  });

  it('records a delivery once, the first, and ignores ids it does not hold', () => {
    const store = new InMemoryEventStore();
    const start = fc.sample(arbOutputRecord(fc.constant('accepting')), { numRuns: 1, seed: 5 })[0] as Output;
    const output = createOutput({ ...start, now: 0 });
    store.publishFor('m', [outputEvent(output, 0), outputEvent(output, 0)]);
    const [first, second] = [...store.list('m')];
    store.markSent(first?.id as string, 10);
    store.markSent(first?.id as string, 20);
    store.markSent('999', 30);
    store.markSent('not a number', 30);
    expect([...store.list('m')].map((e) => e.sentAt)).toEqual([10, null]);
    // After a reset, the old ids are unknown: nothing changes.
    store.clear();
    store.publishFor('m', [outputEvent(output, 0)]);
    store.markSent(second?.id as string, 40);
    expect([...store.list('m')].map((e) => [e.id, e.sentAt])).toEqual([
      [String(Number(second?.id) + 1), null],
    ]);
  });
});
