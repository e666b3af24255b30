import {
  acceptanceChecks,
  acceptQuote,
  addOutput,
  amountInDestination,
  applyMovement,
  availableMoney,
  bindHint,
  type CancelTrigger,
  type Change,
  type CheckVerdict,
  COMPLIANCE_STATES,
  type ComplianceState,
  cancelRequest,
  complianceEvent,
  type DomainError,
  draftRequest,
  dueTimeTrigger,
  emptyBalance,
  estimate,
  findActivePort,
  invalidTransition,
  isComplianceState,
  isFinalRequestState,
  type Money,
  matchHint,
  type Output,
  type OutputAction,
  type OutputPrice,
  type OutputTarget,
  parseMoney,
  pricer,
  produceQuoteInParts,
  type Request,
  requestQuote,
  startWorkingInParts,
  stepOutput,
  stepOutputs,
  updateRequest,
} from '@concierge-ts/domain';
import { err, ok, type Result } from 'neverthrow';
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
import { pageOf } from './gateway/page.js';
import {
  type EstimateView,
  isoTime,
  type OutputView,
  type Page,
  type PageQuery,
  type PortView,
  type RequestView,
  type RequestWithOutputs,
  type UserView,
  type WithdrawalInstructionView,
} from './gateway/views.js';
import {
  type ProviderContext,
  providerContext,
  type ServiceDeps,
  type ServiceResult,
} from './provider/context.js';
import { optionalText, unprocessable } from './provider/input.js';
import { activePort, listPorts, quoteDelay } from './provider/port-catalog.js';
import type { ControllableClock, StoredEvent, UserRecord } from './provider/ports.js';
import { presentOutput, presentRequest } from './provider/present.js';
import { type CheckMove, isOutputMove, type ProgressMove, type TimedMove } from './provider/scheduler.js';
import type { SandboxTimings } from './provider/timings.js';
import { apply, applyDomain, applyInParts, COMMIT_PART } from './provider/unit-of-work.js';
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
  ownInstruction,
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
    const port = activePort(this.p, input.portCode, '/data/attributes/port_code');
    if (port.isErr()) return err(port.error);
    const payer = managedUser(this.p, caller, input.payerId, '/data/relationships/user');
    if (payer.isErr()) return err(payer.error);
    const externalId = optionalText(input.externalId, '/data/attributes/external_id');
    if (externalId.isErr()) return err(externalId.error);
    const code = optionalText(input.paymentAuthorizationCode, '/data/attributes/payment_authorization_code');
    if (code.isErr()) return err(code.error);
    const change = draftRequest({
      id: this.p.ids.next('request'),
      ownerId: caller.id,
      payerId: payer.value.id,
      portCode: port.value.code,
      externalId: externalId.value ?? null,
      paymentAuthorizationCode: code.value ?? null,
      now: this.now(),
    });
    return apply(this.p, change).map((c) => {
      this.p.scheduler.schedule(c.request.createdAt + this.p.timings.pruneDraftAfterMs, {
        kind: 'prune_draft',
        requestId: c.request.id,
      });
      return presentRequest(c.request);
    });
  }

  getRequest(caller: UserRecord, id: string): R<RequestView> {
    this.tick();
    return this.ownRequest(caller, id).map(presentRequest);
  }

  getRequestWithOutputs(caller: UserRecord, id: string): R<RequestWithOutputs> {
    this.tick();
    return this.ownRequest(caller, id).map((request) => ({
      ...presentRequest(request),
      outputs: Array.from(this.p.repos.outputs.listByRequest(request.id), (o) =>
        presentOutput(o, request.portCode),
      ),
    }));
  }

  listRequests(caller: UserRecord, query: ListRequestsQuery = {}): R<Page<RequestView>> {
    this.tick();
    const all = this.p.repos.requests.listByOwner(caller.id);
    const filtered = all.filter(
      (r) =>
        (query.state === undefined || r.state === query.state) &&
        (query.externalId === undefined || r.externalId === query.externalId),
    );
    return pageOf(filtered, query.page, presentRequest);
  }

  updateRequest(caller: UserRecord, id: string, input: UpdateRequestInput): R<RequestView> {
    this.tick();
    const externalId = optionalText(input.externalId, '/data/attributes/external_id');
    if (externalId.isErr()) return err(externalId.error);
    const code = optionalText(input.paymentAuthorizationCode, '/data/attributes/payment_authorization_code');
    if (code.isErr()) return err(code.error);
    return this.ownRequest(caller, id).andThen((request) =>
      updateRequest(
        request,
        {
          ...(externalId.value === undefined ? {} : { externalId: externalId.value }),
          ...(code.value === undefined ? {} : { paymentAuthorizationCode: code.value }),
        },
        this.now(),
      )
        .mapErr((e) => fromDomainError(e))
        .map((updated) => {
          this.p.repos.requests.save(updated);
          return presentRequest(updated);
        }),
    );
  }

  requestQuote(caller: UserRecord, id: string, input: { hintToken?: string } = {}): R<RequestView> {
    this.tick();
    return this.ownRequest(caller, id).andThen((request): R<RequestView> => {
      const now = this.now();
      const outputs = this.p.repos.outputs.listByRequest(request.id);
      if (input.hintToken !== undefined) {
        if (typeof input.hintToken !== 'string' || input.hintToken.length === 0)
          return unprocessable(
            'hint_token_malformed',
            'hint_token must be a non-empty string',
            '/data/attributes/hint_token',
          );
        if (request.state !== 'draft')
          return err(
            fromDomainError(
              invalidTransition({ entity: 'request', id: request.id, state: request.state }, 'request_quote'),
            ),
          );
        const prices = this.p.hints
          .decode(input.hintToken)
          .andThen((binding) => matchHint(binding, request, outputs, now))
          .mapErr((e) => fromDomainError(e, '/data/attributes/hint_token'));
        if (prices.isErr()) return err(prices.error);
        // Quoted at the estimate's prices, one quote step later: never inside this answer.
        return applyDomain(this.p, requestQuote(request, now, now)).map((c) => {
          this.p.hintPrices.set(c.request.id, prices.value);
          this.p.scheduler.schedule(now + this.p.timings.quoteStepMs, {
            kind: 'produce_quote',
            requestId: c.request.id,
          });
          return presentRequest(c.request);
        });
      }
      const eta = now + quoteDelay(this.p, destinationsOf(outputs));
      return applyDomain(this.p, requestQuote(request, now, eta)).map((c) => {
        this.p.scheduler.schedule(eta > now ? eta : now + this.p.timings.quoteStepMs, {
          kind: 'produce_quote',
          requestId: c.request.id,
        });
        return presentRequest(c.request);
      });
    });
  }

  acceptQuote(caller: UserRecord, id: string): R<RequestView> {
    this.tick();
    return this.ownRequest(caller, id)
      .andThen((request) => applyDomain(this.p, acceptQuote(request, this.now())))
      .map((c) => {
        // Funds are looked for later, as the provider does: never inside this answer.
        this.p.scheduler.schedule(this.now() + this.p.timings.fundsCheckAfterMs, {
          kind: 'start_working',
          requestId: c.request.id,
        });
        if (c.request.provisionFundsBefore !== null)
          this.p.scheduler.schedule(c.request.provisionFundsBefore, {
            kind: 'funds_deadline',
            requestId: c.request.id,
          });
        return presentRequest(c.request);
      });
  }

  cancelRequest(caller: UserRecord, id: string): R<RequestView> {
    this.tick();
    return this.ownRequest(caller, id)
      .andThen((request) =>
        applyDomain(
          this.p,
          cancelRequest(request, this.p.repos.outputs.listByRequest(request.id), 'cancel', this.now()),
        ),
      )
      .map((c) => presentRequest(c.request));
  }

  // ---------------------------------------------------------------- outputs

  createOutput(caller: UserRecord, input: CreateOutputInput): R<OutputView> {
    this.tick();
    const request = this.ownRequest(caller, input.requestId).mapErr(() =>
      conciergeError.unprocessable(
        'unknown_request',
        `request ${String(input.requestId)} does not exist or is not yours`,
        '/data/relationships/request',
      ),
    );
    if (request.isErr()) return err(request.error);
    const origin = activePort(this.p, request.value.portCode, '/data/relationships/request');
    if (origin.isErr()) return err(origin.error);
    const destination = activePort(this.p, input.portCode, '/data/attributes/port_code');
    if (destination.isErr()) return err(destination.error);
    const target = this.p.targets.parse(input, origin.value, destination.value, '/data/attributes');
    if (target.isErr()) return err(target.error);
    const payee = managedUser(this.p, caller, input.payeeId, '/data/relationships/user');
    if (payee.isErr()) return err(payee.error);
    const instruction = ownInstruction(this.p, caller, input.withdrawalInstructionId).mapErr(() =>
      conciergeError.unprocessable(
        'unknown_withdrawal_instruction',
        `withdrawal instruction ${String(input.withdrawalInstructionId)} does not exist or is not yours`,
        '/data/relationships/withdrawal_instruction',
      ),
    );
    if (instruction.isErr()) return err(instruction.error);
    const now = this.now();
    const id = this.p.ids.next('output');
    const draft = {
      id,
      requestId: request.value.id,
      payeeId: payee.value.id,
      withdrawalInstructionId: instruction.value.id,
      portCode: destination.value.code,
      target: target.value,
      now,
    };
    // Created accepting; the checks run later (SPEC sections 2 and 9).
    return applyDomain(this.p, addOutput(request.value, draft)).map((change) => {
      this.p.scheduler.schedule(now + this.p.timings.checksAfterMs, {
        kind: 'run_checks',
        requestId: request.value.id,
        outputIds: [id],
      });
      return presentOutput(change.outputs[0] as Output, request.value.portCode);
    });
  }

  getOutput(caller: UserRecord, id: string): R<OutputView> {
    this.tick();
    return this.ownOutput(caller, id).map(({ output, request }) => presentOutput(output, request.portCode));
  }

  listOutputs(caller: UserRecord, query: ListOutputsQuery = {}): R<Page<OutputView>> {
    this.tick();
    const requests =
      query.requestId === undefined
        ? this.p.repos.requests.listByOwner(caller.id)
        : [this.p.repos.requests.get(query.requestId)].filter(
            (r): r is Request => r !== undefined && r.ownerId === caller.id,
          );
    const outputs = this.p.repos.outputs;
    function* all(): Generator<{ output: Output; origin: string }> {
      for (const request of requests) {
        const list =
          query.state === undefined
            ? outputs.listByRequest(request.id)
            : outputs.listByRequestAndState(request.id, query.state);
        for (const output of list) yield { output, origin: request.portCode };
      }
    }
    return pageOf(all(), query.page, ({ output, origin }) => presentOutput(output, origin));
  }

  // ---------------------------------------------------------------- estimates

  createEstimate(input: EstimateInput): R<EstimateView> {
    this.tick();
    const origin = activePort(this.p, input.portCode, '/data/attributes/port_code');
    if (origin.isErr()) return err(origin.error);
    if (!Array.isArray(input.outputs) || input.outputs.length === 0 || input.outputs.length > 1000)
      return unprocessable(
        'invalid_attribute',
        'outputs must list 1 to 1000 outputs',
        '/data/attributes/outputs',
      );
    const lines: Parameters<typeof estimate>[1][number][] = [];
    for (const [index, line] of input.outputs.entries()) {
      const at = `/data/attributes/outputs/${index}`;
      if (typeof line !== 'object' || line === null)
        return unprocessable(
          'invalid_attribute',
          'expected an object with port_code and amount or budget',
          at,
        );
      const destination = activePort(this.p, line.portCode, `${at}/port_code`);
      if (destination.isErr()) return err(destination.error);
      const target = this.p.targets.parse(line, origin.value, destination.value, at);
      if (target.isErr()) return err(target.error);
      const quote = this.p.pricing.quote(origin.value, destination.value);
      if (quote.isErr()) return err(quote.error);
      lines.push({
        portCode: destination.value.code,
        target: target.value,
        destination: destination.value.currency,
        quote: quote.value,
      });
    }
    const now = this.now();
    const result = estimate(origin.value, lines);
    const binding = bindHint(result, now);
    return ok({
      portCode: result.portCode,
      totalToSpend: result.totalToSpend,
      hintToken: this.p.hints.encode(binding),
      expiresAt: isoTime(binding.expiresAt),
      outputs: result.outputs.map((o) => ({
        portCode: o.portCode,
        given: o.target.kind,
        amount: o.price.amount,
        budget: o.price.budget,
        rate: o.price.rate,
        allInRate: o.price.allInRate,
        feeAndCost: o.price.feeAndCost,
      })),
    });
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
    return this.ownRequest(caller, requestId).andThen((request) => this.quoteNow(request, this.now()));
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
    return this.ownOutput(caller, outputId).andThen(({ output, request }) =>
      this.step(request, output, trigger, reason.value ?? DEFAULT_REASONS[trigger]).map(() =>
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
          if (request?.state === 'quote_requested') this.quoteNow(request, this.now());
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
      cancelRequest(request, this.p.repos.outputs.listByRequest(requestId), trigger, this.now()),
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
          this.step(request, output, 'fail_checks', verdict.value.reason);
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
        if (current) this.step(current, output, 'pass_checks');
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
            returnCostOf: (o) => this.returnCost(o, action),
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

  private ownRequest(caller: UserRecord, id: unknown): R<Request> {
    const request = typeof id === 'string' ? this.p.repos.requests.get(id) : undefined;
    return request && request.ownerId === caller.id
      ? ok(request)
      : err(conciergeError.notFound('concierge_request', String(id)));
  }

  private ownOutput(caller: UserRecord, id: unknown): R<{ output: Output; request: Request }> {
    const output = typeof id === 'string' ? this.p.repos.outputs.get(id) : undefined;
    const request = output ? this.p.repos.requests.get(output.requestId) : undefined;
    return output && request && request.ownerId === caller.id
      ? ok({ output, request })
      : err(conciergeError.notFound('concierge_request_output', String(id)));
  }

  /**
   * Produces the quote of a quote_requested request at `at`: at the hint token's prices
   * when the request came with one, else from the pricing source. `destinations`: those of
   * its outputs to price, when the caller has them already.
   */
  private quoteNow(request: Request, at: number, destinations?: ReadonlySet<string>): R<RequestView> {
    const hinted = this.p.hintPrices.get(request.id);
    if (hinted) {
      this.p.hintPrices.delete(request.id);
      return this.quoted(
        produceQuoteInParts(
          request,
          this.p.repos.outputs.listByRequest(request.id),
          (o) => hinted.get(o.id) as OutputPrice,
          at,
          this.p.windows,
          true,
          COMMIT_PART,
        ),
      );
    }
    const catalog = this.p.catalog.catalog();
    const origin = findActivePort(catalog, request.portCode);
    if (origin.isErr()) return err(fromDomainError(origin.error));
    const outputs = this.p.repos.outputs.listByRequest(request.id);
    // One pricer per destination: all_in_rate is worked out once per port, not per output.
    const pricers = new Map<string, (target: OutputTarget) => OutputPrice>();
    for (const code of destinations ?? destinationsOf(outputs)) {
      const port = findActivePort(catalog, code);
      if (port.isErr()) return err(fromDomainError(port.error));
      const quote = this.p.pricing.quote(origin.value, port.value);
      if (quote.isErr()) return err(quote.error);
      pricers.set(code, pricer(quote.value, origin.value.currency, port.value.currency));
    }
    const priceOf = (o: Output): OutputPrice =>
      (pricers.get(o.portCode) as (target: OutputTarget) => OutputPrice)(o.target);
    return this.quoted(
      produceQuoteInParts(request, outputs, priceOf, at, this.p.windows, false, COMMIT_PART),
    );
  }

  /** Stores a quote and schedules its expiry. */
  private quoted(parts: Iterable<Result<Change, DomainError>>): R<RequestView> {
    return applyInParts(this.p, parts).map((c) => {
      if (c.request.state === 'quoted' && c.request.acceptQuoteBefore !== null)
        this.p.scheduler.schedule(c.request.acceptQuoteBefore, {
          kind: 'expire_quote',
          requestId: c.request.id,
        });
      return presentRequest(c.request);
    });
  }

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
        return this.step(request, output, 'pass_checks');
      case 'fail':
        return this.step(request, output, 'fail_checks', verdict.value.reason);
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

  private returnCost(output: Output, action: OutputAction): Money | undefined {
    return action === 'give_up' ? this.p.ports.get(output.portCode)?.returnCost : undefined;
  }

  private step(request: Request, output: Output, action: OutputAction, reason?: string): R<void> {
    const returnCost = this.returnCost(output, action);
    return applyDomain(
      this.p,
      stepOutput(request, output, action, this.now(), {
        ...(reason === undefined ? {} : { reason }),
        ...(returnCost === undefined ? {} : { returnCost }),
      }),
    ).map(() => undefined);
  }
}

/** The destinations of a request's outputs that a quote prices (accepting or accepted). */
const destinationsOf = (outputs: Iterable<Output>): Set<string> => {
  const codes = new Set<string>();
  for (const output of outputs)
    if (output.state === 'accepting' || output.state === 'accepted') codes.add(output.portCode);
  return codes;
};

export type { CancelTrigger };
