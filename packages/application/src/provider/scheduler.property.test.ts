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
