import { describe, expect, it } from 'vitest';
import { type TimedMove, TimerQueue } from '../../src/provider/scheduler.js';

/**
 * The scheduler (SPEC section 9: everything due fires in order, deterministically): moves
 * come out by due time, those of one instant in the order they were planned, none before
 * it is due, each once.
 */

const quote = (requestId: string): TimedMove => ({ kind: 'produce_quote', requestId });
const checks = (requestId: string, ...outputIds: string[]): TimedMove => ({
  kind: 'run_checks',
  requestId,
  outputIds,
});

describe('TimerQueue', () => {
  it('gives the moves of one instant together, in the order planned, and only once that instant is reached', () => {
    const queue = new TimerQueue();
    queue.schedule(20, quote('b'));
    queue.schedule(10, quote('a'));
    queue.schedule(20, quote('c'));
    expect(queue.nextDueAt()).toBe(10);
    expect(queue.takeDue(9)).toBeUndefined();
    expect(queue.takeDue(10)).toEqual({ at: 10, moves: [quote('a')] });
    expect(queue.takeDue(19)).toBeUndefined();
    expect(queue.takeDue(25)).toEqual({ at: 20, moves: [quote('b'), quote('c')] });
    expect(queue.takeDue(Number.MAX_SAFE_INTEGER)).toBeUndefined();
    expect(queue.nextDueAt()).toBeUndefined();
  });

  it('counts a move of several outputs once per output, and forgets everything on clear', () => {
    const queue = new TimerQueue();
    queue.schedule(5, checks('r1', 'o1', 'o2'));
    queue.schedule(5, checks('r1', 'o3'));
    queue.schedule(7, quote('r1'));
    expect(queue.size()).toBe(4);
    queue.takeDue(5);
    expect(queue.size()).toBe(1);
    queue.schedule(3, checks('r2', 'o4'));
    queue.clear();
    expect(queue.size()).toBe(0);
    expect(queue.nextDueAt()).toBeUndefined();
    expect(queue.takeDue(100)).toBeUndefined();
    // Still usable after a clear.
    queue.schedule(1, quote('r3'));
    expect(queue.takeDue(1)).toEqual({ at: 1, moves: [quote('r3')] });
  });

  it("never changes the move it is handed: later moves of the same instant do not join the caller's list", () => {
    const queue = new TimerQueue();
    const first = checks('r1', 'o1');
    const progress: TimedMove = { kind: 'progress', requestId: 'r1', outputIds: ['o5'], attempts: [1] };
    queue.schedule(5, first);
    queue.schedule(5, checks('r1', 'o2'));
    queue.schedule(6, progress);
    queue.schedule(6, { kind: 'progress', requestId: 'r1', outputIds: ['o6'], attempts: [2] });
    expect(first).toEqual(checks('r1', 'o1'));
    expect(progress).toEqual({ kind: 'progress', requestId: 'r1', outputIds: ['o5'], attempts: [1] });
    const names = (due: ReturnType<TimerQueue['takeDue']>) =>
      due?.moves.flatMap((m) => ('outputIds' in m ? m.outputIds : [m.requestId]));
    expect(names(queue.takeDue(5))).toEqual(['o1', 'o2']);
    expect(queue.takeDue(6)?.moves.flatMap((m) => (m.kind === 'progress' ? m.attempts : []))).toEqual([1, 2]);
  });

  it('checks of different requests, or a check and a progress, at one instant stay apart', () => {
    const queue = new TimerQueue();
    queue.schedule(5, checks('r1', 'o1'));
    queue.schedule(5, checks('r2', 'o2'));
    queue.schedule(5, { kind: 'progress', requestId: 'r2', outputIds: ['o3'], attempts: [1] });
    queue.schedule(5, checks('r2', 'o4'));
    expect(queue.takeDue(5)?.moves.map((m) => [m.kind, m.requestId])).toEqual([
      ['run_checks', 'r1'],
      ['run_checks', 'r2'],
      ['progress', 'r2'],
      ['run_checks', 'r2'],
    ]);
  });

  it('many instants come out in time order (the heap keeps its order through pops)', () => {
    const queue = new TimerQueue();
    const times = [50, 3, 41, 3, 17, 99, 0, 64, 17, 28, 5, 77, 12, 33, 8, 90];
    times.forEach((at, n) => {
      queue.schedule(at, quote(String(n)));
    });
    const out: number[] = [];
    for (let due = queue.takeDue(1000); due; due = queue.takeDue(1000)) out.push(due.at);
    expect(out).toEqual([...new Set(times)].sort((a, b) => a - b));
  });
});
