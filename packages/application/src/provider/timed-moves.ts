import { err, ok } from 'neverthrow';
import { conciergeError } from '../gateway/errors.js';
import { runChecksOf } from './checks.js';
import type { ProviderContext, ServiceResult } from './context.js';
import { cancelOnTime } from './deadlines.js';
import { startWorkIfFunded } from './funding.js';
import type { ControllableClock } from './ports.js';
import { produceDueQuote } from './quotes.js';
import {
  type CheckMove,
  isOutputMove,
  type ProgressMove,
  type TimedMove,
  type TimedMoveKind,
} from './scheduler.js';

/**
 * The timed moves (SPEC section 9): what the service does on its own clock, fired in time
 * order, each at its own instant, whether the clock is moved by hand (tests, the operator)
 * or by real time (a server ticking). Each kind of move is done where its resource lives:
 * checks in `checks.ts`, quotes in `quotes.ts`, the start of work in `funding.ts`,
 * deadlines in `deadlines.ts`, the progress of working outputs by `OutputProgress`.
 */

/** Distinct instants `runUntilIdle` fires before it gives up (a schedule that never empties). */
export const MAX_IDLE_STEPS = 1_000_000;

/** Fires every timed move due by the clock's time. Every call of the service catches up first. */
export const tick = (p: ProviderContext): void => {
  if (p.time.firing) return;
  const upTo = p.time.clock.now();
  for (let due = p.scheduler.takeDue(upTo); due; due = p.scheduler.takeDue(upTo)) {
    const moves = due.moves;
    p.time.during(due.at, () => fire(p, moves));
  }
};

/** Moves `clock` forward by `ms`; everything due fires in order. */
export const advance = (p: ProviderContext, clock: ControllableClock, ms: number): void => {
  tick(p);
  clock.advance(ms);
  tick(p);
};

/**
 * Advances `clock` to each next due move until nothing is due: every check, quote,
 * expiry, deadline and output move the schedule holds happens, in order. Answers how
 * far the clock went. Refuses, changing nothing more, a schedule that never empties.
 */
export const runUntilIdle = (
  p: ProviderContext,
  clock: ControllableClock,
): ServiceResult<{ readonly advancedMs: number }> => {
  const start = clock.now();
  tick(p);
  for (let steps = 0; ; steps += 1) {
    const next = p.scheduler.nextDueAt();
    if (next === undefined) return ok({ advancedMs: clock.now() - start });
    if (steps >= MAX_IDLE_STEPS)
      return err(conciergeError.server(`the schedule did not empty after ${MAX_IDLE_STEPS} instants`));
    // One reading of the clock: a clock that moves by itself (the sandbox server's) may pass
    // `next` between two readings, and a clock only moves forward.
    const now = clock.now();
    if (next <= now) {
      tick(p);
      continue;
    }
    // Moves that would change nothing (a pruning of a draft since quoted, the expiry of
    // an accepted quote) are dropped without moving the clock to them.
    const due = p.scheduler.takeDue(next);
    const live = due ? liveMoves(p, due.moves) : [];
    if (live.length === 0) continue;
    clock.advance(next - now);
    p.time.during(next, () => fire(p, live));
    tick(p);
  }
};

/**
 * The moves of one instant that would still do something. Checks and output progress that
 * would not are skipped where they are gathered, so they stay in the list as they are
 * (no copy of a million moves, no read of a million outputs) unless every move is dead;
 * the others are left out, since each lets the gathered moves happen first.
 */
const liveMoves = (p: ProviderContext, moves: readonly TimedMove[]): readonly TimedMove[] => {
  if (!moves.some((move) => isLive(p, move))) return [];
  return moves.every(isOutputMove) ? moves : moves.filter((move) => isLive(p, move));
};

/** Whether a timed move would still do something if it fired now (for some of its outputs). */
const isLive = (p: ProviderContext, move: TimedMove): boolean => {
  if (isOutputMove(move))
    return move.outputIds.some((id, index) => {
      const output = p.repos.outputs.get(id);
      if (!output) return false;
      return move.kind === 'run_checks'
        ? output.state === 'accepting'
        : output.attempts === move.attempts[index] &&
            (output.state === 'working' || output.state === 'settling' || output.state === 'failed');
    });
  const state = p.repos.requests.get(move.requestId)?.state;
  switch (move.kind) {
    case 'produce_quote':
      return state === 'quote_requested';
    case 'expire_quote':
      return state === 'quoted';
    case 'start_working':
    case 'funds_deadline':
      return state === 'quote_accepted';
    case 'prune_draft':
      return state === 'draft';
    default:
      return move satisfies never;
  }
};

/**
 * Fires moves due at one instant, grouped by kind so that a batch moves together. A move
 * that fails is reported (`onMoveFailed`): no caller waits for it, and the other moves go on.
 */
const fire = (p: ProviderContext, moves: readonly TimedMove[]): void => {
  const done = (kind: TimedMoveKind, requestId: string, result: ServiceResult<void>): void => {
    if (result.isErr()) p.onMoveFailed({ at: p.time.now(), kind, requestId, error: result.error });
  };
  // Checks and output progress are gathered per request and moved together; any other
  // move first lets the gathered ones happen, so that moves keep the order they were
  // planned in (a check planned before a start of work happens before it).
  const checks = new Map<string, CheckMove[]>();
  const progress = new Map<string, ProgressMove[]>();
  const flush = () => {
    for (const [requestId, list] of checks) done('run_checks', requestId, runChecksOf(p, requestId, list));
    for (const [requestId, list] of progress)
      done('progress', requestId, p.progress.progress(p, requestId, list));
    checks.clear();
    progress.clear();
  };
  for (const move of moves) {
    switch (move.kind) {
      case 'run_checks': {
        const list = checks.get(move.requestId);
        if (list) list.push(move);
        else checks.set(move.requestId, [move]);
        break;
      }
      case 'progress': {
        const list = progress.get(move.requestId);
        if (list) list.push(move);
        else progress.set(move.requestId, [move]);
        break;
      }
      case 'produce_quote':
        flush();
        done(move.kind, move.requestId, produceDueQuote(p, move.requestId));
        break;
      case 'start_working':
        flush();
        done(move.kind, move.requestId, startWorkIfFunded(p, move.requestId));
        break;
      case 'expire_quote':
      case 'funds_deadline':
      case 'prune_draft':
        flush();
        done(move.kind, move.requestId, cancelOnTime(p, move.requestId, move.kind));
        break;
      default:
        // Every kind has its case: a new kind is a compile error here.
        move satisfies never;
    }
  }
  flush();
};
