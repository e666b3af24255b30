/**
 * The moves the service makes later, on its own clock (SPEC section 9): acceptance checks,
 * the quote at its eta, quote expiry, the start of work once funds are there, the funds
 * deadline, draft pruning, and the progress of working outputs. Each is a due item; the service fires them in time order, each at
 * its own time, whether the clock is moved by hand (tests) or by real time (a server).
 * A move that is no longer possible when it comes due (its request was cancelled, say)
 * is skipped by whoever fires it: nothing is ever unscheduled.
 */
export type TimedMove =
  | { readonly kind: 'run_checks'; readonly requestId: string; readonly outputId: string }
  | { readonly kind: 'produce_quote'; readonly requestId: string }
  | { readonly kind: 'expire_quote'; readonly requestId: string }
  | { readonly kind: 'start_working'; readonly requestId: string }
  | { readonly kind: 'funds_deadline'; readonly requestId: string }
  | { readonly kind: 'prune_draft'; readonly requestId: string }
  | {
      readonly kind: 'progress';
      readonly requestId: string;
      readonly outputId: string;
      /** The output's attempt when this was scheduled: a retried output ignores an older plan. */
      readonly attempt: number;
    };

export type TimedMoveKind = TimedMove['kind'];

/** The moves due at one instant, in the order they were scheduled. */
export interface DueMoves {
  readonly at: number;
  readonly moves: readonly TimedMove[];
}

/** The port: where due moves wait. */
export interface Scheduler {
  schedule(at: number, move: TimedMove): void;
  /** When the earliest move is due, or undefined when nothing waits. */
  nextDueAt(): number | undefined;
  /** Takes every move due at the earliest instant, if that instant is at or before `upTo`. */
  takeDue(upTo: number): DueMoves | undefined;
  /** How many moves wait. */
  size(): number;
  clear(): void;
}

/**
 * A scheduler in memory: one list of moves per due instant and a binary min-heap of the
 * instants. Many moves share an instant (every output added in one millisecond is checked
 * at the same later one), so the heap stays small and taking a due instant is one pop.
 */
export class TimerQueue implements Scheduler {
  private readonly byTime = new Map<number, TimedMove[]>();
  private readonly heap: number[] = [];
  private count = 0;

  schedule(at: number, move: TimedMove): void {
    const list = this.byTime.get(at);
    this.count += 1;
    if (list) {
      list.push(move);
      return;
    }
    this.byTime.set(at, [move]);
    this.push(at);
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
    this.count -= moves.length;
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
