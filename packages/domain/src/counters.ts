import { OUTPUT_STATES, type OutputState } from './output.js';

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

/** One more output, in `state` (a new output is accepting, or checked already). */
export const countNew = (counters: OutputCounters, state: OutputState = 'accepting'): OutputCounters => {
  const next: { -readonly [K in keyof OutputCounters]: number } = { ...counters };
  next[state] += 1;
  next.total += 1;
  return next;
};

export const countMove = (counters: OutputCounters, from: OutputState, to: OutputState): OutputCounters =>
  from === to ? counters : { ...counters, [from]: counters[from] - 1, [to]: counters[to] + 1 };

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

export const sumOfStates = (c: OutputCounters): number => OUTPUT_STATES.reduce((sum, s) => sum + c[s], 0);
