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
  type Output,
  type OutputState,
  type Request,
} from '@concierge-ts/domain';

/** Requests by id, with the owner's in creation order and the active ones for the clock. */
export class InMemoryRequestRepository implements RequestRepository {
  private readonly byId = new Map<string, Request>();
  private readonly byOwner = new Map<string, string[]>();
  private readonly active = new Set<string>();

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
    else this.active.add(request.id);
  }

  listByOwner(ownerId: string): readonly Request[] {
    return (this.byOwner.get(ownerId) ?? []).map((id) => this.byId.get(id) as Request);
  }

  *listActive(): Iterable<Request> {
    for (const id of this.active) yield this.byId.get(id) as Request;
  }

  clear(): void {
    this.byId.clear();
    this.byOwner.clear();
    this.active.clear();
  }
}

/**
 * Outputs kept per request in one array (creation order), so a request's outputs are
 * read without copying, even at a million; an index finds each by id.
 */
export class InMemoryOutputRepository implements OutputRepository {
  private readonly byRequest = new Map<string, Output[]>();
  /**
   * The index by id: id → a slot number (outputs numbered in order of first save), and
   * per slot the output's request list and its place in it. Small integers in a map and
   * two flat arrays rather than a `{ list, index }` object per output: 24 bytes and one
   * object fewer per output for the collector to trace, at a million outputs.
   */
  private readonly slotOf = new Map<string, number>();
  private readonly listOf: Output[][] = [];
  private readonly indexOf: number[] = [];
  private readonly acceptingByPayee = new Map<string, Set<string>>();
  /**
   * The slot last read or saved. For speed: a request's outputs are mostly read and saved
   * in creation order (pricing, start of work, scripted outcomes), so the slot after the
   * last one is tried first, checked by id, before the map (a hash lookup in a map of a
   * million ids, and cache misses, about a third of the time of a save at a million).
   */
  private lastSlot = -1;

  /** The slot of `id`: the one after the last used, that one, or from the map. */
  private slotFor(id: string): number | undefined {
    const next = this.lastSlot + 1;
    if (next < this.listOf.length && this.outputAt(next).id === id) {
      this.lastSlot = next;
      return next;
    }
    if (next > 0 && this.outputAt(next - 1).id === id) return next - 1;
    const slot = this.slotOf.get(id);
    if (slot !== undefined) this.lastSlot = slot;
    return slot;
  }

  private outputAt(slot: number): Output {
    return (this.listOf[slot] as Output[])[this.indexOf[slot] as number] as Output;
  }

  get(id: string): Output | undefined {
    const slot = this.slotFor(id);
    return slot === undefined ? undefined : this.outputAt(slot);
  }

  save(output: Output): void {
    const slot = this.slotFor(output.id);
    let wasAccepting = false;
    if (slot !== undefined) {
      const list = this.listOf[slot] as Output[];
      const index = this.indexOf[slot] as number;
      wasAccepting = (list[index] as Output).state === 'accepting';
      list[index] = output;
    } else {
      let list = this.byRequest.get(output.requestId);
      if (!list) {
        list = [];
        this.byRequest.set(output.requestId, list);
      }
      this.lastSlot = this.listOf.length;
      this.slotOf.set(output.id, this.lastSlot);
      this.listOf.push(list);
      this.indexOf.push(list.length);
      list.push(output);
    }
    // The payee index changes only on the way into or out of accepting: most saves
    // (pricing, working, settling...) skip it.
    if (output.state === 'accepting') {
      const accepting = this.acceptingByPayee.get(output.payeeId);
      if (accepting) accepting.add(output.id);
      else this.acceptingByPayee.set(output.payeeId, new Set([output.id]));
    } else if (wasAccepting) {
      const accepting = this.acceptingByPayee.get(output.payeeId);
      if (accepting?.delete(output.id) && accepting.size === 0) this.acceptingByPayee.delete(output.payeeId);
    }
  }

  listByRequest(requestId: string): readonly Output[] {
    return this.byRequest.get(requestId) ?? [];
  }

  *listByRequestAndState(requestId: string, state: OutputState): Iterable<Output> {
    for (const output of this.listByRequest(requestId)) if (output.state === state) yield output;
  }

  *listAcceptingByPayee(payeeId: string): Iterable<Output> {
    for (const id of this.acceptingByPayee.get(payeeId) ?? []) {
      const output = this.get(id);
      if (output) yield output;
    }
  }

  clear(): void {
    this.byRequest.clear();
    this.slotOf.clear();
    this.listOf.length = 0;
    this.indexOf.length = 0;
    this.acceptingByPayee.clear();
    this.lastSlot = -1;
  }
}

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
