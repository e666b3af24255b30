import type { ConciergeError } from '../gateway/errors.js';

/**
 * What a payout call can fail with, by stable `code`:
 * - `invalid_plan`: the plan was refused (a field, or a row by its line); nothing written.
 * - `run_not_found`: no run with that id in the journal.
 * - `run_conflict`: a run with that id exists for a different file (digest); nothing changed.
 * - `run_final`: the run is finished or cancelled; the action no longer applies.
 * - `journal`: the journal could not be read or written (`conflict`: another worker moved the run first).
 * - `service`: the Concierge service failed in a way the step could not settle (retry later).
 * - `interrupted`: the caller's signal stopped `driveRun` between steps; resume to go on.
 * - `not_implemented`.
 */
export type PayoutError =
  | {
      readonly code: 'invalid_plan';
      readonly field: string;
      readonly line?: number;
      readonly message: string;
    }
  | { readonly code: 'run_not_found'; readonly runId: string; readonly message: string }
  | { readonly code: 'run_conflict'; readonly runId: string; readonly message: string }
  | { readonly code: 'run_final'; readonly runId: string; readonly message: string }
  | {
      readonly code: 'journal';
      readonly conflict: boolean;
      readonly message: string;
    }
  | { readonly code: 'service'; readonly error: ConciergeError; readonly message: string }
  | { readonly code: 'interrupted'; readonly runId: string; readonly message: string }
  | { readonly code: 'not_implemented'; readonly message: string };

export type PayoutErrorCode = PayoutError['code'];

export const payoutError = {
  invalidPlan: (field: string, message: string, line?: number): PayoutError => ({
    code: 'invalid_plan',
    field,
    ...(line === undefined ? {} : { line }),
    message,
  }),
  runNotFound: (runId: string): PayoutError => ({
    code: 'run_not_found',
    runId,
    message: `no run ${runId} in the journal`,
  }),
  runConflict: (runId: string, message: string): PayoutError => ({ code: 'run_conflict', runId, message }),
  runFinal: (runId: string, message: string): PayoutError => ({ code: 'run_final', runId, message }),
  journal: (message: string, conflict = false): PayoutError => ({ code: 'journal', conflict, message }),
  service: (error: ConciergeError, doing: string): PayoutError => ({
    code: 'service',
    error,
    message: `${doing}: ${error.type} ${error.code}: ${error.detail}`,
  }),
  interrupted: (runId: string): PayoutError => ({
    code: 'interrupted',
    runId,
    message: `run ${runId} was interrupted; resume it to go on`,
  }),
};
