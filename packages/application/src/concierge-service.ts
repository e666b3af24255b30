import type { CancelTrigger, ComplianceState, DocumentKind } from '@concierge-ts/domain';
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
import type {
  DocumentView,
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
import { getDocument } from './provider/documents.js';
import { createEstimate } from './provider/estimates.js';
import { type PresentedEvent, presentEvent } from './provider/events.js';
import { createOutput, getOutput, listOutputs } from './provider/outputs.js';
import { listPorts } from './provider/port-catalog.js';
import type { ControllableClock, StoredEvent, UserRecord } from './provider/ports.js';
import {
  acceptQuote,
  cancelRequest,
  createRequest,
  getRequest,
  getRequestWithOutputs,
  listRequests,
  requestQuote,
  updateRequest,
} from './provider/requests.js';
import { advance, runUntilIdle, tick } from './provider/timed-moves.js';
import type { SandboxTimings } from './provider/timings.js';
import {
  authenticate,
  createMasterUser,
  createUser,
  getUser,
  listUsers,
  me,
  updateMe,
} from './provider/users.js';
import {
  createWithdrawalInstruction,
  deleteWithdrawalInstruction,
  getWithdrawalInstruction,
  listWithdrawalInstructions,
  type WithdrawalInstructionDraft,
} from './provider/withdrawal-instructions.js';
import {
  deposit,
  listEvents,
  type OperatorOutputAction,
  outputAction,
  produceQuoteNow,
  reset,
  setCompliance,
} from './sandbox/operator-commands.js';
import { NO_MAGIC } from './sandbox/policy.js';
import { scriptedOutcomes } from './sandbox/scripted-outcomes.js';

/**
 * The concierge service as one object: every command and query of SPEC sections 2 to 7 as
 * a master user sees them (`provider/`, a file per resource), and the sandbox operator's
 * commands of section 9 (`sandbox/`), over one provider context. Each call of a command
 * or query that time can change first fires the timed moves that are due
 * (`provider/timed-moves.ts`). The in-memory adapter and the sandbox server run it; the
 * in-process client (`service-client.ts`) and the operator (`sandbox/operator.ts`) call it.
 */
export class ConciergeService {
  private readonly p: ProviderContext;
  /** When the service makes its moves (SPEC section 9). */
  readonly timings: SandboxTimings;

  constructor(deps: ServiceDeps) {
    // The sandbox plugs in its policy (magic values) and the scripted progress of outputs.
    this.p = providerContext(deps, { policy: deps.policy ?? NO_MAGIC, progress: scriptedOutcomes });
    this.timings = this.p.timings;
  }

  // ---------------------------------------------------------------- callers

  /** The master user an API key belongs to: 401 for an unknown key, 403 for a managed user's. */
  authenticate(apiKey: string | undefined | null): ServiceResult<UserRecord> {
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

  createRequest(caller: UserRecord, input: CreateRequestInput): ServiceResult<RequestView> {
    this.tick();
    return createRequest(this.p, caller, input);
  }

  getRequest(caller: UserRecord, id: string): ServiceResult<RequestView> {
    this.tick();
    return getRequest(this.p, caller, id);
  }

  getRequestWithOutputs(caller: UserRecord, id: string): ServiceResult<RequestWithOutputs> {
    this.tick();
    return getRequestWithOutputs(this.p, caller, id);
  }

  listRequests(caller: UserRecord, query: ListRequestsQuery = {}): ServiceResult<Page<RequestView>> {
    this.tick();
    return listRequests(this.p, caller, query);
  }

  updateRequest(caller: UserRecord, id: string, input: UpdateRequestInput): ServiceResult<RequestView> {
    this.tick();
    return updateRequest(this.p, caller, id, input);
  }

  requestQuote(
    caller: UserRecord,
    id: string,
    input: { hintToken?: string } = {},
  ): ServiceResult<RequestView> {
    this.tick();
    return requestQuote(this.p, caller, id, input);
  }

  acceptQuote(caller: UserRecord, id: string): ServiceResult<RequestView> {
    this.tick();
    return acceptQuote(this.p, caller, id);
  }

  cancelRequest(caller: UserRecord, id: string): ServiceResult<RequestView> {
    this.tick();
    return cancelRequest(this.p, caller, id);
  }

  /** A request's receipt or credit note as it is now (404 while it does not exist). */
  getDocument(caller: UserRecord, id: string, kind: DocumentKind): ServiceResult<DocumentView> {
    this.tick();
    return getDocument(this.p, caller, id, kind);
  }

  // ---------------------------------------------------------------- outputs

  createOutput(caller: UserRecord, input: CreateOutputInput): ServiceResult<OutputView> {
    this.tick();
    return createOutput(this.p, caller, input);
  }

  getOutput(caller: UserRecord, id: string): ServiceResult<OutputView> {
    this.tick();
    return getOutput(this.p, caller, id);
  }

  listOutputs(caller: UserRecord, query: ListOutputsQuery = {}): ServiceResult<Page<OutputView>> {
    this.tick();
    return listOutputs(this.p, caller, query);
  }

  // ---------------------------------------------------------------- estimates

  createEstimate(input: EstimateInput): ServiceResult<EstimateView> {
    this.tick();
    return createEstimate(this.p, input);
  }

  // ---------------------------------------------------------------- users

  /** A managed user; `email` and `name` are optional, as the published guide creates one with neither. */
  createUser(caller: UserRecord, input: CreateUserInput = {}): ServiceResult<UserView> {
    return createUser(this.p, caller, input);
  }

  getUser(caller: UserRecord, id: string): ServiceResult<UserView> {
    return getUser(this.p, caller, id);
  }

  /** The caller first, then the users it manages, oldest first (the published list includes the master). */
  listUsers(caller: UserRecord, query: { page?: PageQuery } = {}): ServiceResult<Page<UserView>> {
    return listUsers(this.p, caller, query);
  }

  me(caller: UserRecord): ServiceResult<UserView> {
    return me(this.p, caller);
  }

  updateMe(caller: UserRecord, input: UpdateMeInput): ServiceResult<UserView> {
    return updateMe(this.p, caller, input);
  }

  // ---------------------------------------------------------------- withdrawal instructions

  /** Checks the body (SPEC section 5) and creates the instruction; a `withdrawal_instruction_created` event. */
  createWithdrawalInstruction(
    caller: UserRecord,
    input: CreateWithdrawalInstructionInput | WithdrawalInstructionDraft,
  ): ServiceResult<WithdrawalInstructionView> {
    return createWithdrawalInstruction(this.p, caller, input);
  }

  getWithdrawalInstruction(caller: UserRecord, id: string): ServiceResult<WithdrawalInstructionView> {
    return getWithdrawalInstruction(this.p, caller, id);
  }

  listWithdrawalInstructions(
    caller: UserRecord,
    query: ListWithdrawalInstructionsQuery = {},
  ): ServiceResult<Page<WithdrawalInstructionView>> {
    return listWithdrawalInstructions(this.p, caller, query);
  }

  /** Deletes an instruction no output on its way pays to (409 otherwise); a `withdrawal_instruction_destroyed` event. */
  deleteWithdrawalInstruction(caller: UserRecord, id: string): ServiceResult<void> {
    this.tick();
    return deleteWithdrawalInstruction(this.p, caller, id);
  }

  // ---------------------------------------------------------------- operator (SPEC section 9)

  /**
   * Sets a user's `compliance_state` and re-runs the checks of its accepting outputs. A
   * change to `disabled` or `enabled` is a `user_disabled` or `user_enabled` event.
   */
  setCompliance(caller: UserRecord, userId: string, state: ComplianceState): ServiceResult<UserView> {
    this.tick();
    return setCompliance(this.p, caller, userId, state);
  }

  /** Credits a deposit to a user's balance; quote_accepted requests it now covers start working. */
  deposit(
    caller: UserRecord,
    userId: string,
    input: { portCode: unknown; amount: unknown },
  ): ServiceResult<UserView> {
    this.tick();
    return deposit(this.p, caller, userId, input);
  }

  /** Produces a requested quote now, without waiting for its eta. */
  produceQuoteNow(caller: UserRecord, requestId: string): ServiceResult<RequestView> {
    this.tick();
    return produceQuoteNow(this.p, caller, requestId);
  }

  /** accept, reject, issue, settle, fail, retry, return or cancel one output. */
  outputAction(
    caller: UserRecord,
    outputId: string,
    action: OperatorOutputAction,
    input: { reason?: unknown } = {},
  ): ServiceResult<OutputView> {
    this.tick();
    return outputAction(this.p, caller, outputId, action, input);
  }

  /** The caller's events, oldest first. */
  listEvents(caller: UserRecord): StoredEvent[] {
    this.tick();
    return listEvents(this.p, caller);
  }

  /**
   * An event as the API shows it, with its resource as it was when the event happened;
   * `linkage`: a request's event also gives the ids of the outputs it had then.
   */
  presentEvent(event: StoredEvent, linkage = false): PresentedEvent {
    return presentEvent(this.p, event, linkage);
  }

  /** Empties everything but the master users. */
  reset(): void {
    reset(this.p);
  }

  // ---------------------------------------------------------------- time (SPEC section 9)

  /**
   * Fires every timed move due by the clock's time, in time order, each at its own
   * instant. Every call catches up first; a server also ticks on a timer.
   */
  tick(): void {
    tick(this.p);
  }

  /** When the next timed move is due (epoch ms), or null when nothing waits. */
  nextDueAt(): number | null {
    return this.p.scheduler.nextDueAt() ?? null;
  }

  /** Moves `clock` forward by `ms`; everything due fires in order. */
  advance(clock: ControllableClock, ms: number): void {
    advance(this.p, clock, ms);
  }

  /**
   * Advances `clock` to each next due move until nothing is due: every check, quote,
   * expiry, deadline and output move the schedule holds happens, in order. Answers how
   * far the clock went. Refuses, changing nothing more, a schedule that never empties.
   */
  runUntilIdle(clock: ControllableClock): ServiceResult<{ readonly advancedMs: number }> {
    return runUntilIdle(this.p, clock);
  }
}

export type { CancelTrigger };
