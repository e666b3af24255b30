import {
  type Balance,
  type DomainError,
  type HintBinding,
  momentOf,
  type Output,
  type Port,
  type PortCatalog,
  type PriceQuote,
  parseFee,
  parseMoney,
  parsePortCode,
  parseRate,
  type Request,
  requiredFieldsOf,
  type SandboxPortCode,
  type TestOutcome,
  testInstructionBody,
} from '@concierge-ts/domain';
import { err, ok, type Result } from 'neverthrow';
import {
  type ConciergeError,
  ConciergeService,
  type ControllableClock,
  conciergeError,
  type EventStore,
  type HintTokenCodec,
  type IdKind,
  type IdSource,
  MAGIC_VALUES,
  type OutboundEvent,
  type OutputView,
  type PricingSource,
  type Repositories,
  type RequestView,
  type SandboxPolicy,
  type SandboxTimings,
  type StoredEvent,
  type TimedMoveFailure,
  type UserRecord,
  type UserView,
  type WithdrawalInstructionRecord,
} from '../../src/index.js';
import type { Scheduler } from '../../src/provider/scheduler.js';
import { pointerOf } from '../error-location.js';

/**
 * The provider's world for the application's own tests: its ports as plain maps and lists
 * (written here, independently of the in-memory adapter), a clock moved by hand, and
 * helpers to make the users, instructions, requests and outputs SPEC section 2 names.
 */

/** Where an unprocessable refusal points (SPEC section 5: each refusal names the field). */
export const locationOf = (error: ConciergeError): string | undefined =>
  'field' in error && error.field !== undefined ? pointerOf(error.field) : undefined;

/** Monday 2026-01-05 12:00:00 UTC. */
export const START = Date.UTC(2026, 0, 5, 12, 0, 0);
export const SECOND = 1_000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;

export class HandClock implements ControllableClock {
  constructor(private current = START) {}
  now(): number {
    return this.current;
  }
  advance(ms: number): void {
    this.current += ms;
  }
}

/** Repositories as maps kept in insertion order (oldest first). */
export const mapRepositories = (): Repositories => {
  const requests = new Map<string, Request>();
  const outputs = new Map<string, Output>();
  const users = new Map<string, UserRecord>();
  const instructions = new Map<string, WithdrawalInstructionRecord>();
  const balances = new Map<string, Balance>();
  return {
    requests: {
      get: (id) => requests.get(id),
      save: (r) => void requests.set(r.id, r),
      listByOwner: (ownerId) => [...requests.values()].filter((r) => r.ownerId === ownerId),
      listActive: () =>
        [...requests.values()].filter((r) => r.state !== 'finished' && r.state !== 'cancelled'),
      clear: () => requests.clear(),
    },
    outputs: {
      get: (id) => outputs.get(id),
      save: (o) => void outputs.set(o.id, o),
      listByRequest: (requestId) => [...outputs.values()].filter((o) => o.requestId === requestId),
      listByRequestAndState: (requestId, state) =>
        [...outputs.values()].filter((o) => o.requestId === requestId && o.state === state),
      listAcceptingByPayee: (payeeId) =>
        [...outputs.values()].filter((o) => o.payeeId === payeeId && o.state === 'accepting'),
      clear: () => outputs.clear(),
    },
    users: {
      get: (id) => users.get(id),
      save: (u) => void users.set(u.id, u),
      findByApiKey: (key) => [...users.values()].find((u) => u.apiKey === key),
      listByMaster: (masterId) => [...users.values()].filter((u) => u.masterId === masterId),
      clearManaged: () => {
        for (const [id, u] of users) if (u.role !== 'master') users.delete(id);
      },
    },
    withdrawalInstructions: {
      get: (id) => instructions.get(id),
      save: (i) => void instructions.set(i.id, i),
      listByMaster: (masterId) => [...instructions.values()].filter((i) => i.masterId === masterId),
      delete: (id) => void instructions.delete(id),
      clear: () => instructions.clear(),
    },
    balances: {
      get: (userId, currency) => balances.get(`${userId}|${currency}`),
      save: (b) => void balances.set(`${b.userId}|${b.currency}`, b),
      listByUser: (userId) => [...balances.values()].filter((b) => b.userId === userId),
      clear: () => balances.clear(),
    },
  };
};

/** An event log that keeps every event with what it says of its resource then. */
export class ListEventStore implements EventStore {
  readonly stored: StoredEvent[] = [];
  private next = 1;

  publish(events: readonly OutboundEvent[]): void {
    for (const e of events) this.append(e);
  }

  list(ownerId: string): StoredEvent[] {
    return this.stored.filter((e) => e.ownerId === ownerId);
  }

  markSent(eventId: string, at: number): void {
    const i = this.stored.findIndex((e) => e.id === eventId);
    const found = this.stored[i];
    if (found && found.sentAt === null) this.stored[i] = { ...found, sentAt: at };
  }

  clear(): void {
    this.stored.length = 0;
  }

  private append({ event, ownerId, user, instruction }: OutboundEvent): void {
    const snapshot: StoredEvent['snapshot'] =
      event.resource === 'request'
        ? { kind: 'request', request: event.request }
        : event.resource === 'output'
          ? { kind: 'output', moment: momentOf(event.output) }
          : user
            ? { kind: 'user', user }
            : instruction
              ? { kind: 'withdrawalInstruction', instruction }
              : null;
    this.stored.push({
      id: String(this.next++),
      eventType: event.eventType,
      resource: event.resource,
      resourceId: event.resourceId,
      ownerId,
      at: event.at,
      sentAt: null,
      snapshot,
    });
  }
}

export class CountingIds implements IdSource {
  private n = 0;
  next(kind: IdKind): string {
    this.n += 1;
    return `${kind[0]}${this.n}`;
  }
  apiKey(): string {
    this.n += 1;
    return `key-${this.n}`;
  }
}

export class RememberedHints implements HintTokenCodec {
  private readonly bindings = new Map<string, HintBinding>();
  encode(binding: HintBinding): string {
    const token = `hint-${this.bindings.size + 1}`;
    this.bindings.set(token, binding);
    return token;
  }
  decode(token: string): Result<HintBinding, DomainError> {
    const binding = this.bindings.get(token);
    return binding
      ? ok(binding)
      : err({ type: 'HintTokenRefused', code: 'hint_token_malformed', message: 'unknown hint token' });
  }
}

interface PortRow {
  readonly code: string;
  readonly min: string;
  readonly max: string;
  readonly delayMs: number;
  readonly returnCost: string;
  readonly active?: boolean;
}

/** The ports these tests use: quotes to us_usd are delayed an hour (SPEC section 6), the others are not. */
export const PORT_ROWS: readonly PortRow[] = [
  { code: 'ar_ars', min: '100', max: '50000000', delayMs: 0, returnCost: '500' },
  { code: 'cl_clp', min: '1000', max: '50000000', delayMs: 0, returnCost: '3000' },
  { code: 'mx_mxn', min: '10', max: '1000000', delayMs: 0, returnCost: '50' },
  { code: 'us_usd', min: '1', max: '100000', delayMs: HOUR, returnCost: '15' },
  { code: 'uy_uyu', min: '50', max: '2000000', delayMs: 0, returnCost: '150', active: false },
];

const portOf = (row: PortRow): Port => {
  const parsed = parsePortCode(row.code)._unsafeUnwrap();
  const m = (v: string) => parseMoney(v, parsed.currency.code, { allowZero: true })._unsafeUnwrap();
  return {
    code: parsed.code,
    country: parsed.country,
    currency: parsed.currency,
    minAmount: m(row.min),
    maxAmount: m(row.max),
    quoteDelayMs: row.delayMs,
    returnCost: m(row.returnCost),
    active: row.active ?? true,
    instructionFields: requiredFieldsOf(parsed.code),
  };
};

/** The catalog of `PORT_ROWS`. */
export const testCatalog = (): PortCatalog => ({ ports: PORT_ROWS.map(portOf) });

/** Mid-market rate and fee per destination currency, from any origin: round figures. */
export const RATES: Readonly<Record<string, { rate: string; fee: string }>> = {
  ARS: { rate: '1', fee: '0.01' },
  CLP: { rate: '0.5', fee: '0.01' },
  MXN: { rate: '0.02', fee: '0.01' },
  USD: { rate: '0.001', fee: '0.01' },
  UYU: { rate: '0.04', fee: '0.01' },
};

/** Prices from `RATES`, or a refusal while `down`. */
export class TablePricing implements PricingSource {
  down = false;
  quote(_origin: Port, destination: Port): Result<PriceQuote, ConciergeError> {
    if (this.down) return err(conciergeError.server('the rate source is down'));
    const row = RATES[destination.currency.code];
    if (!row) return err(conciergeError.server(`no rate to ${destination.code}`));
    return ok({ rate: parseRate(row.rate)._unsafeUnwrap(), fee: parseFee(row.fee)._unsafeUnwrap() });
  }
}

export interface WorldOptions {
  /** Default: the sandbox's magic values (SPEC section 9). */
  readonly policy?: SandboxPolicy;
  readonly timings?: Partial<SandboxTimings>;
  readonly scheduler?: Scheduler;
  readonly maxAttempts?: number;
  readonly events?: EventStore;
  /** Default: a `HandClock` at `START`. */
  readonly clock?: ControllableClock;
}

export const world = (options: WorldOptions = {}) => {
  const clock = options.clock ?? new HandClock();
  const repos = mapRepositories();
  const events = new ListEventStore();
  const pricing = new TablePricing();
  const failures: TimedMoveFailure[] = [];
  const catalog = testCatalog();
  const service = new ConciergeService({
    repositories: repos,
    catalog: { catalog: () => catalog },
    pricing,
    clock,
    ids: new CountingIds(),
    events: options.events ?? events,
    hints: new RememberedHints(),
    onMoveFailed: (failure) => failures.push(failure),
    policy: options.policy ?? MAGIC_VALUES,
    ...(options.timings ? { timings: options.timings } : {}),
    ...(options.scheduler ? { scheduler: options.scheduler } : {}),
    ...(options.maxAttempts ? { maxAttempts: options.maxAttempts } : {}),
  });
  const master = service.createMasterUser({ email: 'master@example.com' });
  let made = 0;
  const fresh = (role: string) => {
    made += 1;
    return `${role}${made}@example.com`;
  };

  const user = (email: string, as: UserRecord = master): UserView =>
    service.createUser(as, { email })._unsafeUnwrap();
  /** A payer with `funds` deposited in its origin port's currency. */
  const payer = (funds?: { portCode: string; amount: string }, as: UserRecord = master): UserView => {
    const u = user(fresh('payer'), as);
    if (funds) service.deposit(as, u.id, funds)._unsafeUnwrap();
    return u;
  };
  const instruction = (
    userId: string,
    port: SandboxPortCode,
    outcome: TestOutcome | 'other' = 'other',
    as: UserRecord = master,
  ) =>
    service
      .createWithdrawalInstruction(as, {
        userId,
        label: `${port} ${outcome}`,
        body: testInstructionBody(port, outcome),
      })
      ._unsafeUnwrap();
  const draft = (payerId: string, portCode = 'ar_ars', as: UserRecord = master): RequestView =>
    service.createRequest(as, { portCode, payerId })._unsafeUnwrap();
  /** A payee with an instruction for `port` of the given outcome, and an output paying it `amount`. */
  const output = (
    requestId: string,
    o: {
      port?: SandboxPortCode;
      amount?: number | string;
      budget?: number | string;
      outcome?: TestOutcome | 'other';
      payeeEmail?: string;
      as?: UserRecord;
    } = {},
  ): OutputView => {
    const as = o.as ?? master;
    const port = o.port ?? 'cl_clp';
    const payee = user(o.payeeEmail ?? fresh('payee'), as);
    const wi = instruction(payee.id, port, o.outcome ?? 'other', as);
    return service
      .createOutput(as, {
        requestId,
        payeeId: payee.id,
        withdrawalInstructionId: wi.id,
        portCode: port,
        ...(o.budget === undefined ? { amount: o.amount ?? 5000 } : { budget: o.budget }),
      })
      ._unsafeUnwrap();
  };
  const request = (id: string, as: UserRecord = master): RequestView =>
    service.getRequest(as, id)._unsafeUnwrap();
  const outputOf = (id: string, as: UserRecord = master): OutputView =>
    service.getOutput(as, id)._unsafeUnwrap();
  /** Event types of one resource, in order, with the instant each happened. */
  const eventsOf = (resourceId: string, as: UserRecord = master) =>
    service
      .listEvents(as)
      .filter((e) => e.resourceId === resourceId)
      .map((e) => ({ type: e.eventType, at: e.at - START }));
  const advance = (ms: number) => service.advance(clock, ms);
  /** One output added, its checks passed (2 s), then a quote asked for: the request is `quote_requested`. */
  const quoteRequested = (requestId: string): OutputView => {
    const added = output(requestId);
    advance(2 * 1_000);
    service.requestQuote(master, requestId)._unsafeUnwrap();
    return added;
  };
  return {
    clock,
    repos,
    events,
    pricing,
    failures,
    service,
    master,
    user,
    payer,
    instruction,
    draft,
    output,
    request,
    outputOf,
    eventsOf,
    advance,
    quoteRequested,
  };
};

export type World = ReturnType<typeof world>;
