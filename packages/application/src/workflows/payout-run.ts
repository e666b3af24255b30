import type { ConciergeClient } from '../gateway/client.js';
import type { Logger } from '../logger.js';
import type { PayoutJournal } from './payout-journal.js';

/**
 * A payout run (SPEC section 10): the rows of a payroll paid from one payer at one
 * origin port, each exactly once. Amounts are decimal strings, never numbers.
 */

/** How a row names its payee: existing ids, or who they are and how to reach their bank (SPEC 7.1). */
export type PayeeInput =
  | { readonly payeeId: string; readonly withdrawalInstructionId: string }
  | {
      readonly email: string;
      readonly name: string;
      /** The instruction body fields of SPEC 7.1 (`payment_method`, `country`, `currency`, `cbu`...). */
      readonly body: Readonly<Record<string, string>>;
    };

/** A row as the caller hands it over after validating the file (`line`: 1-based line in the file). */
export type PayoutRowInput = {
  readonly line: number;
  /** The integrator's id for this payment, unique in the run. */
  readonly reference: string;
  /** Destination port, e.g. `cl_clp`. */
  readonly portCode: string;
  /** Exactly one of `amount` (destination currency) and `budget` (origin currency). */
  readonly amount?: string;
  readonly budget?: string;
} & PayeeInput;

export interface RunPlanInput {
  /** Used as given; every request's `external_id` starts with `${runId}/`. */
  readonly runId: string;
  /** The origin port, e.g. `ar_ars`. */
  readonly originPort: string;
  readonly payerId: string;
  /** Rows per request (default 250, at most 1,000: an estimate prices 1,000 outputs at most). */
  readonly chunkSize: number;
  /** The most the whole run may spend, in the origin currency. */
  readonly maxTotal?: string;
  /** Allowed excess of a quote over its estimate, as a fraction (default `'0.02'`). */
  readonly tolerance?: string;
  /** The file the rows came from, and the sha256 of its bytes. */
  readonly source: { readonly name: string; readonly digest: string };
  readonly rows: readonly PayoutRowInput[];
}

export const RUN_STATES = [
  'planned',
  'working',
  'waiting_for_funds',
  'committed',
  'finished',
  'stopped',
  'cancelled',
] as const;
/**
 * `planned`: nothing sent yet; `working`: chunks being committed; `waiting_for_funds`:
 * an accepted request waits for a deposit (see `RunStatus.funds`); `committed`: every
 * chunk's request accepted; `finished`: every row final and every chunk done; `stopped`: the run refused to
 * go on, with a reason (what is committed is still followed); `cancelled`: by the integrator.
 */
export type RunState = (typeof RUN_STATES)[number];

export const ROW_STATES = [
  'pending',
  'committed',
  'settled',
  'rejected',
  'returned',
  'cancelled',
  'failed',
] as const;
/**
 * `pending`: not yet in an accepted request; `committed`: in an accepted request, not
 * final; `settled`, `rejected`, `returned`, `cancelled`: its output's final state (a row
 * of a stopped or cancelled run that no request took is `cancelled` with the run's
 * reason); `failed`: the run could not pay it (its payee, instruction or output was
 * refused), with the reason.
 */
export type RowState = (typeof ROW_STATES)[number];

/** Row states that never change again. */
export const FINAL_ROW_STATES: ReadonlySet<RowState> = new Set([
  'settled',
  'rejected',
  'returned',
  'cancelled',
  'failed',
]);

export interface RunRequestStatus {
  readonly chunk: number;
  readonly externalId: string;
  /** The service's request id, once known. */
  readonly id: string | null;
  /** The request's state at the service as last seen (`draft`, `quoted`... ), or `unsent`. */
  readonly state: string;
}

export interface RunStatus {
  readonly runId: string;
  readonly state: RunState;
  readonly rows: Readonly<Record<RowState | 'total', number>>;
  /** Every request of the run, rebuilt chunks included, oldest first. */
  readonly requests: readonly RunRequestStatus[];
  /** Why the run stopped or was cancelled. */
  readonly reason?: string;
  /** While waiting for funds: how much to deposit (origin currency), before when (ISO 8601). */
  readonly funds?: { readonly amount: string; readonly currency: string; readonly before: string };
}

/** One line of the report per row (SPEC 10.4 columns). */
export interface ReportLine {
  readonly reference: string;
  readonly portCode: string;
  readonly amount: string | null;
  readonly budget: string | null;
  readonly rate: string | null;
  readonly allInRate: string | null;
  readonly feeAndCost: string | null;
  readonly requestId: string | null;
  readonly outputId: string | null;
  readonly state: RowState;
  readonly reason: string | null;
  readonly attempts: number;
  readonly updatedAt: string;
}

export interface RunSummary {
  readonly runId: string;
  readonly state: RunState;
  readonly originPort: string;
  readonly rows: number;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** Knobs with defaults that suit the real service; tests shorten them. */
export interface PayoutTuning {
  /** Between two polls of committed requests (default 60 s). */
  readonly pollIntervalMs?: number;
  /** Between two looks at a request waiting for its quote (default 1 s). */
  readonly quoteWaitMs?: number;
  /** How many times a chunk is built again after a mismatch before the run stops (default 3). */
  readonly maxRebuilds?: number;
  /** Outputs added per step: intents are written for a batch at once (default 50). */
  readonly outputBatch?: number;
  /** Consecutive failed steps (service or journal unreachable) before `driveRun` gives up (default 10). */
  readonly maxFailedSteps?: number;
}

export interface PayoutContext {
  readonly client: ConciergeClient;
  readonly journal: PayoutJournal;
  readonly now: () => Date;
  /** Waits; the in-process demo passes one that advances the sandbox clock instead. */
  readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly logger?: Logger;
  readonly tuning?: PayoutTuning;
}

/** What one step did and what the run should do next. */
export interface StepOutcome {
  readonly status: RunStatus;
  /** What this step did, for progress lines (`draft 1`, `add outputs 1`, `quote 1`, `accept 1`, `follow`...). */
  readonly step: string;
  /** `continue`: step again now; `wait`: step again after `waitMs`; `done`: nothing left to do. */
  readonly next: 'continue' | 'wait' | 'done';
  readonly waitMs: number;
  /** Every chunk has an accepted request (or none is left to accept): what `--detach` waits for. */
  readonly committed: boolean;
}

export interface DriveOptions {
  /** Return once every chunk is accepted instead of following rows to their final states. */
  readonly detach?: boolean;
  /** Stop after the current step (the run stays resumable). */
  readonly signal?: AbortSignal;
  readonly onStep?: (status: RunStatus, step: string) => void;
}
