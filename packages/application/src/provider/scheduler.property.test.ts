import { test } from '@fast-check/vitest';
import fc from 'fast-check';
import { expect } from 'vitest';
import { type TimedMove, TimerQueue } from './scheduler.js';

const move = (n: number): TimedMove => ({ kind: 'produce_quote', requestId: String(n) });

test.prop([fc.array(fc.integer({ min: 0, max: 50 }), { maxLength: 300 }), fc.integer({ min: 0, max: 60 })], {
  numRuns: 500,
})(
  'due moves come out by time, in scheduling order within an instant, each once, none early',
  (times, upTo) => {
    const queue = new TimerQueue();
    times.forEach((at, n) => {
      queue.schedule(at, move(n));
    });
    expect(queue.size()).toBe(times.length);
    // The oracle: a stable sort of (time, order of scheduling), cut at upTo.
    const expected = times
      .map((at, n) => ({ at, id: String(n) }))
      .filter((x) => x.at <= upTo)
      .sort((a, b) => a.at - b.at);
    const fired: { at: number; id: string }[] = [];
    for (let due = queue.takeDue(upTo); due; due = queue.takeDue(upTo))
      for (const m of due.moves) fired.push({ at: due.at, id: (m as { requestId: string }).requestId });
    expect(fired).toEqual(expected);
    expect(queue.size()).toBe(times.length - expected.length);
    const next = queue.nextDueAt();
    const later = times.filter((at) => at > upTo);
    expect(next).toBe(later.length ? Math.min(...later) : undefined);
  },
);

test.prop([fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 1000 })), { maxLength: 400 })], {
  numRuns: 300,
})('interleaved scheduling and taking never returns a move before an earlier one still waiting', (ops) => {
  const queue = new TimerQueue();
  const waiting: number[] = [];
  let n = 0;
  for (const [take, at] of ops) {
    if (take) {
      const due = queue.takeDue(Number.MAX_SAFE_INTEGER);
      const min = waiting.length ? Math.min(...waiting) : undefined;
      expect(due?.at).toBe(min);
      if (due) for (let i = 0; i < due.moves.length; i += 1) waiting.splice(waiting.indexOf(due.at), 1);
    } else {
      queue.schedule(at, move(n++));
      waiting.push(at);
    }
    expect(queue.size()).toBe(waiting.length);
  }
});

/** A plan of one output's move, or a request's (which never joins another). */
const arbPlanned = fc.record({
  at: fc.integer({ min: 0, max: 4 }),
  kind: fc.constantFrom('run_checks', 'progress', 'produce_quote'),
  requestId: fc.constantFrom('r1', 'r2'),
  attempt: fc.integer({ min: 0, max: 3 }),
});

test.prop([fc.array(arbPlanned, { maxLength: 200 })], { numRuns: 300 })(
  'checks and progress joined at an instant name every output once, in the order planned, with its attempt',
  (plans) => {
    const queue = new TimerQueue();
    plans.forEach((plan, n) => {
      const outputIds = [String(n)];
      queue.schedule(
        plan.at,
        plan.kind === 'run_checks'
          ? { kind: 'run_checks', requestId: plan.requestId, outputIds }
          : plan.kind === 'progress'
            ? { kind: 'progress', requestId: plan.requestId, outputIds, attempts: [plan.attempt] }
            : { kind: 'produce_quote', requestId: plan.requestId },
      );
    });
    expect(queue.size()).toBe(plans.length);
    type Fired = { at: number; kind: string; requestId: string; id: string | null; attempt: number | null };
    // The oracle: every plan, stably sorted by time, each as (kind, request, id, attempt).
    const expected: Fired[] = plans
      .map((plan, n) => ({ ...plan, n }))
      .sort((a, b) => a.at - b.at)
      .map(({ at, kind, requestId, attempt, n }) => ({
        at,
        kind,
        requestId,
        id: kind === 'produce_quote' ? null : String(n),
        attempt: kind === 'progress' ? attempt : null,
      }));
    const fired: Fired[] = [];
    for (let due = queue.takeDue(4); due; due = queue.takeDue(4))
      for (const m of due.moves) {
        if (m.kind === 'run_checks' || m.kind === 'progress')
          m.outputIds.forEach((id, i) => {
            fired.push({
              at: due.at,
              kind: m.kind,
              requestId: m.requestId,
              id,
              attempt: m.kind === 'progress' ? (m.attempts[i] as number) : null,
            });
          });
        else fired.push({ at: due.at, kind: m.kind, requestId: m.requestId, id: null, attempt: null });
      }
    expect(fired).toEqual(expected);
    expect(queue.size()).toBe(0);
  },
);
