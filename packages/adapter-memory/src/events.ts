import type { EventStore, OutboundEvent, StoredEvent } from '@concierge-ts/application';
import type { DomainEvent } from '@concierge-ts/domain';

export type EventListener = (events: readonly StoredEvent[]) => void;

/** Events per chunk of each column: columns grow a chunk at a time, never copied. */
const CHUNK_BITS = 16;
const CHUNK = 1 << CHUNK_BITS;
const MASK = CHUNK - 1;

/**
 * The event log, kept in columns so that a million outputs' five events each cost
 * about 17 bytes an event: the event type as a byte (an index into the types seen), the
 * time as a double, the resource id as a reference to the resource's own id string, and
 * the owner once per run of events of the same owner. Columns are chunks of fixed size,
 * so growing never copies what is stored. Ids are unique and increasing, across resets
 * too.
 */
export class InMemoryEventStore implements EventStore {
  private readonly types: DomainEvent['eventType'][] = [];
  private readonly typeIndex = new Map<DomainEvent['eventType'], number>();
  private readonly typeChunks: Uint8Array[] = [];
  private readonly timeChunks: Float64Array[] = [];
  private readonly idChunks: string[][] = [];
  /** Owner runs: events from `ownerStarts[k]` on belong to `ownerIds[k]`. */
  private readonly ownerStarts: number[] = [];
  private readonly ownerIds: string[] = [];
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
    for (let run = 0; run < this.ownerIds.length; run += 1) {
      if (this.ownerIds[run] !== ownerId) continue;
      const end = this.ownerStarts[run + 1] ?? this.count;
      for (let i = this.ownerStarts[run] as number; i < end; i += 1) yield this.at(i);
    }
  }

  clear(): void {
    this.firstId += this.count;
    this.count = 0;
    this.typeChunks.length = 0;
    this.timeChunks.length = 0;
    this.idChunks.length = 0;
    this.ownerStarts.length = 0;
    this.ownerIds.length = 0;
  }

  private append(event: DomainEvent, ownerId: string): void {
    let type = this.typeIndex.get(event.eventType);
    if (type === undefined) {
      type = this.types.length;
      this.types.push(event.eventType);
      this.typeIndex.set(event.eventType, type);
    }
    const i = this.count;
    const chunk = i >>> CHUNK_BITS;
    if (chunk === this.typeChunks.length) {
      this.typeChunks.push(new Uint8Array(CHUNK));
      this.timeChunks.push(new Float64Array(CHUNK));
      this.idChunks.push([]);
    }
    (this.typeChunks[chunk] as Uint8Array)[i & MASK] = type;
    (this.timeChunks[chunk] as Float64Array)[i & MASK] = event.at;
    (this.idChunks[chunk] as string[]).push(event.resourceId);
    if (this.ownerIds[this.ownerIds.length - 1] !== ownerId) {
      this.ownerStarts.push(i);
      this.ownerIds.push(ownerId);
    }
    this.count = i + 1;
  }

  private notify(start: number): void {
    if (this.listeners.size === 0) return;
    const stored: StoredEvent[] = [];
    for (let i = start; i < this.count; i += 1) stored.push(this.at(i));
    for (const listener of this.listeners) listener(stored);
  }

  private ownerAt(i: number): string {
    // Binary search for the last run starting at or before i.
    let low = 0;
    let high = this.ownerStarts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >>> 1;
      if ((this.ownerStarts[mid] as number) <= i) low = mid;
      else high = mid - 1;
    }
    return this.ownerIds[low] as string;
  }

  private at(i: number): StoredEvent {
    const chunk = i >>> CHUNK_BITS;
    const eventType = this.types[
      (this.typeChunks[chunk] as Uint8Array)[i & MASK] as number
    ] as DomainEvent['eventType'];
    return {
      id: String(this.firstId + i),
      eventType,
      resource: eventType.startsWith('concierge_request_output_') ? 'output' : 'request',
      resourceId: (this.idChunks[chunk] as string[])[i & MASK] as string,
      ownerId: this.ownerAt(i),
      at: (this.timeChunks[chunk] as Float64Array)[i & MASK] as number,
    };
  }
}
