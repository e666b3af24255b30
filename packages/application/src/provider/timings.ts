/**
 * How long the service takes for what it does on its own (SPEC section 9), in
 * milliseconds. Quote expiry and the funds deadline are the quote windows.
 */
export interface SandboxTimings {
  /** From an output's creation to its acceptance checks. */
  readonly checksAfterMs: number;
  /** From a quote request to its quote, for destinations that are not delayed (and with a hint token). */
  readonly quoteStepMs: number;
  /** From an accepted quote (or a deposit) to the start of work when the funds are there. */
  readonly fundsCheckAfterMs: number;
  /** From a draft's creation to its pruning when no quote was requested. */
  readonly pruneDraftAfterMs: number;
  /** From the start of work (or a retry) to the payment being issued (settling). */
  readonly issueAfterMs: number;
  /** From issue to the receiving bank's answer (settled or failed). */
  readonly settleAfterMs: number;
  /** From a failure to the retry (or to giving up). */
  readonly retryAfterMs: number;
}

export const DEFAULT_TIMINGS: SandboxTimings = {
  checksAfterMs: 2_000,
  quoteStepMs: 1_000,
  fundsCheckAfterMs: 1_000,
  pruneDraftAfterMs: 24 * 3_600_000,
  issueAfterMs: 10 * 60_000,
  settleAfterMs: 3_600_000,
  retryAfterMs: 10 * 60_000,
};
