import {
  acceptanceChecks,
  acceptQuote,
  addCheckedOutput,
  addOutput,
  amountInDestination,
  applyMovement,
  availableMoney,
  type Balance,
  bindHint,
  type CancelTrigger,
  type Change,
  type CheckVerdict,
  type ComplianceStatus,
  cancelRequest,
  DEFAULT_QUOTE_WINDOWS,
  type DomainError,
  draftRequest,
  dueTimeTrigger,
  emptyBalance,
  estimate,
  findActivePort,
  invalidTransition,
  isFinalRequestState,
  type Money,
  type MoneyMovement,
  matchHint,
  type Output,
  type OutputAction,
  type OutputPrice,
  type OutputTarget,
  type Port,
  type PortCatalog,
  parseMoney,
  pricer,
  produceQuoteInParts,
  type QuoteWindows,
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
} from './client.js';
import { type ConciergeError, conciergeError, fromDomainError } from './errors.js';
import { pageOf } from './page.js';
import type {
  Clock,
  EventStore,
  HintTokenCodec,
  IdSource,
  OutboundEvent,
  OutcomeScript,
  PortCatalogSource,
  PricingSource,
  Repositories,
  SandboxPolicy,
  StoredEvent,
  UserRecord,
  WithdrawalInstructionRecord,
} from './ports.js';
import { NO_MAGIC } from './ports.js';
import { presentInstruction, presentOutput, presentPort, presentRequest, presentUser } from './present.js';
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
} from './views.js';

export interface ServiceDeps {
  readonly repositories: Repositories;
  readonly catalog: PortCatalogSource;
  readonly pricing: PricingSource;
  readonly clock: Clock;
  readonly ids: IdSource;
  readonly events: EventStore;
  readonly hints: HintTokenCodec;
  readonly policy?: SandboxPolicy;
  readonly windows?: QuoteWindows;
  /** How many payment attempts a `fail_until_returned` instruction gets before its output is returned. */
  readonly maxAttempts?: number;
}

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

const MAX_TEXT = 255;
const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,190}\.[^\s@]{1,63}$/;

type R<T> = Result<T, ConciergeError>;

const unprocessable = (code: string, detail: string, pointer: string) =>
  err(conciergeError.unprocessable(code, detail, pointer));

/** Optional short text: undefined, null or a string of at most 255 characters. */
const optionalText = (value: unknown, pointer: string): R<string | null | undefined> => {
  if (value === undefined || value === null) return ok(value);
  if (typeof value !== 'string' || value.length > MAX_TEXT)
    return unprocessable('invalid_attribute', `expected text of at most ${MAX_TEXT} characters`, pointer);
  return ok(value);
};

/**
 * The concierge service: every command and query of SPEC sections 2 to 7 as a master
 * user sees them, and the sandbox operator's commands of section 9. Each call first
 * applies the time-based transitions that are due.
 */
export class ConciergeService {
  private readonly repos: Repositories;
  private readonly policy: SandboxPolicy;
  private readonly windows: QuoteWindows;
  private readonly maxAttempts: number;

  constructor(private readonly deps: ServiceDeps) {
    this.repos = deps.repositories;
    this.policy = deps.policy ?? NO_MAGIC;
    this.windows = deps.windows ?? DEFAULT_QUOTE_WINDOWS;
    this.maxAttempts = deps.maxAttempts ?? 3;
  }

  // ---------------------------------------------------------------- callers

  /** The master user an API key belongs to: 401 for an unknown key, 403 for a managed user's. */
  authenticate(apiKey: string | undefined | null): R<UserRecord> {
    if (!apiKey) return err(conciergeError.authentication('the Authorization header is missing'));
    const user = this.repos.users.findByApiKey(apiKey);
    if (!user) return err(conciergeError.authentication());
    if (user.role !== 'master') return err(conciergeError.permission('only master users may use Concierge'));
    return ok(user);
  }

  /** Creates a master user (an integrator's account) with its API key; for seeding. */
  createMasterUser(input: { email: string; name?: string; apiKey?: string }): UserRecord {
    const user: UserRecord = {
      id: this.deps.ids.next('user'),
      email: input.email,
      name: input.name ?? null,
      role: 'master',
      masterId: null,
      complianceStatus: 'approved',
      apiKey: input.apiKey ?? this.deps.ids.apiKey(),
      webhookUrl: null,
      createdAt: this.now(),
    };
    this.repos.users.save(user);
    return user;
  }

  now(): number {
    return this.deps.clock.now();
  }

  // ---------------------------------------------------------------- ports

  listPorts(): PortView[] {
    return this.deps.catalog.catalog().ports.map(presentPort);
  }

  // ---------------------------------------------------------------- requests

  createRequest(caller: UserRecord, input: CreateRequestInput): R<RequestView> {
    this.tick();
    const port = this.activePort(input.portCode, '/data/attributes/port_code');
    if (port.isErr()) return err(port.error);
    const payer = this.managedUser(caller, input.payerId, '/data/relationships/user');
    if (payer.isErr()) return err(payer.error);
    const externalId = optionalText(input.externalId, '/data/attributes/external_id');
    if (externalId.isErr()) return err(externalId.error);
    const code = optionalText(input.paymentAuthorizationCode, '/data/attributes/payment_authorization_code');
    if (code.isErr()) return err(code.error);
    const change = draftRequest({
      id: this.deps.ids.next('request'),
      ownerId: caller.id,
      payerId: payer.value.id,
      portCode: port.value.code,
      externalId: externalId.value ?? null,
      paymentAuthorizationCode: code.value ?? null,
      now: this.now(),
    });
    return this.apply(change).map((c) => presentRequest(c.request));
  }

  getRequest(caller: UserRecord, id: string): R<RequestView> {
    this.tick();
    return this.ownRequest(caller, id).map(presentRequest);
  }

  getRequestWithOutputs(caller: UserRecord, id: string): R<RequestWithOutputs> {
    this.tick();
    return this.ownRequest(caller, id).map((request) => ({
      ...presentRequest(request),
      outputs: Array.from(this.repos.outputs.listByRequest(request.id), (o) =>
        presentOutput(o, request.portCode),
      ),
    }));
  }

  listRequests(caller: UserRecord, query: ListRequestsQuery = {}): R<Page<RequestView>> {
    this.tick();
    const all = this.repos.requests.listByOwner(caller.id);
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
          this.repos.requests.save(updated);
          return presentRequest(updated);
        }),
    );
  }

  requestQuote(caller: UserRecord, id: string, input: { hintToken?: string } = {}): R<RequestView> {
    this.tick();
    return this.ownRequest(caller, id).andThen((request): R<RequestView> => {
      const now = this.now();
      const outputs = this.repos.outputs.listByRequest(request.id);
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
        const prices = this.deps.hints
          .decode(input.hintToken)
          .andThen((binding) => matchHint(binding, request, outputs, now))
          .mapErr((e) => fromDomainError(e, '/data/attributes/hint_token'));
        if (prices.isErr()) return err(prices.error);
        return this.applyDomain(requestQuote(request, now, now))
          .andThen((c) =>
            this.applyInParts(
              produceQuoteInParts(
                c.request,
                outputs,
                (o) => prices.value.get(o.id) as OutputPrice,
                now,
                this.windows,
                true,
                COMMIT_PART,
              ),
            ),
          )
          .map((c) => presentRequest(c.request));
      }
      const destinations = destinationsOf(outputs);
      const eta = now + this.quoteDelay(destinations);
      return this.applyDomain(requestQuote(request, now, eta)).andThen((c) =>
        eta <= now ? this.quoteNow(c.request, now, destinations) : ok(presentRequest(c.request)),
      );
    });
  }

  acceptQuote(caller: UserRecord, id: string): R<RequestView> {
    this.tick();
    return this.ownRequest(caller, id)
      .andThen((request) => this.applyDomain(acceptQuote(request, this.now())))
      .map((c) => {
        this.tryStartWorking(c.request.id);
        return presentRequest(this.repos.requests.get(c.request.id) ?? c.request);
      });
  }

  cancelRequest(caller: UserRecord, id: string): R<RequestView> {
    this.tick();
    return this.ownRequest(caller, id)
      .andThen((request) =>
        this.applyDomain(
          cancelRequest(request, this.repos.outputs.listByRequest(request.id), 'cancel', this.now()),
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
    const origin = this.activePort(request.value.portCode, '/data/relationships/request');
    if (origin.isErr()) return err(origin.error);
    const destination = this.activePort(input.portCode, '/data/attributes/port_code');
    if (destination.isErr()) return err(destination.error);
    const target = this.target(input, origin.value, destination.value, '/data/attributes');
    if (target.isErr()) return err(target.error);
    const payee = this.managedUser(caller, input.payeeId, '/data/relationships/user');
    if (payee.isErr()) return err(payee.error);
    const instruction = this.ownInstruction(caller, input.withdrawalInstructionId).mapErr(() =>
      conciergeError.unprocessable(
        'unknown_withdrawal_instruction',
        `withdrawal instruction ${String(input.withdrawalInstructionId)} does not exist or is not yours`,
        '/data/relationships/withdrawal_instruction',
      ),
    );
    if (instruction.isErr()) return err(instruction.error);
    const now = this.now();
    const id = this.deps.ids.next('output');
    const draft = {
      id,
      requestId: request.value.id,
      payeeId: payee.value.id,
      withdrawalInstructionId: instruction.value.id,
      portCode: destination.value.code,
      target: target.value,
      now,
    };
    // The checks run as soon as the output exists (SPEC section 9); deciding them first
    // records accepting and then accepted or rejected in one change: one commit per new
    // output instead of two. They read nothing the new output changes.
    // The draft as it is (no price yet): no `{ ...draft, price: null }` copy per output, for speed.
    const verdict = this.verdictFor(request.value, draft);
    if (verdict.isErr()) {
      // The pricing source failed: the output is kept accepting, as when checks ran after it.
      const added = this.applyDomain(addOutput(request.value, draft));
      return added.isErr() ? err(added.error) : err(verdict.error);
    }
    return this.applyDomain(addCheckedOutput(request.value, draft, verdict.value)).map((change) =>
      presentOutput(change.outputs[0] as Output, request.value.portCode),
    );
  }

  getOutput(caller: UserRecord, id: string): R<OutputView> {
    this.tick();
    return this.ownOutput(caller, id).map(({ output, request }) => presentOutput(output, request.portCode));
  }

  listOutputs(caller: UserRecord, query: ListOutputsQuery = {}): R<Page<OutputView>> {
    this.tick();
    const requests =
      query.requestId === undefined
        ? this.repos.requests.listByOwner(caller.id)
        : [this.repos.requests.get(query.requestId)].filter(
            (r): r is Request => r !== undefined && r.ownerId === caller.id,
          );
    const outputs = this.repos.outputs;
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
    const origin = this.activePort(input.portCode, '/data/attributes/port_code');
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
      const destination = this.activePort(line.portCode, `${at}/port_code`);
      if (destination.isErr()) return err(destination.error);
      const target = this.target(line, origin.value, destination.value, at);
      if (target.isErr()) return err(target.error);
      const quote = this.deps.pricing.quote(origin.value, destination.value);
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
      hintToken: this.deps.hints.encode(binding),
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

  createUser(caller: UserRecord, input: CreateUserInput): R<UserView> {
    if (typeof input.email !== 'string' || !EMAIL.test(input.email))
      return unprocessable(
        'invalid_attribute',
        'email must be an address such as ana@example.com',
        '/data/attributes/email',
      );
    const name = optionalText(input.name, '/data/attributes/name');
    if (name.isErr()) return err(name.error);
    const user: UserRecord = {
      id: this.deps.ids.next('user'),
      email: input.email,
      name: name.value ?? null,
      role: 'managed',
      masterId: caller.id,
      complianceStatus: this.policy.initialCompliance(input.email),
      apiKey: null,
      webhookUrl: null,
      createdAt: this.now(),
    };
    this.repos.users.save(user);
    return ok(presentUser(user, []));
  }

  getUser(caller: UserRecord, id: string): R<UserView> {
    const user = id === caller.id ? ok(caller) : this.managedUser(caller, id);
    return user.map((u) => presentUser(u, this.repos.balances.listByUser(u.id)));
  }

  listUsers(caller: UserRecord, query: { page?: PageQuery } = {}): R<Page<UserView>> {
    return pageOf(this.repos.users.listByMaster(caller.id), query.page, (u) =>
      presentUser(u, this.repos.balances.listByUser(u.id)),
    );
  }

  me(caller: UserRecord): R<UserView> {
    return ok(
      presentUser(this.repos.users.get(caller.id) ?? caller, this.repos.balances.listByUser(caller.id)),
    );
  }

  updateMe(caller: UserRecord, input: UpdateMeInput): R<UserView> {
    const url = input.webhookUrl;
    if (url !== undefined && url !== null) {
      let parsed: URL | undefined;
      try {
        parsed = typeof url === 'string' && url.length <= 2048 ? new URL(url) : undefined;
      } catch {
        parsed = undefined;
      }
      if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:'))
        return unprocessable(
          'invalid_attribute',
          'webhook_url must be an http or https URL',
          '/data/attributes/webhook_url',
        );
    }
    const current = this.repos.users.get(caller.id) ?? caller;
    const updated: UserRecord = url === undefined ? current : { ...current, webhookUrl: url };
    this.repos.users.save(updated);
    return this.me(updated);
  }

  // ---------------------------------------------------------------- withdrawal instructions

  createWithdrawalInstruction(
    caller: UserRecord,
    input: CreateWithdrawalInstructionInput,
  ): R<WithdrawalInstructionView> {
    const user = this.managedUser(caller, input.userId, '/data/relationships/user');
    if (user.isErr()) return err(user.error);
    if (typeof input.label !== 'string' || input.label.trim() === '' || input.label.length > 100)
      return unprocessable(
        'invalid_attribute',
        'label must be text of 1 to 100 characters',
        '/data/attributes/label',
      );
    const body = input.body;
    if (typeof body !== 'object' || body === null || Array.isArray(body))
      return unprocessable(
        'invalid_attribute',
        'body must be an object of text fields',
        '/data/attributes/body',
      );
    const entries = Object.entries(body);
    if (entries.length > 50)
      return unprocessable(
        'invalid_attribute',
        'body has too many fields (50 at most)',
        '/data/attributes/body',
      );
    for (const [key, value] of entries)
      if (typeof value !== 'string' || value.length > MAX_TEXT)
        return unprocessable(
          'invalid_attribute',
          `expected text of at most ${MAX_TEXT} characters`,
          `/data/attributes/body/${key}`,
        );
    const required: [string, RegExp, string][] = [
      ['payment_method', /^.{1,64}$/, 'a payment method such as "bank_transfer"'],
      ['country', /^[A-Za-z]{2}$/, 'an ISO 3166-1 alpha-2 country such as "CL"'],
      ['currency', /^[A-Za-z]{3}$/, 'an ISO 4217 currency such as "CLP"'],
    ];
    for (const [key, pattern, expected] of required)
      if (typeof body[key] !== 'string' || !pattern.test(body[key] as string))
        return unprocessable(
          'invalid_attribute',
          `body.${key} must be ${expected}`,
          `/data/attributes/body/${key}`,
        );
    const record: WithdrawalInstructionRecord = {
      id: this.deps.ids.next('instruction'),
      userId: user.value.id,
      masterId: caller.id,
      label: input.label,
      body: { ...body },
      createdAt: this.now(),
    };
    this.repos.withdrawalInstructions.save(record);
    return ok(presentInstruction(record));
  }

  getWithdrawalInstruction(caller: UserRecord, id: string): R<WithdrawalInstructionView> {
    return this.ownInstruction(caller, id).map(presentInstruction);
  }

  listWithdrawalInstructions(
    caller: UserRecord,
    query: ListWithdrawalInstructionsQuery = {},
  ): R<Page<WithdrawalInstructionView>> {
    const all = this.repos.withdrawalInstructions.listByMaster(caller.id);
    const filtered = query.userId === undefined ? all : all.filter((i) => i.userId === query.userId);
    return pageOf(filtered, query.page, presentInstruction);
  }

  // ---------------------------------------------------------------- operator (SPEC section 9)

  /** Decides a user's compliance review and re-runs the checks of its accepting outputs. */
  setCompliance(caller: UserRecord, userId: string, status: ComplianceStatus): R<UserView> {
    this.tick();
    if (status !== 'approved' && status !== 'rejected' && status !== 'pending')
      return unprocessable('invalid_attribute', 'status must be approved, rejected or pending', '/status');
    const user = this.managedUser(caller, userId);
    if (user.isErr()) return err(user.error);
    this.repos.users.save({ ...user.value, complianceStatus: status });
    for (const output of [...this.repos.outputs.listAcceptingByPayee(userId)]) {
      const checked = this.runChecks(output.id);
      if (checked.isErr()) return err(checked.error);
    }
    return this.getUser(caller, userId);
  }

  /** Credits a deposit to a user's balance; quote_accepted requests it now covers start working. */
  deposit(caller: UserRecord, userId: string, input: { portCode: unknown; amount: unknown }): R<UserView> {
    this.tick();
    const user = this.managedUser(caller, userId);
    if (user.isErr()) return err(user.error);
    const port = this.activePort(input.portCode, '/port_code');
    if (port.isErr()) return err(port.error);
    const amount = parseMoney(input.amount, port.value.currency.code).mapErr((e) =>
      fromDomainError(e, '/amount'),
    );
    if (amount.isErr()) return err(amount.error);
    const balance =
      this.repos.balances.get(userId, amount.value.currency) ?? emptyBalance(userId, port.value.currency);
    const credited = applyMovement(balance, { kind: 'deposit', payerId: userId, amount: amount.value });
    if (credited.isErr()) return err(fromDomainError(credited.error, '/amount'));
    this.repos.balances.save(credited.value);
    for (const request of this.repos.requests.listByOwner(caller.id))
      if (request.payerId === userId && request.state === 'quote_accepted') this.tryStartWorking(request.id);
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
        presentOutput(this.repos.outputs.get(output.id) ?? output, request.portCode),
      ),
    );
  }

  /** The caller's events, oldest first. */
  listEvents(caller: UserRecord): StoredEvent[] {
    this.tick();
    return [...this.deps.events.list(caller.id)];
  }

  /** Empties everything but the master users. */
  reset(): void {
    this.repos.requests.clear();
    this.repos.outputs.clear();
    this.repos.withdrawalInstructions.clear();
    this.repos.balances.clear();
    this.repos.users.clearManaged();
    this.deps.events.clear();
  }

  /** Applies every time-based transition due now: quote at eta, quote expiry, funds deadline. */
  tick(): void {
    const now = this.now();
    // Every call ticks: collect only the requests with something due (usually none)
    // rather than copying the list of active requests each time.
    const due: Request[] = [];
    for (const request of this.repos.requests.listActive())
      if (dueTimeTrigger(request, now) !== null) due.push(request);
    for (const request of due) {
      for (;;) {
        const current = this.repos.requests.get(request.id);
        if (!current) break;
        const trigger = dueTimeTrigger(current, now);
        if (trigger === null) break;
        const at =
          trigger === 'produce_quote'
            ? (current.eta ?? now)
            : trigger === 'expire_quote'
              ? (current.acceptQuoteBefore ?? now)
              : (current.provisionFundsBefore ?? now);
        const done =
          trigger === 'produce_quote'
            ? this.quoteNow(current, at)
            : this.applyDomain(
                cancelRequest(
                  current,
                  this.repos.outputs.listByRequest(current.id),
                  trigger as CancelTrigger,
                  at,
                ),
              );
        if (done.isErr()) break;
      }
    }
  }

  // ---------------------------------------------------------------- internals

  private activePort(code: unknown, pointer: string): R<Port> {
    if (typeof code !== 'string')
      return unprocessable('invalid_port_code', 'port_code must be a string such as "ar_ars"', pointer);
    return findActivePort(this.deps.catalog.catalog(), code).mapErr((e) => fromDomainError(e, pointer));
  }

  /** A user the caller manages (404 otherwise, or 422 at `pointer` when it is a reference). */
  private managedUser(caller: UserRecord, id: unknown, pointer?: string): R<UserRecord> {
    const user = typeof id === 'string' ? this.repos.users.get(id) : undefined;
    if (user && user.role === 'managed' && user.masterId === caller.id) return ok(user);
    return err(
      pointer
        ? conciergeError.unprocessable(
            'unknown_user',
            `user ${String(id)} does not exist or is not yours`,
            pointer,
          )
        : conciergeError.notFound('user', String(id)),
    );
  }

  private ownRequest(caller: UserRecord, id: unknown): R<Request> {
    const request = typeof id === 'string' ? this.repos.requests.get(id) : undefined;
    return request && request.ownerId === caller.id
      ? ok(request)
      : err(conciergeError.notFound('concierge_request', String(id)));
  }

  private ownOutput(caller: UserRecord, id: unknown): R<{ output: Output; request: Request }> {
    const output = typeof id === 'string' ? this.repos.outputs.get(id) : undefined;
    const request = output ? this.repos.requests.get(output.requestId) : undefined;
    return output && request && request.ownerId === caller.id
      ? ok({ output, request })
      : err(conciergeError.notFound('concierge_request_output', String(id)));
  }

  private ownInstruction(caller: UserRecord, id: unknown): R<WithdrawalInstructionRecord> {
    const instruction = typeof id === 'string' ? this.repos.withdrawalInstructions.get(id) : undefined;
    return instruction && instruction.masterId === caller.id
      ? ok(instruction)
      : err(conciergeError.notFound('withdrawal_instruction', String(id)));
  }

  /** Exactly one of amount (destination currency) or budget (origin currency). */
  private target(
    input: { amount?: unknown; budget?: unknown },
    origin: Port,
    destination: Port,
    at: string,
  ): R<OutputTarget> {
    const hasAmount = input.amount !== undefined && input.amount !== null;
    const hasBudget = input.budget !== undefined && input.budget !== null;
    if (hasAmount === hasBudget)
      return unprocessable(
        'amount_or_budget',
        hasAmount ? 'give amount or budget, not both' : 'give exactly one of amount or budget',
        `${at}/amount`,
      );
    const given = hasAmount ? input.amount : input.budget;
    const currency = hasAmount ? destination.currency.code : origin.currency.code;
    const memo = hasAmount ? this.amountTargets : this.budgetTargets;
    const known = typeof given === 'number' ? memo.get(currency)?.get(given) : undefined;
    if (known) return ok(known);
    const parsed = hasAmount
      ? parseMoney(given, currency)
          .map((amount): OutputTarget => ({ kind: 'amount', amount }))
          .mapErr((e) => fromDomainError(e, `${at}/amount`))
      : parseMoney(given, currency)
          .map((budget): OutputTarget => ({ kind: 'budget', budget }))
          .mapErr((e) => fromDomainError(e, `${at}/budget`));
    if (parsed.isOk() && typeof given === 'number') {
      let byValue = memo.get(currency);
      if (!byValue) {
        byValue = new Map();
        memo.set(currency, byValue);
      }
      if (byValue.size < TARGET_MEMO_SIZE) byValue.set(given, parsed.value);
    }
    return parsed;
  }

  /**
   * Targets parsed from JSON numbers, per currency: outputs with the same amount share
   * one immutable target (and its money) instead of each keeping its own copy, about
   * 100 bytes an output at a million; the parse is skipped too. Bounded per currency.
   */
  private readonly amountTargets = new Map<string, Map<number, OutputTarget>>();
  private readonly budgetTargets = new Map<string, Map<number, OutputTarget>>();

  /** The longest quote delay among the destinations to be priced (0 when none is delayed). */
  private quoteDelay(destinations: ReadonlySet<string>): number {
    let longest = 0;
    for (const code of destinations) longest = Math.max(longest, this.portByCode(code)?.quoteDelayMs ?? 0);
    return longest;
  }

  /**
   * Produces the quote of a quote_requested request at `at`, from the pricing source.
   * `destinations`: those of its outputs to price, when the caller has them already.
   */
  private quoteNow(request: Request, at: number, destinations?: ReadonlySet<string>): R<RequestView> {
    const catalog = this.deps.catalog.catalog();
    const origin = findActivePort(catalog, request.portCode);
    if (origin.isErr()) return err(fromDomainError(origin.error));
    const outputs = this.repos.outputs.listByRequest(request.id);
    // One pricer per destination: all_in_rate is worked out once per port, not per output.
    const pricers = new Map<string, (target: OutputTarget) => OutputPrice>();
    for (const code of destinations ?? destinationsOf(outputs)) {
      const port = findActivePort(catalog, code);
      if (port.isErr()) return err(fromDomainError(port.error));
      const quote = this.deps.pricing.quote(origin.value, port.value);
      if (quote.isErr()) return err(quote.error);
      pricers.set(code, pricer(quote.value, origin.value.currency, port.value.currency));
    }
    const priceOf = (o: Output): OutputPrice =>
      (pricers.get(o.portCode) as (target: OutputTarget) => OutputPrice)(o.target);
    return this.applyInParts(
      produceQuoteInParts(request, outputs, priceOf, at, this.windows, false, COMMIT_PART),
    ).map((c) => presentRequest(c.request));
  }

  /** Starts work on a quote_accepted request if its payer's balance covers it. */
  private tryStartWorking(requestId: string): void {
    const request = this.repos.requests.get(requestId);
    if (request?.state !== 'quote_accepted' || !request.totalToSpend) return;
    const currency = { code: request.totalToSpend.currency, exponent: request.totalToSpend.scale };
    const balance =
      this.repos.balances.get(request.payerId, currency.code) ?? emptyBalance(request.payerId, currency);
    // Refused when the balance does not cover it: the request waits for a deposit.
    this.applyInParts(
      startWorkingInParts(
        request,
        this.repos.outputs.listByRequest(request.id),
        availableMoney(balance),
        this.now(),
        COMMIT_PART,
      ),
    );
  }

  /** Runs the acceptance checks of an accepting output and applies the verdict. */
  private runChecks(outputId: string): R<void> {
    const output = this.repos.outputs.get(outputId);
    const request = output && this.repos.requests.get(output.requestId);
    if (!output || !request || output.state !== 'accepting') return ok(undefined);
    const verdict = this.verdictFor(request, output);
    if (verdict.isErr()) return err(verdict.error);
    switch (verdict.value.kind) {
      case 'pending':
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
    const payee = this.repos.users.get(output.payeeId);
    const instruction = this.repos.withdrawalInstructions.get(output.withdrawalInstructionId);
    const catalog = this.deps.catalog.catalog();
    const origin = findActivePort(catalog, request.portCode);
    const port = findActivePort(catalog, output.portCode);
    if (!payee || !instruction || origin.isErr() || port.isErr())
      return ok({ kind: 'fail', reason: 'instruction_mismatch' });
    const forced = this.policy.instructionVerdict(instruction);
    if (forced) return ok({ kind: 'fail', reason: forced });
    let amount = output.price?.amount;
    if (!amount) {
      const quote = this.deps.pricing.quote(origin.value, port.value);
      if (quote.isErr()) return err(quote.error);
      amount = amountInDestination(output.target, quote.value, port.value.currency);
    }
    return ok(
      acceptanceChecks({
        payee: { id: payee.id, complianceStatus: payee.complianceStatus },
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

  /** A port of the catalog by code, active or not (undefined if unknown). */
  private portByCode(code: string): Port | undefined {
    // Looked up for every output given up; the index is rebuilt when the catalog changes.
    const catalog = this.deps.catalog.catalog();
    if (this.portIndex?.catalog !== catalog)
      this.portIndex = { catalog, byCode: new Map(catalog.ports.map((p) => [p.code as string, p])) };
    return this.portIndex.byCode.get(code);
  }

  private portIndex: { catalog: PortCatalog; byCode: Map<string, Port> } | undefined;

  private returnCost(output: Output, action: OutputAction): Money | undefined {
    return action === 'give_up' ? this.portByCode(output.portCode)?.returnCost : undefined;
  }

  private step(request: Request, output: Output, action: OutputAction, reason?: string): R<void> {
    const returnCost = this.returnCost(output, action);
    return this.applyDomain(
      stepOutput(request, output, action, this.now(), {
        ...(reason === undefined ? {} : { reason }),
        ...(returnCost === undefined ? {} : { returnCost }),
      }),
    ).map(() => undefined);
  }

  private applyDomain(result: Result<Change, DomainError>): R<Change> {
    return result.mapErr((e) => fromDomainError(e)).andThen((change) => this.apply(change));
  }

  /**
   * Stores a change: balances first (checked before anything is written), then the
   * request, outputs and events; then lets scripted outcomes (sandbox magic values) run.
   */
  private apply(change: Change): R<Change> {
    const committed = this.commit(change);
    if (committed.isErr()) return err(committed.error);
    // Most changes (a new output, a request move) start no work: no queue for them.
    if (change.outputs.some(isWorking)) {
      const scripted = this.scriptQueue();
      scripted.add(change.outputs);
      this.automate(scripted);
    }
    return ok(change);
  }

  /**
   * Stores a change that comes in parts, part by part, then lets scripted outcomes run for
   * the outputs that started working, once every part is stored (as after one change).
   * Answers with the last part, which holds the request as it ends. A refused part stops
   * the series; the domain refuses only the first one (before anything moved).
   */
  private applyInParts(parts: Iterable<Result<Change, DomainError>>): R<Change> {
    let last: R<Change> = err(conciergeError.server('the change had no parts'));
    const scripted = this.scriptQueue();
    for (const part of parts) {
      if (part.isErr()) return err(fromDomainError(part.error));
      const committed = this.commit(part.value);
      if (committed.isErr()) return err(committed.error);
      scripted.add(part.value.outputs);
      last = ok(part.value);
    }
    this.automate(scripted);
    return last;
  }

  private commit(change: Change): R<void> {
    // Most changes move no money: no balances to read or write then.
    if (change.movements.length > 0) {
      const balances = new Map<string, Balance>();
      const movements = change.movements;
      for (let i = 0; i < movements.length; ) {
        const [movement, end] = coalesced(movements, i);
        i = end;
        const currency =
          movement.kind === 'return'
            ? { code: movement.refunded.currency, exponent: movement.refunded.scale }
            : { code: movement.amount.currency, exponent: movement.amount.scale };
        const key = `${movement.payerId}|${currency.code}`;
        const current =
          balances.get(key) ??
          this.repos.balances.get(movement.payerId, currency.code) ??
          emptyBalance(movement.payerId, currency);
        const next = applyMovement(current, movement);
        if (next.isErr())
          return err(conciergeError.server(`balance refused a ${movement.kind}: ${next.error.message}`));
        balances.set(key, next.value);
      }
      for (const balance of balances.values()) this.repos.balances.save(balance);
    }
    this.repos.requests.save(change.request);
    for (const output of change.outputs) this.repos.outputs.save(output);
    if (change.events.length > 0) {
      const ownerId = change.request.ownerId;
      const sink = this.deps.events;
      // Without wrapping each event with its owner when the store takes them as they are.
      if (sink.publishFor) sink.publishFor(ownerId, change.events);
      else sink.publish(change.events.map((event): OutboundEvent => ({ event, ownerId })));
    }
    return ok(undefined);
  }

  /**
   * Outcomes that sandbox instructions script for working outputs (SPEC section 9).
   * Outputs of one request with the same steps move together, `AUTOMATE_BATCH` per
   * commit, step by step (all issued, then all settled): the per-output work of a
   * million-output request was two commits per output. Each output still goes through
   * its own lifecycle in order, with one event per state change. Outputs wait as ids and
   * are read a batch at a time: a million-output request never has its million outputs in
   * memory at once.
   */
  private automate(queue: ScriptQueue): void {
    let current = queue;
    while (current.groups.size > 0) {
      const again = new ScriptQueue(current.stepsOf);
      for (const byScript of current.groups.values())
        for (const [steps, ids] of byScript)
          for (let start = 0; start < ids.length; start += AUTOMATE_BATCH)
            this.runScript(this.outputsOf(ids, start, start + AUTOMATE_BATCH), steps, again);
      current = again;
    }
  }

  /** A queue for the scripted outcomes of outputs, each instruction's script looked up once. */
  private scriptQueue(): ScriptQueue {
    const scripts = new Map<string, OutcomeScript | null>();
    return new ScriptQueue((output) => this.scriptedSteps(output, scripts));
  }

  /** The outputs of `ids[start, end)`, as stored now (those that no longer exist are left out). */
  private outputsOf(ids: readonly string[], start: number, end: number): Output[] {
    const outputs: Output[] = [];
    for (let i = start; i < end && i < ids.length; i += 1) {
      const output = this.repos.outputs.get(ids[i] as string);
      if (output) outputs.push(output);
    }
    return outputs;
  }

  /** Runs the steps over a batch of working outputs of one request; those working again (retried) go to `again`. */
  private runScript(batch: readonly Output[], steps: readonly OutputAction[], again: ScriptQueue): void {
    if (batch.length === 0) return;
    let current = batch;
    for (const [index, action] of steps.entries()) {
      const request = this.repos.requests.get((current[0] as Output).requestId);
      if (!request || isFinalRequestState(request.state)) return;
      const done = stepOutputs(request, current, action, this.now(), {
        reason: 'refused_by_receiving_bank',
        returnCostOf: (o) => this.returnCost(o, action),
      });
      if (done.isErr() || this.commit(done.value).isErr()) {
        // Refused as a whole (not expected): the rest one output at a time, as they would alone.
        for (const output of current) this.runScriptFor(output.id, steps.slice(index), again);
        return;
      }
      // stepOutputs lists the outputs it moved in the order given, one each.
      current = done.value.outputs;
    }
    again.add(current);
  }

  private runScriptFor(outputId: string, steps: readonly OutputAction[], again: ScriptQueue): void {
    for (const action of steps) {
      const output = this.repos.outputs.get(outputId);
      const request = output && this.repos.requests.get(output.requestId);
      if (!output || !request || isFinalRequestState(request.state)) break;
      const returnCost = this.returnCost(output, action);
      const done = stepOutput(request, output, action, this.now(), {
        reason: 'refused_by_receiving_bank',
        ...(returnCost === undefined ? {} : { returnCost }),
      });
      if (done.isErr() || this.commit(done.value).isErr()) break;
    }
    const after = this.repos.outputs.get(outputId);
    if (after) again.add([after]);
  }

  /** The steps scripted for a working output now; `scripts` remembers each instruction's script. */
  private scriptedSteps(output: Output, scripts: Map<string, OutcomeScript | null>): readonly OutputAction[] {
    if (output.state !== 'working') return NO_STEPS;
    let script = scripts.get(output.withdrawalInstructionId);
    if (script === undefined) {
      const instruction = this.repos.withdrawalInstructions.get(output.withdrawalInstructionId);
      script = instruction ? this.policy.outcomeScript(instruction) : null;
      scripts.set(output.withdrawalInstructionId, script);
    }
    switch (script) {
      case null:
        return NO_STEPS;
      case 'settle':
        return SETTLE_STEPS;
      case 'fail_once_then_settle':
        return output.attempts < 2 ? RETRY_STEPS : SETTLE_STEPS;
      case 'fail_until_returned':
        return output.attempts < this.maxAttempts ? RETRY_STEPS : RETURN_STEPS;
      default: {
        const unreachable: never = script;
        return unreachable;
      }
    }
  }
}

/**
 * The movement at `start`, or, when it starts a run of spends or of refunds by the same
 * payer in the same currency, one movement of the run's sum; and where the next movement
 * starts. For speed: settling a million outputs is a million spends, and applying each
 * made a Balance (and a key string) per output. Spends and refunds refuse nothing but a
 * foreign currency (the same for the whole run) and only add up, so the balance comes
 * out the same; debits, which can be refused, and returns are applied one by one.
 */
const coalesced = (movements: readonly MoneyMovement[], start: number): [MoneyMovement, number] => {
  const first = movements[start] as MoneyMovement;
  if (first.kind !== 'spend' && first.kind !== 'refund') return [first, start + 1];
  let end = start + 1;
  let sum = first.amount.amount;
  for (; end < movements.length; end += 1) {
    const m = movements[end] as MoneyMovement;
    if (
      m.kind !== first.kind ||
      m.payerId !== first.payerId ||
      m.amount.currency !== first.amount.currency ||
      m.amount.scale !== first.amount.scale
    )
      break;
    sum += m.amount.amount;
  }
  if (end === start + 1) return [first, end];
  return [
    { ...first, amount: { amount: sum, currency: first.amount.currency, scale: first.amount.scale } },
    end,
  ];
};

/** The destination ports of the outputs a quote prices (accepting or accepted), each once, in order of first use. */
const destinationsOf = (outputs: Iterable<Output>): Set<string> => {
  const codes = new Set<string>();
  for (const output of outputs)
    if (output.state === 'accepting' || output.state === 'accepted') codes.add(output.portCode);
  return codes;
};

const isWorking = (output: Output): boolean => output.state === 'working';

/**
 * Working outputs whose instructions script an outcome, waiting for it: by request, then
 * by steps (a shared constant array), as ids in order (ids rather than outputs: a million
 * may wait at once).
 */
class ScriptQueue {
  readonly groups = new Map<string, Map<readonly OutputAction[], string[]>>();

  constructor(readonly stepsOf: (output: Output) => readonly OutputAction[]) {}

  /** Queues those of `outputs` (as stored now) that are working and scripted. */
  add(outputs: readonly Output[]): void {
    for (const output of outputs) {
      if (!isWorking(output)) continue;
      const steps = this.stepsOf(output);
      if (steps.length === 0) continue;
      let byScript = this.groups.get(output.requestId);
      if (!byScript) {
        byScript = new Map();
        this.groups.set(output.requestId, byScript);
      }
      const ids = byScript.get(steps);
      if (ids) ids.push(output.id);
      else byScript.set(steps, [output.id]);
    }
  }
}

/**
 * Outputs per part when a change over a whole request is stored part by part (pricing,
 * start of work): the new versions of a part die young instead of a million of them
 * being held, and promoted to the old generation, until one commit.
 */
const COMMIT_PART = 1024;

/** How many distinct numbers per currency `target` remembers. */
const TARGET_MEMO_SIZE = 4096;

/** Outputs moved per commit by scripted outcomes: few commits, and each batch's garbage dies young. */
const AUTOMATE_BATCH = 1024;

// Shared constant step lists: `automate` groups outputs by identity of their list.
const NO_STEPS: readonly OutputAction[] = [];
const SETTLE_STEPS: readonly OutputAction[] = ['issue', 'settle'];
const RETRY_STEPS: readonly OutputAction[] = ['issue', 'fail', 'retry'];
const RETURN_STEPS: readonly OutputAction[] = ['issue', 'fail', 'give_up'];

export type { CancelTrigger };
