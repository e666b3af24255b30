import type {
  BalanceRepository,
  OutputRepository,
  Repositories,
  RequestRepository,
  UserRecord,
  UserRepository,
  WithdrawalInstructionRecord,
  WithdrawalInstructionRepository,
} from '@concierge-ts/application';
import {
  type Balance,
  isFinalRequestState,
  OUTPUT_STATES,
  type Output,
  type OutputPrice,
  type OutputState,
  type OutputTarget,
  type PortCode,
  type Request,
} from '@concierge-ts/domain';

/** Requests by id, with the owner's in creation order and the active ones for the clock. */
export class InMemoryRequestRepository implements RequestRepository {
  private readonly byId = new Map<string, Request>();
  private readonly byOwner = new Map<string, string[]>();
  /** Requests not in a final state, by id: read at every call the service answers. */
  private readonly active = new Map<string, Request>();

  get(id: string): Request | undefined {
    return this.byId.get(id);
  }

  save(request: Request): void {
    if (!this.byId.has(request.id)) {
      const list = this.byOwner.get(request.ownerId) ?? [];
      list.push(request.id);
      this.byOwner.set(request.ownerId, list);
    }
    this.byId.set(request.id, request);
    if (isFinalRequestState(request.state)) this.active.delete(request.id);
    else this.active.set(request.id, request);
  }

  listByOwner(ownerId: string): readonly Request[] {
    return (this.byOwner.get(ownerId) ?? []).map((id) => this.byId.get(id) as Request);
  }

  listActive(): Iterable<Request> {
    return this.active.values();
  }

  clear(): void {
    this.byId.clear();
    this.byOwner.clear();
    this.active.clear();
  }
}

/** Outputs per chunk of the columns: they grow a chunk at a time and are never copied. */
const CHUNK_BITS = 14;
const CHUNK = 1 << CHUNK_BITS;
const MASK = CHUNK - 1;

/** An output's state as a byte: its index in `OUTPUT_STATES`. */
const STATE_CODES = new Map<OutputState, number>(OUTPUT_STATES.map((state, code) => [state, code]));
const ACCEPTING = STATE_CODES.get('accepting') as number;

/** The three reasons of an output, kept together: most outputs have none (`NO_REASONS`, shared). */
interface Reasons {
  readonly rejectionReason: string | null;
  readonly failureReason: string | null;
  readonly cancellationReason: string | null;
}
const NO_REASONS: Reasons = { rejectionReason: null, failureReason: null, cancellationReason: null };

/** Room for this many outputs in the first chunk, which grows up to `CHUNK`: a small sandbox stays small. */
const FIRST_CHUNK = 64;

/** One chunk of every column: the fields of up to `CHUNK` outputs, by slot. */
class OutputChunk {
  readonly ids: string[];
  readonly requestIds: string[];
  readonly payeeIds: string[];
  readonly instructionIds: string[];
  readonly portCodes: PortCode[];
  readonly targets: OutputTarget[];
  readonly prices: (OutputPrice | null)[];
  /** Allocated for the first output of the chunk that has a reason: most chunks never need it. */
  reasons: Reasons[] | undefined;
  readonly states: Uint8Array;
  readonly attempts: Uint32Array;
  readonly createdAt: Float64Array;
  readonly updatedAt: Float64Array;

  constructor(readonly capacity: number) {
    this.ids = new Array(capacity);
    this.requestIds = new Array(capacity);
    this.payeeIds = new Array(capacity);
    this.instructionIds = new Array(capacity);
    this.portCodes = new Array(capacity);
    this.targets = new Array(capacity);
    this.prices = new Array(capacity);
    this.states = new Uint8Array(capacity);
    this.attempts = new Uint32Array(capacity);
    this.createdAt = new Float64Array(capacity);
    this.updatedAt = new Float64Array(capacity);
  }

  /** A copy with room for `capacity` outputs. */
  grown(capacity: number): OutputChunk {
    const next = new OutputChunk(capacity);
    for (let i = 0; i < this.capacity; i += 1) {
      next.ids[i] = this.ids[i] as string;
      next.requestIds[i] = this.requestIds[i] as string;
      next.payeeIds[i] = this.payeeIds[i] as string;
      next.instructionIds[i] = this.instructionIds[i] as string;
      next.portCodes[i] = this.portCodes[i] as PortCode;
      next.targets[i] = this.targets[i] as OutputTarget;
      next.prices[i] = this.prices[i] as OutputPrice | null;
    }
    if (this.reasons) {
      next.reasons = new Array(capacity);
      for (let i = 0; i < this.capacity; i += 1) next.reasons[i] = this.reasons[i] as Reasons;
    }
    next.states.set(this.states);
    next.attempts.set(this.attempts);
    next.createdAt.set(this.createdAt);
    next.updatedAt.set(this.updatedAt);
    return next;
  }
}

/**
 * Slots by output id. An id that is a decimal number below 10^9 written the plain way
 * ("1", "2", …: what `SequentialIds` gives) finds its slot in an array indexed by that
 * number; any other id in a map. For speed and memory at a million outputs: a map of a
 * million ids cost about a fifth of the time of creating an output (hashing, cache misses,
 * rehashing as it grew) and some 40 bytes an output, the array 4.
 */
class SlotIndex {
  /** Slot + 1 by id number, in chunks (0: no such id). */
  private readonly byNumber: Int32Array[] = [];
  private readonly byText = new Map<string, number>();

  get(id: string): number | undefined {
    const n = idNumber(id);
    if (n < 0) return this.byText.get(id);
    const slot = (this.byNumber[n >>> CHUNK_BITS]?.[n & MASK] ?? 0) - 1;
    return slot < 0 ? undefined : slot;
  }

  set(id: string, slot: number): void {
    const n = idNumber(id);
    if (n < 0) {
      this.byText.set(id, slot);
      return;
    }
    let chunk = this.byNumber[n >>> CHUNK_BITS];
    if (!chunk) {
      chunk = new Int32Array(CHUNK);
      this.byNumber[n >>> CHUNK_BITS] = chunk;
    }
    chunk[n & MASK] = slot + 1;
  }

  clear(): void {
    this.byNumber.length = 0;
    this.byText.clear();
  }
}

/** The number an id writes in decimal ("0", "17"; not "017", "+1", "1e3" nor ten digits or more), or −1. */
const idNumber = (id: string): number => {
  const length = id.length;
  if (length === 0 || length > 9 || (length > 1 && id.charCodeAt(0) === 48)) return -1;
  let n = 0;
  for (let i = 0; i < length; i += 1) {
    const digit = id.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return -1;
    n = n * 10 + digit;
  }
  return n;
};

/**
 * Outputs stored field by field in columns, as a table would keep them, and read back as
 * new `Output` values. Saving a new version of an output overwrites its row: the store
 * holds no `Output` object, so the versions an output goes through (created, priced,
 * working, settling, settled) die young instead of each surviving into the old
 * generation until a full collection, and an output costs about 90 bytes of columns
 * instead of a 170-byte object. Shared values (ids, ports, targets, prices) are kept by
 * reference, so what is read back is equal, field by field, to what was saved.
 */
export class InMemoryOutputRepository implements OutputRepository {
  private readonly chunks: OutputChunk[] = [];
  /** Outputs saved so far: slots 0 to count − 1, numbered in order of first save. */
  private count = 0;
  private readonly slotOf = new SlotIndex();
  /**
   * Each request's slots in creation order, as runs: `[start, end)` pairs, one run as long
   * as its outputs are saved one after another (no list of a million slots to grow).
   */
  private readonly runsOf = new Map<string, number[]>();
  /** Outputs in state accepting: none, and `listAcceptingByPayee` has nothing to look through. */
  private accepting = 0;
  /**
   * The slot last read or saved. For speed: a request's outputs are mostly read and saved
   * in creation order (pricing, start of work, scripted outcomes), so the slot after the
   * last one is tried first, checked by id, before the index.
   */
  private lastSlot = -1;

  /** The slot of `id`: the one after the last used, that one, or from the index. */
  private slotFor(id: string): number | undefined {
    const next = this.lastSlot + 1;
    if (next < this.count && this.idAt(next) === id) {
      this.lastSlot = next;
      return next;
    }
    if (next > 0 && this.idAt(next - 1) === id) return next - 1;
    const slot = this.slotOf.get(id);
    if (slot !== undefined) this.lastSlot = slot;
    return slot;
  }

  private idAt(slot: number): string {
    return (this.chunks[slot >>> CHUNK_BITS] as OutputChunk).ids[slot & MASK] as string;
  }

  /** The output in `slot`, as a new value (in `createOutput`'s field order). */
  private read(slot: number): Output {
    const chunk = this.chunks[slot >>> CHUNK_BITS] as OutputChunk;
    const i = slot & MASK;
    const reasons = chunk.reasons?.[i] ?? NO_REASONS;
    return {
      id: chunk.ids[i] as string,
      requestId: chunk.requestIds[i] as string,
      payeeId: chunk.payeeIds[i] as string,
      withdrawalInstructionId: chunk.instructionIds[i] as string,
      portCode: chunk.portCodes[i] as PortCode,
      target: chunk.targets[i] as OutputTarget,
      price: chunk.prices[i] as OutputPrice | null,
      state: OUTPUT_STATES[chunk.states[i] as number] as OutputState,
      attempts: chunk.attempts[i] as number,
      rejectionReason: reasons.rejectionReason,
      failureReason: reasons.failureReason,
      cancellationReason: reasons.cancellationReason,
      createdAt: chunk.createdAt[i] as number,
      updatedAt: chunk.updatedAt[i] as number,
    };
  }

  get(id: string): Output | undefined {
    const slot = this.slotFor(id);
    return slot === undefined ? undefined : this.read(slot);
  }

  save(output: Output): void {
    let slot = this.slotFor(output.id);
    const isNew = slot === undefined;
    if (slot === undefined) {
      slot = this.count;
      this.count = slot + 1;
      this.lastSlot = slot;
      const index = slot & MASK;
      if (index === 0) this.chunks.push(new OutputChunk(slot === 0 ? FIRST_CHUNK : CHUNK));
      else if (index === (this.chunks[0] as OutputChunk).capacity && slot < CHUNK)
        this.chunks[0] = (this.chunks[0] as OutputChunk).grown(Math.min(index * 4, CHUNK));
      this.slotOf.set(output.id, slot);
      const runs = this.runsOf.get(output.requestId);
      if (!runs) this.runsOf.set(output.requestId, [slot, slot + 1]);
      else if (runs[runs.length - 1] === slot) runs[runs.length - 1] = slot + 1;
      else runs.push(slot, slot + 1);
    }
    const chunk = this.chunks[slot >>> CHUNK_BITS] as OutputChunk;
    const i = slot & MASK;
    if (!isNew && chunk.states[i] === ACCEPTING) this.accepting -= 1;
    chunk.ids[i] = output.id;
    chunk.requestIds[i] = output.requestId;
    chunk.payeeIds[i] = output.payeeId;
    chunk.instructionIds[i] = output.withdrawalInstructionId;
    chunk.portCodes[i] = output.portCode;
    chunk.targets[i] = output.target;
    chunk.prices[i] = output.price;
    const reasons = reasonsOf(output, chunk.reasons?.[i]);
    if (reasons !== NO_REASONS) chunk.reasons ??= new Array(chunk.capacity);
    if (chunk.reasons) chunk.reasons[i] = reasons;
    chunk.states[i] = STATE_CODES.get(output.state) as number;
    chunk.attempts[i] = output.attempts;
    chunk.createdAt[i] = output.createdAt;
    chunk.updatedAt[i] = output.updatedAt;
    if (output.state === 'accepting') this.accepting += 1;
  }

  /** Read lazily, one output at a time, each time it is iterated (nothing is copied up front). */
  listByRequest(requestId: string): Iterable<Output> {
    return { [Symbol.iterator]: () => this.ofRequest(requestId, undefined) };
  }

  listByRequestAndState(requestId: string, state: OutputState): Iterable<Output> {
    return { [Symbol.iterator]: () => this.ofRequest(requestId, STATE_CODES.get(state)) };
  }

  private *ofRequest(requestId: string, state: number | undefined): Generator<Output, void, undefined> {
    const runs = this.runsOf.get(requestId);
    if (!runs) return;
    for (let r = 0; r < runs.length; r += 2)
      for (let slot = runs[r] as number; slot < (runs[r + 1] as number); slot += 1)
        if (state === undefined || this.stateAt(slot) === state) yield this.read(slot);
  }

  private stateAt(slot: number): number {
    return (this.chunks[slot >>> CHUNK_BITS] as OutputChunk).states[slot & MASK] as number;
  }

  /**
   * A look through the state and payee columns (a byte and a reference per output), in
   * creation order; asked only when a payee's compliance is decided. An index by payee
   * instead cost a set insertion and a deletion for every output, each created accepting
   * and checked later: 1.9 s of the 20.5 s of CPU a million-output request took (built JS).
   */
  *listAcceptingByPayee(payeeId: string): Iterable<Output> {
    if (this.accepting === 0) return;
    for (let slot = 0; slot < this.count; slot += 1) {
      const chunk = this.chunks[slot >>> CHUNK_BITS] as OutputChunk;
      const i = slot & MASK;
      if (chunk.states[i] === ACCEPTING && chunk.payeeIds[i] === payeeId) yield this.read(slot);
    }
  }

  clear(): void {
    this.chunks.length = 0;
    this.count = 0;
    this.slotOf.clear();
    this.runsOf.clear();
    this.accepting = 0;
    this.lastSlot = -1;
  }
}

/** The reasons of `output`, reusing `previous` (or the shared `NO_REASONS`) when they are the same. */
const reasonsOf = (output: Output, previous: Reasons | undefined): Reasons => {
  const { rejectionReason, failureReason, cancellationReason } = output;
  if (rejectionReason === null && failureReason === null && cancellationReason === null) return NO_REASONS;
  if (
    previous &&
    previous.rejectionReason === rejectionReason &&
    previous.failureReason === failureReason &&
    previous.cancellationReason === cancellationReason
  )
    return previous;
  return { rejectionReason, failureReason, cancellationReason };
};

export class InMemoryUserRepository implements UserRepository {
  private readonly byId = new Map<string, UserRecord>();
  private readonly byKey = new Map<string, string>();
  private readonly byMaster = new Map<string, string[]>();

  get(id: string): UserRecord | undefined {
    return this.byId.get(id);
  }

  save(user: UserRecord): void {
    const previous = this.byId.get(user.id);
    if (previous?.apiKey && previous.apiKey !== user.apiKey) this.byKey.delete(previous.apiKey);
    if (!previous && user.masterId) {
      const list = this.byMaster.get(user.masterId) ?? [];
      list.push(user.id);
      this.byMaster.set(user.masterId, list);
    }
    this.byId.set(user.id, user);
    if (user.apiKey) this.byKey.set(user.apiKey, user.id);
  }

  findByApiKey(apiKey: string): UserRecord | undefined {
    const id = this.byKey.get(apiKey);
    return id === undefined ? undefined : this.byId.get(id);
  }

  listByMaster(masterId: string): readonly UserRecord[] {
    return (this.byMaster.get(masterId) ?? []).map((id) => this.byId.get(id) as UserRecord);
  }

  clearManaged(): void {
    for (const [id, user] of this.byId) {
      if (user.role === 'master') continue;
      this.byId.delete(id);
      if (user.apiKey) this.byKey.delete(user.apiKey);
    }
    this.byMaster.clear();
  }
}

export class InMemoryWithdrawalInstructionRepository implements WithdrawalInstructionRepository {
  private readonly byId = new Map<string, WithdrawalInstructionRecord>();
  private readonly byMaster = new Map<string, string[]>();

  get(id: string): WithdrawalInstructionRecord | undefined {
    return this.byId.get(id);
  }

  save(instruction: WithdrawalInstructionRecord): void {
    if (!this.byId.has(instruction.id)) {
      const list = this.byMaster.get(instruction.masterId) ?? [];
      list.push(instruction.id);
      this.byMaster.set(instruction.masterId, list);
    }
    this.byId.set(instruction.id, instruction);
  }

  listByMaster(masterId: string): readonly WithdrawalInstructionRecord[] {
    return (this.byMaster.get(masterId) ?? []).map((id) => this.byId.get(id) as WithdrawalInstructionRecord);
  }

  delete(id: string): void {
    const instruction = this.byId.get(id);
    if (!instruction) return;
    this.byId.delete(id);
    const list = this.byMaster.get(instruction.masterId) ?? [];
    list.splice(list.indexOf(id), 1);
  }

  clear(): void {
    this.byId.clear();
    this.byMaster.clear();
  }
}

export class InMemoryBalanceRepository implements BalanceRepository {
  private readonly byKey = new Map<string, Balance>();

  get(userId: string, currency: string): Balance | undefined {
    return this.byKey.get(`${userId}|${currency}`);
  }

  save(balance: Balance): void {
    this.byKey.set(`${balance.userId}|${balance.currency}`, balance);
  }

  listByUser(userId: string): readonly Balance[] {
    return [...this.byKey.values()].filter((b) => b.userId === userId);
  }

  clear(): void {
    this.byKey.clear();
  }
}

export const inMemoryRepositories = (): Repositories => ({
  requests: new InMemoryRequestRepository(),
  outputs: new InMemoryOutputRepository(),
  users: new InMemoryUserRepository(),
  withdrawalInstructions: new InMemoryWithdrawalInstructionRepository(),
  balances: new InMemoryBalanceRepository(),
});
