import type { EventStore, OutboundEvent, StoredEvent } from '@concierge-ts/application';
import type { DomainEvent } from '@concierge-ts/domain';

export type EventListener = (events: readonly StoredEvent[]) => void;

/**
 * The event log, kept in columns (event type index, resource, owner, time) so that a
 * million outputs' events cost a few dozen bytes each. Ids are unique and increasing,
 * across resets too.
 */
export class InMemoryEventStore implements EventStore {
  private readonly types: DomainEvent['eventType'][] = [];
  private readonly typeIndex = new Map<DomainEvent['eventType'], number>();
  private readonly typeOf: number[] = [];
  private readonly resourceIds: string[] = [];
  private readonly owners: string[] = [];
  private readonly times: number[] = [];
  private readonly listeners = new Set<EventListener>();
  private firstId = 1;

  publish(events: readonly OutboundEvent[]): void {
    const stored: StoredEvent[] | undefined = this.listeners.size > 0 ? [] : undefined;
    for (const { event, ownerId } of events) {
      let type = this.typeIndex.get(event.eventType);
      if (type === undefined) {
        type = this.types.length;
        this.types.push(event.eventType);
        this.typeIndex.set(event.eventType, type);
      }
      this.typeOf.push(type);
      this.resourceIds.push(event.resourceId);
      this.owners.push(ownerId);
      this.times.push(event.at);
      stored?.push(this.at(this.times.length - 1));
    }
    if (stored) for (const listener of this.listeners) listener(stored);
  }

  /** Called after each publish with the new events (webhook delivery subscribes here). */
  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get size(): number {
    return this.times.length;
  }

  *list(ownerId: string): Iterable<StoredEvent> {
    for (let i = 0; i < this.times.length; i += 1) if (this.owners[i] === ownerId) yield this.at(i);
  }

  clear(): void {
    this.firstId += this.times.length;
    this.typeOf.length = 0;
    this.resourceIds.length = 0;
    this.owners.length = 0;
    this.times.length = 0;
  }

  private at(i: number): StoredEvent {
    const eventType = this.types[this.typeOf[i] as number] as DomainEvent['eventType'];
    return {
      id: String(this.firstId + i),
      eventType,
      resource: eventType.startsWith('concierge_request_output_') ? 'output' : 'request',
      resourceId: this.resourceIds[i] as string,
      ownerId: this.owners[i] as string,
      at: this.times[i] as number,
    };
  }
}
