import {
  applyMovement,
  COMPLIANCE_STATES,
  type ComplianceState,
  complianceEvent,
  emptyBalance,
  isComplianceState,
  type OutputAction,
  parseMoney,
} from '@concierge-ts/domain';
import { err, ok, safeTry } from 'neverthrow';
import { conciergeError, fromDomainError } from '../gateway/errors.js';
import { field } from '../gateway/field.js';
import type { OutputView, RequestView, UserView } from '../gateway/views.js';
import { runChecks } from '../provider/checks.js';
import type { ProviderContext, ServiceResult } from '../provider/context.js';
import { planFundsChecksOfPayer } from '../provider/funds-checks.js';
import { optionalText, unprocessable } from '../provider/input.js';
import { moveOutput, ownOutput } from '../provider/outputs.js';
import { activePort } from '../provider/port-catalog.js';
import type { StoredEvent, UserRecord } from '../provider/ports.js';
import { presentOutput } from '../provider/present.js';
import { produceQuote } from '../provider/quotes.js';
import { ownRequest } from '../provider/requests.js';
import { getUser, managedUser } from '../provider/users.js';

/**
 * The sandbox operator's commands (SPEC section 9): what a human at the provider would do,
 * on demand, over the provider's own data. `operator.ts` exposes them as a
 * `SandboxOperator`; the sandbox server under /sandbox.
 */

/** The operator's output actions (SPEC section 9) and the domain trigger each one fires. */
export const OPERATOR_OUTPUT_ACTIONS = {
  accept: 'pass_checks',
  reject: 'fail_checks',
  issue: 'issue',
  settle: 'settle',
  fail: 'fail',
  retry: 'retry',
  return: 'give_up',
  cancel: 'provider_cancel',
} as const satisfies Record<string, OutputAction>;
export type OperatorOutputAction = keyof typeof OPERATOR_OUTPUT_ACTIONS;

const DEFAULT_REASONS: Partial<Record<OutputAction, string>> = {
  fail_checks: 'rejected_by_operator',
  fail: 'refused_by_receiving_bank',
  provider_cancel: 'cancelled_by_provider',
};

/**
 * Sets a user's `compliance_state` and re-runs the checks of its accepting outputs.
 * Becoming `disabled` or `enabled` is an event (`user_disabled`, `user_enabled`: SPEC
 * section 8), published before what the checks then move.
 */
export const setCompliance = (
  p: ProviderContext,
  caller: UserRecord,
  userId: string,
  state: ComplianceState,
): ServiceResult<UserView> =>
  safeTry(function* () {
    if (!isComplianceState(state))
      return unprocessable(
        'invalid_attribute',
        `state must be one of ${COMPLIANCE_STATES.join(', ')}`,
        field.path('state'),
      );
    const user = yield* managedUser(p, caller, userId);
    const changed: UserRecord = { ...user, complianceState: state };
    p.repos.users.save(changed);
    const event = complianceEvent(user.complianceState, state, userId, p.time.now());
    // The event keeps the user as it is now, balances included (SPEC section 8).
    if (event)
      p.events.publish([
        { event, ownerId: caller.id, user: { user: changed, balances: p.repos.balances.listByUser(userId) } },
      ]);
    for (const output of [...p.repos.outputs.listAcceptingByPayee(userId)]) yield* runChecks(p, output.id);
    return getUser(p, caller, userId);
  });

/** Credits a deposit to a user's balance; quote_accepted requests it now covers start working. */
export const deposit = (
  p: ProviderContext,
  caller: UserRecord,
  userId: string,
  input: { portCode: unknown; amount: unknown },
): ServiceResult<UserView> =>
  safeTry(function* () {
    yield* managedUser(p, caller, userId);
    const port = yield* activePort(p, input.portCode, field.path('port_code'));
    const amount = yield* parseMoney(input.amount, port.currency.code).mapErr((e) =>
      fromDomainError(e, field.path('amount')),
    );
    const balance = p.repos.balances.get(userId, amount.currency) ?? emptyBalance(userId, port.currency);
    const credited = yield* applyMovement(balance, { kind: 'deposit', payerId: userId, amount }).mapErr((e) =>
      fromDomainError(e, field.path('amount')),
    );
    p.repos.balances.save(credited);
    planFundsChecksOfPayer(p, caller.id, userId);
    return getUser(p, caller, userId);
  });

/** Produces a requested quote now, without waiting for its eta. */
export const produceQuoteNow = (
  p: ProviderContext,
  caller: UserRecord,
  requestId: string,
): ServiceResult<RequestView> =>
  ownRequest(p, caller, requestId).andThen((request) => produceQuote(p, request, p.time.now()));

/** accept, reject, issue, settle, fail, retry, return or cancel one output. */
export const outputAction = (
  p: ProviderContext,
  caller: UserRecord,
  outputId: string,
  action: OperatorOutputAction,
  input: { reason?: unknown } = {},
): ServiceResult<OutputView> =>
  safeTry(function* () {
    if (!Object.hasOwn(OPERATOR_OUTPUT_ACTIONS, action))
      return err(
        conciergeError.notFound(
          'action',
          `${String(action)} (expected one of ${Object.keys(OPERATOR_OUTPUT_ACTIONS).join(', ')})`,
        ),
      );
    const reason = yield* optionalText(input.reason, field.path('reason'));
    const trigger = OPERATOR_OUTPUT_ACTIONS[action];
    const { output, request } = yield* ownOutput(p, caller, outputId);
    yield* moveOutput(p, request, output, trigger, reason ?? DEFAULT_REASONS[trigger]);
    return ok(presentOutput(p.repos.outputs.get(output.id) ?? output, request.portCode));
  });

/** The caller's events, oldest first. */
export const listEvents = (p: ProviderContext, caller: UserRecord): StoredEvent[] => [
  ...p.events.list(caller.id),
];

/** Empties everything but the master users. */
export const reset = (p: ProviderContext): void => {
  p.repos.requests.clear();
  p.repos.outputs.clear();
  p.repos.withdrawalInstructions.clear();
  p.repos.balances.clear();
  p.repos.users.clearManaged();
  p.events.clear();
  p.scheduler.clear();
  p.hintPrices.clear();
};
