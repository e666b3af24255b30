/**
 * The moves the service makes later, on its own clock (SPEC section 9): acceptance checks,
 * the quote at its eta, quote expiry, the start of work once funds are there, the funds
 * deadline, draft pruning, and the progress of working outputs. Each is a due item; the service fires them in time order, each at
 * its own time, whether the clock is moved by hand (tests) or by real time (a server).
 * A move that is no longer possible when it comes due (its request was cancelled, say)
 * is skipped by whoever fires it: nothing is ever unscheduled. Checks and output progress
 * name outputs of one request, in order: a request's outputs added in one millisecond are
 * checked at one later instant, and a million of them wait as one list of ids rather than
 * a million moves.
 */
export type TimedMove =
  | { readonly kind: 'run_checks'; readonly requestId: string; readonly outputIds: readonly string[] }
  | { readonly kind: 'produce_quote'; readonly requestId: string }
  | { readonly kind: 'expire_quote'; readonly requestId: string }
  | { readonly kind: 'start_working'; readonly requestId: string }
  | { readonly kind: 'funds_deadline'; readonly requestId: string }
  | { readonly kind: 'prune_draft'; readonly requestId: string }
  | {
      readonly kind: 'progress';
      readonly requestId: string;
      readonly outputIds: readonly string[];
      /** Each output's attempt when this was scheduled: a retried output ignores an older plan. */
      readonly attempts: readonly number[];
    };

export type TimedMoveKind = TimedMove['kind'];

/** Checks and output progress: moves of outputs, which the service gathers per request. */
export type OutputMove = Extract<TimedMove, { readonly outputIds: readonly string[] }>;

/** Acceptance checks of outputs of one request. */
export type CheckMove = Extract<OutputMove, { readonly kind: 'run_checks' }>;
/** The next step of working outputs of one request. */
export type ProgressMove = Extract<OutputMove, { readonly kind: 'progress' }>;

export const isOutputMove = (move: TimedMove): move is OutputMove =>
  move.kind === 'run_checks' || move.kind === 'progress';

/** How many outputs a move names (one for a move of a request). */
export const movesIn = (move: TimedMove): number => (isOutputMove(move) ? move.outputIds.length : 1);

/** The moves due at one instant, in the order they were scheduled. */
export interface DueMoves {
  readonly at: number;
  readonly moves: readonly TimedMove[];
}

/** The port: where due moves wait. */
export interface Scheduler {
  /**
   * Plans `move` at `at`, after the moves already planned then. A check or a progress that
   * follows one of the same kind and request at the same instant may join it (its outputs
   * after the other's): the order the outputs are named in is kept either way.
   */
  schedule(at: number, move: TimedMove): void;
  /** When the earliest move is due, or undefined when nothing waits. */
  nextDueAt(): number | undefined;
  /** Takes every move due at the earliest instant, if that instant is at or before `upTo`. */
  takeDue(upTo: number): DueMoves | undefined;
  /** How many moves wait (a move of several outputs counts one per output). */
  size(): number;
  clear(): void;
}

/**
 * A scheduler in memory: one list of moves per due instant and a binary min-heap of the
 * instants. Many moves share an instant (every output added in one millisecond is checked
 * at the same later one), so the heap stays small and taking a due instant is one pop.
 * Checks and progress of one request that follow each other at an instant join in one
 * move, kept in lists of the queue's own, up to `JOINED_OUTPUTS` outputs a move: a list
 * that grew to a million ids would be copied each time it grew.
 */
export class TimerQueue implements Scheduler {
  private readonly byTime = new Map<number, TimedMove[]>();
  private readonly heap: number[] = [];
  private count = 0;

  schedule(at: number, move: TimedMove): void {
    this.count += movesIn(move);
    const list = this.byTime.get(at);
    if (!list) {
      this.byTime.set(at, [ownCopy(move)]);
      this.push(at);
      return;
    }
    const last = list[list.length - 1];
    if (!last || !joined(last, move)) list.push(ownCopy(move));
  }

  nextDueAt(): number | undefined {
    return this.heap[0];
  }

  takeDue(upTo: number): DueMoves | undefined {
    const at = this.heap[0];
    if (at === undefined || at > upTo) return undefined;
    this.pop();
    const moves = this.byTime.get(at) ?? [];
    this.byTime.delete(at);
    for (const move of moves) this.count -= movesIn(move);
    return { at, moves };
  }

  size(): number {
    return this.count;
  }

  clear(): void {
    this.byTime.clear();
    this.heap.length = 0;
    this.count = 0;
  }

  private push(value: number): void {
    const heap = this.heap;
    let i = heap.length;
    heap.push(value);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const above = heap[parent] as number;
      if (above <= value) break;
      heap[i] = above;
      i = parent;
    }
    heap[i] = value;
  }

  private pop(): void {
    const heap = this.heap;
    const last = heap.pop() as number;
    if (heap.length === 0) return;
    let i = 0;
    const n = heap.length;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      const child = right < n && (heap[right] as number) < (heap[left] as number) ? right : left;
      if ((heap[child] as number) >= last) break;
      heap[i] = heap[child] as number;
      i = child;
    }
    heap[i] = last;
  }
}

/** A move of outputs with lists of the queue's own (so that later ones can join it); any other as it is. */
const ownCopy = (move: TimedMove): TimedMove => {
  switch (move.kind) {
    case 'run_checks':
      return { kind: move.kind, requestId: move.requestId, outputIds: [...move.outputIds] };
    case 'progress':
      return {
        kind: move.kind,
        requestId: move.requestId,
        outputIds: [...move.outputIds],
        attempts: [...move.attempts],
      };
    default:
      return move;
  }
};

/** The most outputs a move joined from several gets. */
const JOINED_OUTPUTS = 1024;

/**
 * Adds the outputs of `move` to `last` (a move of the queue's own, the last planned at that
 * instant) when both are checks, or both progress, of the same request, and they fit;
 * answers whether it did.
 */
const joined = (last: TimedMove, move: TimedMove): boolean => {
  if (last.kind !== move.kind || !isOutputMove(last) || !isOutputMove(move)) return false;
  if (last.requestId !== move.requestId) return false;
  if (last.outputIds.length + move.outputIds.length > JOINED_OUTPUTS) return false;
  const ids = last.outputIds as string[];
  for (const id of move.outputIds) ids.push(id);
  if (last.kind === 'progress' && move.kind === 'progress') {
    const attempts = last.attempts as number[];
    for (const attempt of move.attempts) attempts.push(attempt);
  }
  return true;
};
