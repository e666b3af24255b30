import type {
  Balance,
  ComplianceState,
  DomainError,
  DomainEvent,
  HintBinding,
  Output,
  OutputMoment,
  OutputState,
  Port,
  PortCatalog,
  PriceQuote,
  Request,
  WithdrawalInstructionBody,
} from '@concierge-ts/domain';
import type { Result } from 'neverthrow';
import type { ConciergeError } from '../gateway/errors.js';

/**
 * What the concierge service needs from the outside world. Adapters implement these;
 * the service never knows which. Repositories are synchronous: the service runs each
 * command to completion in one turn of the event loop, which makes it atomic.
 */

export interface UserRecord {
  readonly id: string;
  /** Null for a managed user created without one. */
  readonly email: string | null;
  readonly name: string | null;
  /** A master user is an integrator's account; managed users are its payers and payees. */
  readonly role: 'master' | 'managed';
  /** For managed users: the master who manages them. */
  readonly masterId: string | null;
  readonly complianceState: ComplianceState;
  readonly apiKey: string | null;
  readonly webhookUrl: string | null;
  readonly createdAt: number;
}

/** A withdrawal instruction as the domain checked it (`createWithdrawalInstruction`), with its master. */
export interface WithdrawalInstructionRecord {
  readonly id: string;
  readonly userId: string;
  readonly masterId: string;
  readonly label: string | null;
  readonly body: WithdrawalInstructionBody;
  readonly createdAt: number;
}

export interface RequestRepository {
  get(id: string): Request | undefined;
  save(request: Request): void;
  /** The owner's requests, oldest first. */
  listByOwner(ownerId: string): readonly Request[];
  /** Requests not in a final state (time-based transitions may be due). */
  listActive(): Iterable<Request>;
  clear(): void;
}

export interface OutputRepository {
  get(id: string): Output | undefined;
  save(output: Output): void;
  /**
   * A request's outputs, oldest first. It may be read lazily (a request can have a million
   * outputs): iterate it again rather than keep what it gave.
   */
  listByRequest(requestId: string): Iterable<Output>;
  /** Outputs of a request in a given state, oldest first. */
  listByRequestAndState(requestId: string, state: OutputState): Iterable<Output>;
  /** Outputs (any request) still `accepting` for this payee. */
  listAcceptingByPayee(payeeId: string): Iterable<Output>;
  clear(): void;
}

export interface UserRepository {
  get(id: string): UserRecord | undefined;
  save(user: UserRecord): void;
  findByApiKey(apiKey: string): UserRecord | undefined;
  /** Users managed by a master, oldest first. */
  listByMaster(masterId: string): readonly UserRecord[];
  /** Removes every user that is not a master. */
  clearManaged(): void;
}

export interface WithdrawalInstructionRepository {
  get(id: string): WithdrawalInstructionRecord | undefined;
  save(instruction: WithdrawalInstructionRecord): void;
  /** Instructions of a master's users, oldest first. */
  listByMaster(masterId: string): readonly WithdrawalInstructionRecord[];
  /** Removes one (nothing when there is no such id). */
  delete(id: string): void;
  clear(): void;
}

export interface BalanceRepository {
  get(userId: string, currency: string): Balance | undefined;
  save(balance: Balance): void;
  listByUser(userId: string): readonly Balance[];
  clear(): void;
}

export interface Repositories {
  readonly requests: RequestRepository;
  readonly outputs: OutputRepository;
  readonly users: UserRepository;
  readonly withdrawalInstructions: WithdrawalInstructionRepository;
  readonly balances: BalanceRepository;
}

export interface PortCatalogSource {
  catalog(): PortCatalog;
}

/** Mid-market rate and fee from an origin to a destination. */
export interface PricingSource {
  quote(origin: Port, destination: Port): Result<PriceQuote, ConciergeError>;
}

export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
}

/** A clock an operator can move forward (the sandbox's). */
export interface ControllableClock extends Clock {
  advance(ms: number): void;
}

export type IdKind = 'request' | 'output' | 'user' | 'instruction';

export interface IdSource {
  next(kind: IdKind): string;
  /** A new secret API key. */
  apiKey(): string;
}

/** A user as it was at one of its events: its record and its balances then. */
export interface UserSnapshot {
  readonly user: UserRecord;
  readonly balances: readonly Balance[];
}

/** A domain event with the master user it belongs to. */
export interface OutboundEvent {
  readonly event: DomainEvent;
  readonly ownerId: string;
  /** A user's event: the user as the change left it (a request's or an output's event carries its own). */
  readonly user?: UserSnapshot;
  /** A withdrawal instruction's event: the instruction (a destroyed one as it was before). */
  readonly instruction?: WithdrawalInstructionRecord;
}

/**
 * An output at one of its events, as a store keeps it: its moment, with the withdrawal
 * instruction given only when a retry changed it since (null: the one the output has now).
 */
export interface StoredOutputMoment extends Omit<OutputMoment, 'withdrawalInstructionId'> {
  readonly withdrawalInstructionId: string | null;
}

/**
 * What an event kept of its resource, as it was when the event happened (SPEC section 8):
 * the request itself (requests have few events), an output's moment (a million outputs
 * have five events each: the rest comes from the output as it is now, `outputAt`), a user
 * with its balances, a withdrawal instruction.
 */
export type StoredSnapshot =
  | { readonly kind: 'request'; readonly request: Request }
  | { readonly kind: 'output'; readonly moment: StoredOutputMoment }
  | { readonly kind: 'user'; readonly user: UserSnapshot }
  | { readonly kind: 'withdrawalInstruction'; readonly instruction: WithdrawalInstructionRecord };

export interface StoredEvent {
  /** Unique and increasing. */
  readonly id: string;
  readonly eventType: DomainEvent['eventType'];
  readonly resource: DomainEvent['resource'];
  readonly resourceId: string;
  readonly ownerId: string;
  readonly at: number;
  /** When it was first delivered to the owner's `webhook_url` (epoch ms), or null until then. */
  readonly sentAt: number | null;
  /** Its resource as it was then; null for a user's or an instruction's event published without it. */
  readonly snapshot: StoredSnapshot | null;
}

/** Where events go: a log kept for the operator, and whoever subscribed (webhooks). */
export interface EventSink {
  publish(events: readonly OutboundEvent[]): void;
  /**
   * Optional, for speed: the same as `publish` for events of one owner, without an
   * `OutboundEvent` wrapper per event (a large request emits millions of events).
   */
  publishFor?(ownerId: string, events: readonly DomainEvent[]): void;
}

export interface EventStore extends EventSink {
  /** The owner's events, oldest first. */
  list(ownerId: string): Iterable<StoredEvent>;
  /**
   * Records that an event was delivered at `at` (epoch ms): its `sentAt` from then on. Only
   * the first delivery counts; an unknown id (a cleared store's) changes nothing.
   */
  markSent(eventId: string, at: number): void;
  clear(): void;
}

export interface HintTokenCodec {
  encode(binding: HintBinding): string;
  decode(token: string): Result<HintBinding, DomainError>;
}
