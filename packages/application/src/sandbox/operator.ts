import type { ComplianceState } from '@concierge-ts/domain';
import { err, errAsync, ok, okAsync, type Result, type ResultAsync } from 'neverthrow';
import type { ConciergeService } from '../concierge-service.js';
import { type ConciergeError, conciergeError } from '../gateway/errors.js';
import { field } from '../gateway/field.js';
import {
  type EventView,
  isoTime,
  type OutputView,
  type RequestView,
  type UserView,
} from '../gateway/views.js';
import type { ControllableClock, UserRecord } from '../provider/ports.js';
import type { OperatorOutputAction } from './operator-commands.js';

/**
 * The sandbox operator (SPEC section 9): what a human at the provider would do, on
 * demand. In-process here; the sandbox server exposes the same calls under /sandbox.
 */
export interface SandboxOperator {
  /**
   * Sets a user's `compliance_state`; the checks of its accepting outputs run again. A
   * change to `disabled` or `enabled` is a `user_disabled` or `user_enabled` event.
   */
  setCompliance(userId: string, state: ComplianceState): ResultAsync<UserView, ConciergeError>;
  deposit(
    userId: string,
    input: { readonly portCode: string; readonly amount: number | string },
  ): ResultAsync<UserView, ConciergeError>;
  produceQuote(requestId: string): ResultAsync<RequestView, ConciergeError>;
  outputAction(
    outputId: string,
    action: OperatorOutputAction,
    input?: { readonly reason?: string },
  ): ResultAsync<OutputView, ConciergeError>;
  /** Moves the clock forward; everything due by then fires in order. */
  advanceClock(seconds: number): ResultAsync<{ readonly now: string }, ConciergeError>;
  /** Advances the clock to each next due move until nothing is due (SPEC section 9). */
  runUntilIdle(): ResultAsync<{ readonly now: string }, ConciergeError>;
  /** The caller's event log, oldest first, each event with its resource as it was then and when it was delivered. */
  events(): ResultAsync<readonly EventView[], ConciergeError>;
  reset(): ResultAsync<void, ConciergeError>;
}

/** Longest clock advance in one call: a year. */
export const MAX_ADVANCE_SECONDS = 366 * 24 * 3600;

/** A clock advance in seconds: a finite number from 0 to a year. */
export const checkAdvance = (seconds: unknown): Result<number, ConciergeError> =>
  typeof seconds === 'number' && Number.isFinite(seconds) && seconds >= 0 && seconds <= MAX_ADVANCE_SECONDS
    ? ok(seconds)
    : err(
        conciergeError.unprocessable(
          'invalid_attribute',
          `seconds must be a number from 0 to ${MAX_ADVANCE_SECONDS}`,
          field.path('seconds'),
        ),
      );

export const serviceOperator = (
  service: ConciergeService,
  clock: ControllableClock,
  apiKey: string,
): SandboxOperator => {
  const as = <T>(run: (caller: UserRecord) => Result<T, ConciergeError>): ResultAsync<T, ConciergeError> => {
    const result = service.authenticate(apiKey).andThen(run);
    return result.isOk() ? okAsync(result.value) : errAsync(result.error);
  };
  return {
    setCompliance: (userId, state) => as((c) => service.setCompliance(c, userId, state)),
    deposit: (userId, input) => as((c) => service.deposit(c, userId, input)),
    produceQuote: (requestId) => as((c) => service.produceQuoteNow(c, requestId)),
    outputAction: (outputId, action, input = {}) =>
      as((c) => service.outputAction(c, outputId, action, input)),
    advanceClock: (seconds) =>
      as(() =>
        checkAdvance(seconds).map((valid) => {
          service.advance(clock, valid * 1000);
          return { now: isoTime(clock.now()) };
        }),
      ),
    runUntilIdle: () => as(() => service.runUntilIdle(clock).map(() => ({ now: isoTime(clock.now()) }))),
    events: () => as((c) => ok(service.listEvents(c).map((event) => service.presentEvent(event).view))),
    reset: () =>
      as(() => {
        service.reset();
        return ok(undefined);
      }),
  };
};
