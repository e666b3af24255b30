import {
  acceptanceChecks,
  amountInDestination,
  applyMovement,
  availableMoney,
  type CancelTrigger,
  type CheckVerdict,
  COMPLIANCE_STATES,
  type ComplianceState,
  complianceEvent,
  cancelRequest as domainCancelRequest,
  dueTimeTrigger,
  emptyBalance,
  findActivePort,
  isComplianceState,
  isFinalRequestState,
  type Output,
  type OutputAction,
  type OutputPrice,
  parseMoney,
  type Request,
  startWorkingInParts,
  stepOutputs,
} from '@concierge-ts/domain';
import { err, ok } from 'neverthrow';
import type {
  CreateOutputInput,
  CreateRequestInput,
  CreateUserInput,
  CreateWithdrawalInstructionInput,
  EstimateInput,
  ListOutputsQuery,
  ListRequestsQuery,
  ListWithdrawalInstructionsQuery,
  UpdateMeInput,
  UpdateRequestInput,
} from './gateway/client.js';
import { conciergeError, fromDomainError } from './gateway/errors.js';
import type {
  EstimateView,
  OutputView,
  Page,
  PageQuery,
  PortView,
  RequestView,
  RequestWithOutputs,
  UserView,
  WithdrawalInstructionView,
} from './gateway/views.js';
import {
  type ProviderContext,
  providerContext,
  type ServiceDeps,
  type ServiceResult,
} from './provider/context.js';
import { createEstimate } from './provider/estimates.js';
import { optionalText, unprocessable } from './provider/input.js';
import {
  createOutput,
  getOutput,
  listOutputs,
  moveOutput,
  ownOutput,
  returnCostOf,
} from './provider/outputs.js';
import { activePort, listPorts } from './provider/port-catalog.js';
import type { ControllableClock, StoredEvent, UserRecord } from './provider/ports.js';
import { presentOutput } from './provider/present.js';
import { produceQuote } from './provider/quotes.js';
import {
  acceptQuote,
  cancelRequest,
  createRequest,
  getRequest,
  getRequestWithOutputs,
  listRequests,
  ownRequest,
  requestQuote,
  updateRequest,
} from './provider/requests.js';
import { type CheckMove, isOutputMove, type ProgressMove, type TimedMove } from './provider/scheduler.js';
import type { SandboxTimings } from './provider/timings.js';
import { applyDomain, applyInParts, COMMIT_PART } from './provider/unit-of-work.js';
import {
  authenticate,
  createMasterUser,
  createUser,
  getUser,
  listUsers,
  managedUser,
  me,
  updateMe,
} from './provider/users.js';
import {
  createWithdrawalInstruction,
  getWithdrawalInstruction,
  listWithdrawalInstructions,
} from './provider/withdrawal-instructions.js';
import { NO_MAGIC, type OutcomeScript } from './sandbox/policy.js';

/** Distinct instants `runUntilIdle` fires before it gives up (a schedule that never empties). */
export const MAX_IDLE_STEPS = 1_000_000;

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

type R<T> = ServiceResult<T>;

/**
 * The concierge service: every command and query of SPEC sections 2 to 7 as a master
 * user sees them, and the sandbox operator's commands of section 9. Each call first
 * applies the time-based transitions that are due.
 */
export class ConciergeService {
  private readonly p: ProviderContext;
  readonly timings: SandboxTimings;

  constructor(deps: ServiceDeps) {
    this.p = providerContext(deps, {
      policy: deps.policy ?? NO_MAGIC,
      progress: {
        started: (_p, outputs) => this.scheduleWork(outputs),
        progress: (_p, requestId, moves) => {
          this.progressOf(requestId, moves);
          return ok(undefined);
        },
      },
    });
    this.timings = this.p.timings;
  }

  // ---------------------------------------------------------------- callers

  /** The master user an API key belongs to: 401 for an unknown key, 403 for a managed user's. */
  authenticate(apiKey: string | undefined | null): R<UserRecord> {
    return authenticate(this.p, apiKey);
  }

  /** Creates a master user (an integrator's account) with its API key; for seeding. */
  createMasterUser(input: { email: string; name?: string; apiKey?: string }): UserRecord {
    return createMasterUser(this.p, input);
  }

  /** The service's time: the clock's, or while due moves fire, theirs. */
  now(): number {
    return this.p.time.now();
  }

  // ---------------------------------------------------------------- ports

  listPorts(): PortView[] {
    return listPorts(this.p);
  }

  // ---------------------------------------------------------------- requests

  createRequest(caller: UserRecord, input: CreateRequestInput): R<RequestView> {
    this.tick();
    return createRequest(this.p, caller, input);
  }

  getRequest(caller: UserRecord, id: string): R<RequestView> {
    this.tick();
    return getRequest(this.p, caller, id);
  }

  getRequestWithOutputs(caller: UserRecord, id: string): R<RequestWithOutputs> {
    this.tick();
    return getRequestWithOutputs(this.p, caller, id);
  }

  listRequests(caller: UserRecord, query: ListRequestsQuery = {}): R<Page<RequestView>> {
    this.tick();
    return listRequests(this.p, caller, query);
  }

  updateRequest(caller: UserRecord, id: string, input: UpdateRequestInput): R<RequestView> {
    this.tick();
    return updateRequest(this.p, caller, id, input);
  }

  requestQuote(caller: UserRecord, id: string, input: { hintToken?: string } = {}): R<RequestView> {
    this.tick();
    return requestQuote(this.p, caller, id, input);
  }

  acceptQuote(caller: UserRecord, id: string): R<RequestView> {
    this.tick();
    return acceptQuote(this.p, caller, id);
  }

  cancelRequest(caller: UserRecord, id: string): R<RequestView> {
    this.tick();
    return cancelRequest(this.p, caller, id);
  }

  // ---------------------------------------------------------------- outputs

  createOutput(caller: UserRecord, input: CreateOutputInput): R<OutputView> {
    this.tick();
    return createOutput(this.p, caller, input);
  }

  getOutput(caller: UserRecord, id: string): R<OutputView> {
    this.tick();
    return getOutput(this.p, caller, id);
  }

  listOutputs(caller: UserRecord, query: ListOutputsQuery = {}): R<Page<OutputView>> {
    this.tick();
    return listOutputs(this.p, caller, query);
  }

  // ---------------------------------------------------------------- estimates

  createEstimate(input: EstimateInput): R<EstimateView> {
    this.tick();
    return createEstimate(this.p, input);
  }

  // ---------------------------------------------------------------- users

  /** A managed user; `email` and `name` are optional, as the published guide creates one with neither. */
  createUser(caller: UserRecord, input: CreateUserInput = {}): R<UserView> {
    return createUser(this.p, caller, input);
  }

  getUser(caller: UserRecord, id: string): R<UserView> {
    return getUser(this.p, caller, id);
  }

  /** The caller first, then the users it manages, oldest first (the published list includes the master). */
  listUsers(caller: UserRecord, query: { page?: PageQuery } = {}): R<Page<UserView>> {
    return listUsers(this.p, caller, query);
  }

  me(caller: UserRecord): R<UserView> {
    return me(this.p, caller);
  }

  updateMe(caller: UserRecord, input: UpdateMeInput): R<UserView> {
    return updateMe(this.p, caller, input);
  }

  // ---------------------------------------------------------------- withdrawal instructions

  createWithdrawalInstruction(
    caller: UserRecord,
    input: CreateWithdrawalInstructionInput,
  ): R<WithdrawalInstructionView> {
    return createWithdrawalInstruction(this.p, caller, input);
  }

  getWithdrawalInstruction(caller: UserRecord, id: string): R<WithdrawalInstructionView> {
    return getWithdrawalInstruction(this.p, caller, id);
  }

  listWithdrawalInstructions(
    caller: UserRecord,
    query: ListWithdrawalInstructionsQuery = {},
  ): R<Page<WithdrawalInstructionView>> {
    return listWithdrawalInstructions(this.p, caller, query);
  }

  // ---------------------------------------------------------------- operator (SPEC section 9)

  /**
   * Sets a user's `compliance_state` and re-runs the checks of its accepting outputs
   * (SPEC section 9). Becoming `disabled` or `enabled` is an event (`user_disabled`,
   * `user_enabled`: SPEC section 8), published before what the checks then move.
   */
  setCompliance(caller: UserRecord, userId: string, state: ComplianceState): R<UserView> {
    this.tick();
    if (!isComplianceState(state))
      return unprocessable(
        'invalid_attribute',
        `state must be one of ${COMPLIANCE_STATES.join(', ')}`,
        '/state',
      );
    const user = managedUser(this.p, caller, userId);
    if (user.isErr()) return err(user.error);
    this.p.repos.users.save({ ...user.value, complianceState: state });
    const event = complianceEvent(user.value.complianceState, state, userId, this.now());
    if (event) this.p.events.publish([{ event, ownerId: caller.id }]);
    for (const output of [...this.p.repos.outputs.listAcceptingByPayee(userId)]) {
      const checked = this.runChecks(output.id);
      if (checked.isErr()) return err(checked.error);
    }
    return this.getUser(caller, userId);
  }

  /** Credits a deposit to a user's balance; quote_accepted requests it now covers start working. */
  deposit(caller: UserRecord, userId: string, input: { portCode: unknown; amount: unknown }): R<UserView> {
    this.tick();
    const user = managedUser(this.p, caller, userId);
    if (user.isErr()) return err(user.error);
    const port = activePort(this.p, input.portCode, '/port_code');
    if (port.isErr()) return err(port.error);
    const amount = parseMoney(input.amount, port.value.currency.code).mapErr((e) =>
      fromDomainError(e, '/amount'),
    );
    if (amount.isErr()) return err(amount.error);
    const balance =
      this.p.repos.balances.get(userId, amount.value.currency) ?? emptyBalance(userId, port.value.currency);
    const credited = applyMovement(balance, { kind: 'deposit', payerId: userId, amount: amount.value });
    if (credited.isErr()) return err(fromDomainError(credited.error, '/amount'));
    this.p.repos.balances.save(credited.value);
    for (const request of this.p.repos.requests.listByOwner(caller.id))
      if (request.payerId === userId && request.state === 'quote_accepted')
        this.p.scheduler.schedule(this.now() + this.p.timings.fundsCheckAfterMs, {
          kind: 'start_working',
          requestId: request.id,
        });
    return this.getUser(caller, userId);
  }

  /** Produces a requested quote now, without waiting for its eta. */
  produceQuoteNow(caller: UserRecord, requestId: string): R<RequestView> {
    this.tick();
    return ownRequest(this.p, caller, requestId).andThen((request) =>
      produceQuote(this.p, request, this.now()),
    );
  }

  /** accept, reject, issue, settle, fail, retry, return or cancel one output. */
  outputAction(
    caller: UserRecord,
    outputId: string,
    action: OperatorOutputAction,
    input: { reason?: unknown; withdrawalInstructionId?: unknown } = {},
  ): R<OutputView> {
    this.tick();
    if (!Object.hasOwn(OPERATOR_OUTPUT_ACTIONS, action))
      return err(
        conciergeError.notFound(
          'action',
          `${String(action)} (expected one of ${Object.keys(OPERATOR_OUTPUT_ACTIONS).join(', ')})`,
        ),
      );
    const reason = optionalText(input.reason, '/reason');
    if (reason.isErr()) return err(reason.error);
    const trigger = OPERATOR_OUTPUT_ACTIONS[action];
    return ownOutput(this.p, caller, outputId).andThen(({ output, request }) =>
      moveOutput(this.p, request, output, trigger, reason.value ?? DEFAULT_REASONS[trigger]).map(() =>
        presentOutput(this.p.repos.outputs.get(output.id) ?? output, request.portCode),
      ),
    );
  }

  /** The caller's events, oldest first. */
  listEvents(caller: UserRecord): StoredEvent[] {
    this.tick();
    return [...this.p.events.list(caller.id)];
  }

  /** Empties everything but the master users. */
  reset(): void {
    this.p.repos.requests.clear();
    this.p.repos.outputs.clear();
    this.p.repos.withdrawalInstructions.clear();
    this.p.repos.balances.clear();
    this.p.repos.users.clearManaged();
    this.p.events.clear();
    this.p.scheduler.clear();
    this.p.hintPrices.clear();
  }

  /**
   * Fires every timed move due by the clock's time, in time order, each at its own
   * instant (SPEC section 9). Every call catches up first; a server also ticks on a timer.
   */
  tick(): void {
    if (this.p.time.firing) return;
    const upTo = this.p.time.clock.now();
    for (let due = this.p.scheduler.takeDue(upTo); due; due = this.p.scheduler.takeDue(upTo)) {
      const moves = due.moves;
      this.p.time.during(due.at, () => this.fire(moves));
    }
  }

  /** When the next timed move is due (epoch ms), or null when nothing waits. */
  nextDueAt(): number | null {
    return this.p.scheduler.nextDueAt() ?? null;
  }

  /** Moves `clock` forward by `ms`; everything due fires in order. */
  advance(clock: ControllableClock, ms: number): void {
    this.tick();
    clock.advance(ms);
    this.tick();
  }

  /**
   * Advances `clock` to each next due move until nothing is due: every check, quote,
   * expiry, deadline and output move the schedule holds happens, in order. Answers how
   * far the clock went. Refuses, changing nothing more, a schedule that never empties.
   */
  runUntilIdle(clock: ControllableClock): R<{ readonly advancedMs: number }> {
    const start = clock.now();
    this.tick();
    for (let steps = 0; ; steps += 1) {
      const next = this.p.scheduler.nextDueAt();
      if (next === undefined) return ok({ advancedMs: clock.now() - start });
      if (steps >= MAX_IDLE_STEPS)
        return err(conciergeError.server(`the schedule did not empty after ${MAX_IDLE_STEPS} instants`));
      if (next <= clock.now()) {
        this.tick();
        continue;
      }
      // Moves that would change nothing (a pruning of a draft since quoted, the expiry of
      // an accepted quote) are dropped without moving the clock to them.
      const due = this.p.scheduler.takeDue(next);
      const live = due ? this.liveMoves(due.moves) : [];
      if (live.length === 0) continue;
      clock.advance(next - clock.now());
      this.p.time.during(next, () => this.fire(live));
      this.tick();
    }
  }

  /**
   * The moves of one instant that would still do something. Checks and output progress that
   * would not are skipped where they are gathered, so they stay in the list as they are
   * (no copy of a million moves, no read of a million outputs) unless every move is dead;
   * the others are left out, since each lets the gathered moves happen first.
   */
  private liveMoves(moves: readonly TimedMove[]): readonly TimedMove[] {
    if (!moves.some((move) => this.isLive(move))) return [];
    return moves.every(isOutputMove) ? moves : moves.filter((move) => this.isLive(move));
  }

  /** Whether a timed move would still do something if it fired now (for some of its outputs). */
  private isLive(move: TimedMove): boolean {
    if (isOutputMove(move))
      return move.outputIds.some((id, index) => {
        const output = this.p.repos.outputs.get(id);
        if (!output) return false;
        return move.kind === 'run_checks'
          ? output.state === 'accepting'
          : output.attempts === move.attempts[index] &&
              (output.state === 'working' || output.state === 'settling' || output.state === 'failed');
      });
    const state = this.p.repos.requests.get(move.requestId)?.state;
    switch (move.kind) {
      case 'produce_quote':
        return state === 'quote_requested';
      case 'expire_quote':
        return state === 'quoted';
      case 'start_working':
      case 'funds_deadline':
        return state === 'quote_accepted';
      case 'prune_draft':
        return state === 'draft';
      default:
        return move satisfies never;
    }
  }

  /** Fires moves due at one instant, grouped by kind so that a batch moves together. */
  private fire(moves: readonly TimedMove[]): void {
    // Checks and output progress are gathered per request and moved together; any other
    // move first lets the gathered ones happen, so that moves keep the order they were
    // planned in (a check planned before a start of work happens before it).
    const checks = new Map<string, CheckMove[]>();
    const progress = new Map<string, ProgressMove[]>();
    const flush = () => {
      for (const [requestId, list] of checks) this.runChecksOf(requestId, list);
      for (const [requestId, items] of progress) this.progressOf(requestId, items);
      checks.clear();
      progress.clear();
    };
    for (const move of moves) {
      switch (move.kind) {
        case 'run_checks': {
          const list = checks.get(move.requestId);
          if (list) list.push(move);
          else checks.set(move.requestId, [move]);
          break;
        }
        case 'progress': {
          const list = progress.get(move.requestId);
          if (list) list.push(move);
          else progress.set(move.requestId, [move]);
          break;
        }
        case 'produce_quote': {
          flush();
          const request = this.p.repos.requests.get(move.requestId);
          if (request?.state === 'quote_requested') produceQuote(this.p, request, this.now());
          break;
        }
        case 'start_working':
          flush();
          this.tryStartWorking(move.requestId);
          break;
        case 'expire_quote':
        case 'funds_deadline':
        case 'prune_draft':
          flush();
          this.cancelOnTime(move.requestId, move.kind);
          break;
        default:
          // Every kind has its case: a new kind is a compile error here.
          move satisfies never;
      }
    }
    flush();
  }

  /** Cancels a request whose deadline came (quote expiry, funds deadline, draft pruning), if it still applies. */
  private cancelOnTime(requestId: string, trigger: 'expire_quote' | 'funds_deadline' | 'prune_draft'): void {
    const request = this.p.repos.requests.get(requestId);
    const applies =
      trigger === 'prune_draft'
        ? request?.state === 'draft'
        : request && dueTimeTrigger(request, this.now()) === trigger;
    if (!request || !applies) return;
    this.p.hintPrices.delete(requestId);
    applyDomain(
      this.p,
      domainCancelRequest(request, this.p.repos.outputs.listByRequest(requestId), trigger, this.now()),
    );
  }

  /**
   * The acceptance checks of a request's outputs that are still accepting (SPEC section 4):
   * those that pass move together, part by part; failures one by one with their reason;
   * those whose payee is `new` or `disabled` wait for its compliance state to change.
   */
  private runChecksOf(requestId: string, moves: readonly CheckMove[]): void {
    const passed: Output[] = [];
    for (const move of moves)
      for (const id of move.outputIds) {
        const output = this.p.repos.outputs.get(id);
        const request = this.p.repos.requests.get(requestId);
        if (!request || output?.state !== 'accepting') continue;
        const verdict = this.verdictFor(request, output);
        // The pricing source failed: the output stays accepting, checked again on its next review.
        if (verdict.isErr()) continue;
        if (verdict.value.kind === 'pass') passed.push(output);
        else if (verdict.value.kind === 'fail')
          moveOutput(this.p, request, output, 'fail_checks', verdict.value.reason);
        if (passed.length === COMMIT_PART) this.passChecks(requestId, passed.splice(0));
      }
    if (passed.length > 0) this.passChecks(requestId, passed);
  }

  private passChecks(requestId: string, outputs: readonly Output[]): void {
    const request = this.p.repos.requests.get(requestId);
    if (!request) return;
    const moved = applyDomain(this.p, stepOutputs(request, outputs, 'pass_checks', this.now()));
    // Refused as a whole (not expected): one at a time, as they would alone.
    if (moved.isErr())
      for (const output of outputs) {
        const current = this.p.repos.requests.get(requestId);
        if (current) moveOutput(this.p, current, output, 'pass_checks');
      }
  }

  /**
   * The progress of working outputs scripted by their instruction (SPEC section 9):
   * working → settling (issued), then settled or failed, a failed one retried or given up.
   * Each move schedules the next. Outputs of a request taking the same step move together.
   */
  private progressOf(requestId: string, moves: readonly ProgressMove[]): void {
    const scripts = new Map<string, OutcomeScript | null>();
    // The ids of the outputs taking each action, in order, in parts of COMMIT_PART: the
    // outputs are read again a part at a time rather than kept, and no list grows to the
    // million outputs that may move at one instant.
    const byAction = new Map<OutputAction, string[][]>();
    for (const move of moves)
      move.outputIds.forEach((id, index) => {
        const output = this.p.repos.outputs.get(id);
        if (!output || output.attempts !== move.attempts[index]) return;
        const action = this.nextScriptedAction(output, scripts);
        if (action === null) return;
        const parts = byAction.get(action);
        const last = parts?.[parts.length - 1];
        if (!parts) byAction.set(action, [[id]]);
        else if (last && last.length < COMMIT_PART) last.push(id);
        else parts.push([id]);
      });
    for (const [action, parts] of byAction)
      for (const ids of parts) {
        const request = this.p.repos.requests.get(requestId);
        if (!request || isFinalRequestState(request.state)) return;
        const part = this.outputsOf(ids);
        if (part.length === 0) continue;
        const moved = applyDomain(
          this.p,
          stepOutputs(request, part, action, this.now(), {
            reason: 'refused_by_receiving_bank',
            returnCostOf: (o) => returnCostOf(this.p, o, action),
          }),
        );
        if (moved.isErr()) continue;
        // A retried output is working again: `apply` scheduled it. The others wait for their next step.
        const next = action === 'issue' ? this.p.timings.settleAfterMs : this.p.timings.retryAfterMs;
        if (action === 'issue' || action === 'fail')
          this.p.scheduler.schedule(this.now() + next, {
            kind: 'progress',
            requestId,
            outputIds: moved.value.outputs.map((output) => output.id),
            attempts: moved.value.outputs.map((output) => output.attempts),
          });
      }
  }

  /** The outputs of `ids` as stored now (an id that no longer exists is left out). */
  private outputsOf(ids: readonly string[]): Output[] {
    const outputs: Output[] = [];
    for (const id of ids) {
      const output = this.p.repos.outputs.get(id);
      if (output) outputs.push(output);
    }
    return outputs;
  }

  /** What a scripted output does next from where it is, or null (unscripted: the operator decides). */
  private nextScriptedAction(
    output: Output,
    scripts: Map<string, OutcomeScript | null>,
  ): OutputAction | null {
    const script = this.scriptOf(output, scripts);
    if (script === null) return null;
    switch (output.state) {
      case 'working':
        return 'issue';
      case 'settling':
        return script === 'settle' || (script === 'fail_once_then_settle' && output.attempts >= 2)
          ? 'settle'
          : 'fail';
      case 'failed':
        return script === 'fail_until_returned' && output.attempts >= this.p.maxAttempts
          ? 'give_up'
          : 'retry';
      default:
        return null;
    }
  }

  private scriptOf(output: Output, scripts: Map<string, OutcomeScript | null>): OutcomeScript | null {
    let script = scripts.get(output.withdrawalInstructionId);
    if (script === undefined) {
      const instruction = this.p.repos.withdrawalInstructions.get(output.withdrawalInstructionId);
      script = instruction ? this.p.policy.outcomeScript(instruction) : null;
      scripts.set(output.withdrawalInstructionId, script);
    }
    return script;
  }

  /** Schedules the first step of outputs that (re)started working, when an outcome is scripted. */
  private scheduleWork(outputs: readonly Output[]): void {
    let scripts: Map<string, OutcomeScript | null> | undefined;
    for (const output of outputs) {
      if (output.state !== 'working') continue;
      scripts ??= new Map();
      if (this.scriptOf(output, scripts) === null) continue;
      this.p.scheduler.schedule(this.now() + this.p.timings.issueAfterMs, {
        kind: 'progress',
        requestId: output.requestId,
        outputIds: [output.id],
        attempts: [output.attempts],
      });
    }
  }

  // ---------------------------------------------------------------- internals

  /** Starts work on a quote_accepted request if its payer's balance covers it. */
  private tryStartWorking(requestId: string): void {
    const request = this.p.repos.requests.get(requestId);
    if (request?.state !== 'quote_accepted' || !request.totalToSpend) return;
    const currency = { code: request.totalToSpend.currency, exponent: request.totalToSpend.scale };
    const balance =
      this.p.repos.balances.get(request.payerId, currency.code) ?? emptyBalance(request.payerId, currency);
    // Refused when the balance does not cover it: the request waits for a deposit.
    applyInParts(
      this.p,
      startWorkingInParts(
        request,
        this.p.repos.outputs.listByRequest(request.id),
        availableMoney(balance),
        this.now(),
        COMMIT_PART,
      ),
    );
  }

  /** Runs the acceptance checks of an accepting output and applies the verdict. */
  private runChecks(outputId: string): R<void> {
    const output = this.p.repos.outputs.get(outputId);
    const request = output && this.p.repos.requests.get(output.requestId);
    if (!output || !request || output.state !== 'accepting') return ok(undefined);
    const verdict = this.verdictFor(request, output);
    if (verdict.isErr()) return err(verdict.error);
    switch (verdict.value.kind) {
      case 'wait':
        return ok(undefined);
      case 'pass':
        return moveOutput(this.p, request, output, 'pass_checks');
      case 'fail':
        return moveOutput(this.p, request, output, 'fail_checks', verdict.value.reason);
      default: {
        const unreachable: never = verdict.value;
        return unreachable;
      }
    }
  }

  /** The acceptance checks' verdict (SPEC section 4) for an output of `request`, new or accepting. */
  private verdictFor(
    request: Request,
    output: Pick<Output, 'payeeId' | 'withdrawalInstructionId' | 'portCode' | 'target'> & {
      readonly price?: OutputPrice | null;
    },
  ): R<CheckVerdict> {
    const payee = this.p.repos.users.get(output.payeeId);
    const instruction = this.p.repos.withdrawalInstructions.get(output.withdrawalInstructionId);
    const catalog = this.p.catalog.catalog();
    const origin = findActivePort(catalog, request.portCode);
    const port = findActivePort(catalog, output.portCode);
    if (!payee || !instruction || origin.isErr() || port.isErr())
      return ok({ kind: 'fail', reason: 'instruction_mismatch' });
    const forced = this.p.policy.instructionVerdict(instruction);
    if (forced) return ok({ kind: 'fail', reason: forced });
    let amount = output.price?.amount;
    if (!amount) {
      const quote = this.p.pricing.quote(origin.value, port.value);
      if (quote.isErr()) return err(quote.error);
      amount = amountInDestination(output.target, quote.value, port.value.currency);
    }
    return ok(
      acceptanceChecks({
        payee: { id: payee.id, complianceState: payee.complianceState },
        instruction: {
          userId: instruction.userId,
          country: instruction.body.country ?? '',
          currency: instruction.body.currency ?? '',
        },
        port: port.value,
        amount,
      }),
    );
  }
}

export type { CancelTrigger };
