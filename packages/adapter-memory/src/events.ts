import type { EventStore, OutboundEvent, StoredEvent } from '@concierge-ts/application';
import type { DomainEvent, EventResource } from '@concierge-ts/domain';

export type EventListener = (events: readonly StoredEvent[]) => void;

/** Events per chunk of each column: columns grow a chunk at a time, never copied. */
const CHUNK_BITS = 16;
const CHUNK = 1 << CHUNK_BITS;
const MASK = CHUNK - 1;

/**
 * The event log, kept in columns so that a million outputs' five events each cost
 * about 9 bytes an event: the event type as a byte (an index into the types seen) and the
 * resource id as a reference to the resource's own id string; the owner and the time once
 * per run of events of the same owner at the same time (a command's events share both).
 * Columns are chunks of fixed size, allocated whole, so growing never copies what is
 * stored. Ids are unique and increasing, across resets too.
 */
export class InMemoryEventStore implements EventStore {
  private readonly types: DomainEvent['eventType'][] = [];
  /** What each type seen is about, by the same index. */
  private readonly resources: EventResource[] = [];
  private readonly typeIndex = new Map<DomainEvent['eventType'], number>();
  private readonly typeChunks: Uint8Array[] = [];
  private readonly idChunks: string[][] = [];
  /** Runs: events from `runStarts[k]` on belong to `runOwners[k]` and happened at `runTimes[k]`. */
  private readonly runStarts: number[] = [];
  private readonly runOwners: string[] = [];
  private readonly runTimes: number[] = [];
  private count = 0;
  private readonly listeners = new Set<EventListener>();
  private firstId = 1;

  publish(events: readonly OutboundEvent[]): void {
    const start = this.count;
    for (const { event, ownerId } of events) this.append(event, ownerId);
    this.notify(start);
  }

  /** The same as `publish`, for events of one owner (no wrapper per event). */
  publishFor(ownerId: string, events: readonly DomainEvent[]): void {
    const start = this.count;
    for (const event of events) this.append(event, ownerId);
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

  clear(): void {
    this.firstId += this.count;
    this.count = 0;
    this.typeChunks.length = 0;
    this.idChunks.length = 0;
    this.runStarts.length = 0;
    this.runOwners.length = 0;
    this.runTimes.length = 0;
  }

  private append(event: DomainEvent, ownerId: string): void {
    let type = this.typeIndex.get(event.eventType);
    if (type === undefined) {
      type = this.types.length;
      this.types.push(event.eventType);
      this.resources.push(event.resource);
      this.typeIndex.set(event.eventType, type);
    }
    const i = this.count;
    const chunk = i >>> CHUNK_BITS;
    if (chunk === this.typeChunks.length) {
      this.typeChunks.push(new Uint8Array(CHUNK));
      this.idChunks.push(new Array<string>(CHUNK));
    }
    (this.typeChunks[chunk] as Uint8Array)[i & MASK] = type;
    (this.idChunks[chunk] as string[])[i & MASK] = event.resourceId;
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
    return {
      id: String(this.firstId + i),
      eventType: this.types[type] as DomainEvent['eventType'],
      resource: this.resources[type] as EventResource,
      resourceId: (this.idChunks[chunk] as string[])[i & MASK] as string,
      ownerId: this.runOwners[run] as string,
      at: this.runTimes[run] as number,
    };
  }
}
