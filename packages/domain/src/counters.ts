import type { OutputState } from './output.js';

/** Outputs of a request by state, kept per transition (never recounted). */
export type OutputCounters = { readonly [S in OutputState]: number } & { readonly total: number };

export const emptyCounters = (): OutputCounters => ({
  accepting: 0,
  accepted: 0,
  rejected: 0,
  working: 0,
  settling: 0,
  settled: 0,
  failed: 0,
  returned: 0,
  cancelled: 0,
  total: 0,
});

/** Counters being worked out: local to one operation, which may change it before handing it on. */
export type CounterDraft = { -readonly [K in keyof OutputCounters]: number };

/**
 * A draft copy of the counters. Written out field by field: V8 copies a spread of them
 * (`{ ...counters }`) about ten times slower, and a request's counters are copied for
 * every output created.
 */
export const draftCounters = (c: OutputCounters): CounterDraft => ({
  accepting: c.accepting,
  accepted: c.accepted,
  rejected: c.rejected,
  working: c.working,
  settling: c.settling,
  settled: c.settled,
  failed: c.failed,
  returned: c.returned,
  cancelled: c.cancelled,
  total: c.total,
});

/**
 * Adds `delta` to the count of `state` in a draft (and answers it). A switch rather than
 * `draft[state] += delta`: V8 updates a field it can name several times faster than one
 * named by a variable, and a million outputs move four or five times each.
 */
export const countInDraft = (draft: CounterDraft, state: OutputState, delta: number): CounterDraft => {
  switch (state) {
    case 'accepting':
      draft.accepting += delta;
      break;
    case 'accepted':
      draft.accepted += delta;
      break;
    case 'rejected':
      draft.rejected += delta;
      break;
    case 'working':
      draft.working += delta;
      break;
    case 'settling':
      draft.settling += delta;
      break;
    case 'settled':
      draft.settled += delta;
      break;
    case 'failed':
      draft.failed += delta;
      break;
    case 'returned':
      draft.returned += delta;
      break;
    case 'cancelled':
      draft.cancelled += delta;
      break;
    default: {
      const unreachable: never = state;
      return unreachable;
    }
  }
  return draft;
};

/** One more output, accepting (a new output). */
export const countNew = (counters: OutputCounters): OutputCounters => {
  const next = draftCounters(counters);
  next.accepting += 1;
  next.total += 1;
  return next;
};

/** Outputs not yet in a final state. */
export const openOutputs = (c: OutputCounters): number =>
  c.accepting + c.accepted + c.working + c.settling + c.failed;

/** A recount from scratch: only for tests and audits, never on the hot path. */
export const recount = (states: Iterable<OutputState>): OutputCounters => {
  const counts: Record<string, number> = { ...emptyCounters() };
  for (const state of states) {
    counts[state] = (counts[state] ?? 0) + 1;
    counts.total = (counts.total ?? 0) + 1;
  }
  return counts as OutputCounters;
};
