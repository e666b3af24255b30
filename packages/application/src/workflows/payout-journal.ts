import type { ResultAsync } from 'neverthrow';
import type { PayoutError } from './payout-error.js';
import type { RowState, RunState } from './payout-run.js';

/**
 * The payout journal (SPEC 10.2, 10.3): where a run lives between steps and across
 * crashes. Every call with an effect is written here before it is sent (its intent)
 * and after (its outcome), so a resumed run knows what may have happened. Money is
 * decimal text, exact. A write is one transaction and carries the run's version: two
 * workers that read the same version cannot both write an intent (the second gets a
 * `journal` error with `conflict: true` and reads again).
 */

export interface RunRecord {
  readonly runId: string;
  readonly originPort: string;
  readonly payerId: string;
  readonly chunkSize: number;
  readonly maxTotal: string | null;
  readonly tolerance: string;
  readonly source: { readonly name: string; readonly digest: string };
  /** How many rows the run has. */
  readonly rowCount: number;
  readonly state: RunState;
  readonly reason: string | null;
  /** While waiting for funds: how much, in which currency, before when. */
  readonly funds: { readonly amount: string; readonly currency: string; readonly before: string } | null;
  readonly createdAt: string;
  readonly updatedAt: string;
  /** Bumped by every write. */
  readonly version: number;
}

/** How a row names its payee, as kept. */
export type RowPayee =
  | { readonly kind: 'existing'; readonly payeeId: string; readonly withdrawalInstructionId: string }
  | {
      readonly kind: 'new';
      readonly email: string;
      readonly name: string;
      readonly body: Readonly<Record<string, string>>;
    };

export interface RowRecord {
  readonly runId: string;
  /** 0-based position in the file. */
  readonly index: number;
  readonly line: number;
  readonly reference: string;
  readonly portCode: string;
  readonly amount: string | null;
  readonly budget: string | null;
  readonly payee: RowPayee;
  /** The payee and instruction the row pays to, once found or created. */
  readonly payeeId: string | null;
  readonly withdrawalInstructionId: string | null;
  /** 1-based chunk number. */
  readonly chunk: number;
  readonly state: RowState;
  readonly reason: string | null;
  readonly requestId: string | null;
  readonly outputId: string | null;
  /** Prices from the quote (amount destination currency, budget and fee origin currency). */
  readonly quotedAmount: string | null;
  readonly quotedBudget: string | null;
  readonly rate: string | null;
  readonly allInRate: string | null;
  readonly feeAndCost: string | null;
  /** Payment attempts of the output, as the service counts them. */
  readonly attempts: number;
  readonly updatedAt: string;
}

/**
 * Where one build of a chunk stands. `new`: nothing sent; `drafting`: the draft's create
 * was sent (maybe); `adding`: outputs being added; `quoting`: request_quote sent (maybe);
 * `accepting`: accept_quote sent (maybe); `accepted`: committed; `cancelling`: a
 * mismatch (or the price guard) cancels this build; `rebuilt`: cancelled, a later build
 * replaces it; `closed`: no request to accept (every row refused or rejected); `stopped`:
 * the run stopped at this build.
 */
export const CHUNK_STAGES = [
  'new',
  'drafting',
  'adding',
  'quoting',
  'accepting',
  'accepted',
  'cancelling',
  'rebuilt',
  'closed',
  'stopped',
] as const;
export type ChunkStage = (typeof CHUNK_STAGES)[number];

/** One build (attempt) of a chunk: one request. */
export interface ChunkRecord {
  readonly runId: string;
  readonly chunk: number;
  /** 1 for the first build, 2 for the first rebuild... */
  readonly attempt: number;
  /** `<run>/<chunk>` for the first build, `<run>/<chunk>.<attempt>` for rebuilds. */
  readonly externalId: string;
  readonly requestId: string | null;
  readonly stage: ChunkStage;
  /** The request's state at the service when last seen. */
  readonly requestState: string | null;
  /** Why this build was cancelled, closed or stopped. */
  readonly reason: string | null;
  /**
   * While `cancelling`: what follows once the request is cancelled: build the chunk again,
   * stop the run, or close the chunk (every output rejected).
   */
  readonly onCancelled: 'rebuild' | 'stop' | 'close' | null;
  readonly estimateTotal: string | null;
  readonly hintToken: string | null;
  readonly quoteTotal: string | null;
  /** Until when the accepted request waits for funds (ISO), once accepted. */
  readonly provisionFundsBefore: string | null;
  readonly updatedAt: string;
}

export const CALL_KINDS = [
  'create_user',
  'create_instruction',
  'create_request',
  'create_output',
  'request_quote',
  'accept_quote',
  'cancel_request',
] as const;
export type CallKind = (typeof CALL_KINDS)[number];

/**
 * `intent`: written before sending, no outcome yet (after a crash: it may or may not have
 * happened); `ok`: done, `resourceId` made; `refused`: definitively not done (`detail`
 * says why); `unknown`: sent, no telling whether it happened (a timeout, a lost answer).
 */
export type CallState = 'intent' | 'ok' | 'refused' | 'unknown';

export interface CallRecord {
  readonly runId: string;
  /** Unique in the run, e.g. `output/1.2/17` (chunk 1, build 2, row 17). */
  readonly key: string;
  readonly kind: CallKind;
  readonly state: CallState;
  readonly resourceId: string | null;
  readonly detail: string | null;
  readonly at: string;
}

/** A payee or instruction the run found or created, by what identifies it in the run. */
export interface PartyRecord {
  readonly runId: string;
  /** `payee:<email>` or `instruction:<payee id>:<body digest>`. */
  readonly key: string;
  readonly kind: 'payee' | 'instruction';
  readonly id: string;
  readonly origin: 'found' | 'created';
}

export interface RunSnapshot {
  readonly run: RunRecord;
  /** In file order. */
  readonly rows: readonly RowRecord[];
  /** By chunk, then attempt. */
  readonly chunks: readonly ChunkRecord[];
  readonly calls: readonly CallRecord[];
  readonly parties: readonly PartyRecord[];
}

/** One transaction: everything in it is written, or nothing. Records replace those with the same key. */
export interface JournalWrite {
  /** The version read; the write is refused (`conflict`) when the run has moved since. */
  readonly expectedVersion: number;
  readonly run?: Partial<Pick<RunRecord, 'state' | 'reason' | 'funds'>>;
  readonly rows?: readonly RowRecord[];
  readonly chunks?: readonly ChunkRecord[];
  readonly calls?: readonly CallRecord[];
  readonly parties?: readonly PartyRecord[];
  /** Time of the write (ISO), the run's `updatedAt`. */
  readonly at: string;
}

export interface PayoutJournal {
  /**
   * Creates a run with its rows, or answers the run already there under that id
   * (`created: false`), unchanged: the caller compares it.
   */
  createRun(
    run: RunRecord,
    rows: readonly RowRecord[],
  ): ResultAsync<{ readonly created: boolean; readonly run: RunRecord }, PayoutError>;
  getRun(runId: string): ResultAsync<RunRecord | null, PayoutError>;
  /** The run and everything about it, or null. */
  loadRun(runId: string): ResultAsync<RunSnapshot | null, PayoutError>;
  /** Every run, oldest first. */
  listRuns(): ResultAsync<readonly RunRecord[], PayoutError>;
  /** Writes in one transaction; answers the run as written (its new version). */
  write(runId: string, change: JournalWrite): ResultAsync<RunRecord, PayoutError>;
}
