import type {
  EventStore,
  OutboundEvent,
  StoredEvent,
  StoredOutputMoment,
  StoredSnapshot,
  UserSnapshot,
  WithdrawalInstructionRecord,
} from '@concierge-ts/application';
import type { DomainEvent, EventResource, OutputState, Request } from '@concierge-ts/domain';

export type EventListener = (events: readonly StoredEvent[]) => void;

/** Events per chunk of each column: columns grow a chunk at a time, never copied. */
const CHUNK_BITS = 16;
const CHUNK = 1 << CHUNK_BITS;
const MASK = CHUNK - 1;

/** An output's moment in a byte: whether it was priced (the high bit), its attempts below (up to 126). */
const PRICED = 0x80;
const ATTEMPTS = 0x7f;

/** The withdrawal instructions an output had, for one whose instruction a retry changed. */
interface InstructionHistory {
  /** The instruction before the first change. */
  readonly original: string;
  /** From event index `from[k]` on, the output had `ids[k]`. */
  readonly from: number[];
  readonly ids: string[];
}

/**
 * The event log, kept in columns so that a million outputs' five events each cost
 * about 10 bytes an event: the event type as a byte (an index into the types seen), the
 * resource id as a reference to the resource's own id string, and an output's moment (SPEC
 * section 8: the resource as it was then) as a byte, its attempts and whether it was
 * priced; the owner and the time once per run of events of the same owner at the same time
 * (a command's events share both). The rest of an output's moment is what rarely happens,
 * kept aside by event: the reason of a failure, a retry that changed the instruction;
 * everything else comes from the output as it is now (`outputAt`). A request's events
 * keep the request itself (a request has a handful), a user's its user and balances, an
 * instruction's the instruction.
 * When an event was delivered is a column allocated a chunk at a time, only for chunks
 * that have a delivered event. Columns are chunks of fixed size, allocated whole, so
 * growing never copies what is stored. Ids are unique and increasing, across resets too.
 */
export class InMemoryEventStore implements EventStore {
  private readonly types: DomainEvent['eventType'][] = [];
  /** What each type seen is about, by the same index. */
  private readonly resources: EventResource[] = [];
  /** The state an output's event type announces, by the same index. */
  private readonly outputStates: (OutputState | undefined)[] = [];
  private readonly typeIndex = new Map<DomainEvent['eventType'], number>();
  private readonly typeChunks: Uint8Array[] = [];
  private readonly idChunks: string[][] = [];
  private readonly momentChunks: Uint8Array[] = [];
  /** Delivery times (NaN: not delivered), allocated per chunk on its first delivery. */
  private readonly sentChunks: (Float64Array | undefined)[] = [];
  /** Runs: events from `runStarts[k]` on belong to `runOwners[k]` and happened at `runTimes[k]`. */
  private readonly runStarts: number[] = [];
  private readonly runOwners: string[] = [];
  private readonly runTimes: number[] = [];
  /** By event index: what only some events have. */
  private readonly requests = new Map<number, Request>();
  private readonly users = new Map<number, UserSnapshot>();
  private readonly instructionRecords = new Map<number, WithdrawalInstructionRecord>();
  private readonly failureReasons = new Map<number, string>();
  private readonly manyAttempts = new Map<number, number>();
  /** By output id: only outputs whose instruction a retry changed. */
  private readonly instructionHistories = new Map<string, InstructionHistory>();
  private count = 0;
  private readonly listeners = new Set<EventListener>();
  private firstId = 1;

  publish(events: readonly OutboundEvent[]): void {
    const start = this.count;
    for (const { event, ownerId, user, instruction } of events)
      this.append(event, ownerId, user, instruction);
    this.notify(start);
  }

  /** The same as `publish`, for events of one owner (no wrapper per event). */
  publishFor(ownerId: string, events: readonly DomainEvent[]): void {
    const start = this.count;
    for (const event of events) this.append(event, ownerId, undefined, undefined);
    this.notify(start);
  }

  /** Called after each publish with the new events (webhook delivery subscribes here). */
  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get size(): number {
    return this.count;
  }

  *list(ownerId: string): Iterable<StoredEvent> {
    for (let run = 0; run < this.runOwners.length; run += 1) {
      if (this.runOwners[run] !== ownerId) continue;
      const end = this.runStarts[run + 1] ?? this.count;
      for (let i = this.runStarts[run] as number; i < end; i += 1) yield this.at(i, run);
    }
  }

  markSent(eventId: string, at: number): void {
    const i = Number(eventId) - this.firstId;
    if (!Number.isSafeInteger(i) || i < 0 || i >= this.count) return;
    const chunk = i >>> CHUNK_BITS;
    let sent = this.sentChunks[chunk];
    if (sent === undefined) {
      sent = new Float64Array(CHUNK).fill(Number.NaN);
      this.sentChunks[chunk] = sent;
    }
    if (Number.isNaN(sent[i & MASK])) sent[i & MASK] = at;
  }

  clear(): void {
    this.firstId += this.count;
    this.count = 0;
    this.typeChunks.length = 0;
    this.idChunks.length = 0;
    this.momentChunks.length = 0;
    this.sentChunks.length = 0;
    this.runStarts.length = 0;
    this.runOwners.length = 0;
    this.runTimes.length = 0;
    this.requests.clear();
    this.users.clear();
    this.instructionRecords.clear();
    this.failureReasons.clear();
    this.manyAttempts.clear();
    this.instructionHistories.clear();
  }

  private append(
    event: DomainEvent,
    ownerId: string,
    user: UserSnapshot | undefined,
    instruction: WithdrawalInstructionRecord | undefined,
  ): void {
    let type = this.typeIndex.get(event.eventType);
    if (type === undefined) {
      type = this.types.length;
      this.types.push(event.eventType);
      this.resources.push(event.resource);
      this.outputStates.push(event.resource === 'output' ? event.output.state : undefined);
      this.typeIndex.set(event.eventType, type);
    }
    const i = this.count;
    const chunk = i >>> CHUNK_BITS;
    if (chunk === this.typeChunks.length) {
      this.typeChunks.push(new Uint8Array(CHUNK));
      this.idChunks.push(new Array<string>(CHUNK));
      this.momentChunks.push(new Uint8Array(CHUNK));
    }
    (this.typeChunks[chunk] as Uint8Array)[i & MASK] = type;
    (this.idChunks[chunk] as string[])[i & MASK] = event.resourceId;
    switch (event.resource) {
      case 'output': {
        const output = event.output;
        const attempts = Math.min(output.attempts, ATTEMPTS);
        if (attempts === ATTEMPTS) this.manyAttempts.set(i, output.attempts);
        (this.momentChunks[chunk] as Uint8Array)[i & MASK] = (output.price === null ? 0 : PRICED) | attempts;
        if (output.state === 'failed' && output.failureReason !== null)
          this.failureReasons.set(i, output.failureReason);
        if (event.formerInstructionId !== undefined) {
          let history = this.instructionHistories.get(event.resourceId);
          if (history === undefined) {
            history = { original: event.formerInstructionId, from: [], ids: [] };
            this.instructionHistories.set(event.resourceId, history);
          }
          history.from.push(i);
          history.ids.push(output.withdrawalInstructionId);
        }
        break;
      }
      case 'request':
        this.requests.set(i, event.request);
        break;
      case 'user':
        if (user !== undefined) this.users.set(i, user);
        break;
      case 'withdrawal_instruction':
        if (instruction !== undefined) this.instructionRecords.set(i, instruction);
        break;
      default:
        event satisfies never;
    }
    const run = this.runOwners.length - 1;
    if (run < 0 || this.runOwners[run] !== ownerId || this.runTimes[run] !== event.at) {
      this.runStarts.push(i);
      this.runOwners.push(ownerId);
      this.runTimes.push(event.at);
    }
    this.count = i + 1;
  }

  private notify(start: number): void {
    if (this.listeners.size === 0) return;
    const stored: StoredEvent[] = [];
    for (let i = start; i < this.count; i += 1) stored.push(this.at(i, this.runAt(i)));
    for (const listener of this.listeners) listener(stored);
  }

  /** The run of event i: a binary search for the last run starting at or before it. */
  private runAt(i: number): number {
    let low = 0;
    let high = this.runStarts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >>> 1;
      if ((this.runStarts[mid] as number) <= i) low = mid;
      else high = mid - 1;
    }
    return low;
  }

  private at(i: number, run: number): StoredEvent {
    const chunk = i >>> CHUNK_BITS;
    const type = (this.typeChunks[chunk] as Uint8Array)[i & MASK] as number;
    const resource = this.resources[type] as EventResource;
    const resourceId = (this.idChunks[chunk] as string[])[i & MASK] as string;
    const sent = this.sentChunks[chunk]?.[i & MASK];
    return {
      id: String(this.firstId + i),
      eventType: this.types[type] as DomainEvent['eventType'],
      resource,
      resourceId,
      ownerId: this.runOwners[run] as string,
      at: this.runTimes[run] as number,
      sentAt: sent === undefined || Number.isNaN(sent) ? null : sent,
      snapshot: this.snapshotAt(i, type, resource, resourceId),
    };
  }

  private snapshotAt(
    i: number,
    type: number,
    resource: EventResource,
    resourceId: string,
  ): StoredSnapshot | null {
    switch (resource) {
      case 'output':
        return { kind: 'output', moment: this.momentAt(i, type, resourceId) };
      case 'request': {
        const request = this.requests.get(i);
        return request === undefined ? null : { kind: 'request', request };
      }
      case 'user': {
        const user = this.users.get(i);
        return user === undefined ? null : { kind: 'user', user };
      }
      case 'withdrawal_instruction': {
        const instruction = this.instructionRecords.get(i);
        return instruction === undefined ? null : { kind: 'withdrawalInstruction', instruction };
      }
      default:
        return resource satisfies never;
    }
  }

  private momentAt(i: number, type: number, outputId: string): StoredOutputMoment {
    const byte = (this.momentChunks[i >>> CHUNK_BITS] as Uint8Array)[i & MASK] as number;
    const attempts = byte & ATTEMPTS;
    const state = this.outputStates[type] as OutputState;
    return {
      state,
      attempts: attempts === ATTEMPTS ? (this.manyAttempts.get(i) as number) : attempts,
      priced: (byte & PRICED) !== 0,
      failureReason: state === 'failed' ? (this.failureReasons.get(i) ?? null) : null,
      withdrawalInstructionId: this.instructionAt(i, outputId),
    };
  }

  /** The instruction an output had at event i, when a retry ever changed it (null otherwise: the one it has now). */
  private instructionAt(i: number, outputId: string): string | null {
    const history = this.instructionHistories.get(outputId);
    if (history === undefined) return null;
    let id = history.original;
    for (let k = 0; k < history.from.length && (history.from[k] as number) <= i; k += 1)
      id = history.ids[k] as string;
    return id;
  }
}
