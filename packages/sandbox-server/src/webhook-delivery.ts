import { encodeEventDocument, WEBHOOK_AUTH_HEADER, webhookSignature } from '@concierge-ts/adapter-http';
import type { InMemoryConcierge } from '@concierge-ts/adapter-memory';
import { type EventResourceView, type EventView, isoTime, type StoredEvent } from '@concierge-ts/application';
import type { Callers } from './caller.js';

export interface WebhookDeliveryOptions {
  /** Where POSTs go through (default: the global fetch). */
  readonly fetch?: (input: string, init: RequestInit) => Promise<Response>;
  /** Tries per event before giving up (default 6). */
  readonly maxAttempts?: number;
  /** First retry delay; doubles each time up to `maxDelayMs` (defaults 200 ms and 5 s). */
  readonly initialDelayMs?: number;
  readonly maxDelayMs?: number;
  /** Per attempt (default 5 s). */
  readonly timeoutMs?: number;
  /** Resources delivered to at the same time (default 8); one resource's events go one by one. */
  readonly concurrency?: number;
  /** Told about every attempt (logging, tests). */
  readonly onAttempt?: (attempt: DeliveryAttempt) => void;
  /**
   * The server's URL, which a request's `receipt_url` and `credit_note_url` are made
   * absolute against (default: they go out as paths).
   */
  readonly baseUrl?: () => string | undefined;
}

export interface DeliveryAttempt {
  readonly eventId: string;
  readonly eventType: string;
  readonly url: string;
  readonly attempt: number;
  /** HTTP status, or null when the request failed. */
  readonly status: number | null;
  readonly error?: string;
  readonly outcome: 'delivered' | 'retrying' | 'gave_up';
}

interface Job {
  readonly event: StoredEvent;
  /** The event as the API shows it. */
  readonly view: EventView;
  readonly url: string;
  readonly signature: string;
  /** Its resource as it was when the event happened (SPEC section 8), from the event log. */
  readonly included: EventResourceView | undefined;
}

/**
 * Pushes every event to its master's `webhook_url` (SPEC section 8): POST, JSON:API event
 * document with the resource in `included`, `WEBHOOK-AUTH` = SHA-256 hex of the master's
 * key. Anything but a 200 is retried with bounded exponential backoff. Events of one
 * resource go in order, one at a time; different resources go in parallel, a few at a
 * time. Delivery runs after the command that produced the events, never inside it: the
 * API never waits for a receiver.
 */
export class WebhookDelivery {
  private readonly queues = new Map<string, Job[]>();
  private readonly ready: string[] = [];
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();
  private readonly controllers = new Set<AbortController>();
  private readonly idleWaiters: (() => void)[] = [];
  private pending: StoredEvent[] = [];
  private active = 0;
  private closed = false;
  private readonly unsubscribe: () => void;
  private readonly options: Required<Omit<WebhookDeliveryOptions, 'onAttempt' | 'baseUrl'>> &
    Pick<WebhookDeliveryOptions, 'onAttempt' | 'baseUrl'>;

  constructor(
    private readonly concierge: InMemoryConcierge,
    private readonly callers: Callers,
    options: WebhookDeliveryOptions = {},
  ) {
    this.options = {
      fetch: options.fetch ?? ((input, init) => fetch(input, init)),
      maxAttempts: options.maxAttempts ?? 6,
      initialDelayMs: options.initialDelayMs ?? 200,
      maxDelayMs: options.maxDelayMs ?? 5_000,
      timeoutMs: options.timeoutMs ?? 5_000,
      concurrency: Math.max(1, options.concurrency ?? 8),
      ...(options.onAttempt === undefined ? {} : { onAttempt: options.onAttempt }),
      ...(options.baseUrl === undefined ? {} : { baseUrl: options.baseUrl }),
    };
    const unsubscribers: (() => void)[] = [];
    const stopWatching = concierge.onTenant((tenant) =>
      unsubscribers.push(tenant.events.subscribe((events) => this.onEvents(events))),
    );
    this.unsubscribe = () => {
      stopWatching();
      for (const unsubscribe of unsubscribers.splice(0)) unsubscribe();
    };
  }

  /** Resolves once every queued event has been delivered or given up. */
  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stops: no new deliveries, pending retries dropped, requests in flight aborted. */
  close(): void {
    this.closed = true;
    this.unsubscribe();
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    for (const controller of this.controllers) controller.abort();
    this.queues.clear();
    this.ready.length = 0;
    this.pending = [];
    this.active = 0;
    this.settleIdle();
  }

  private isIdle(): boolean {
    return this.pending.length === 0 && this.queues.size === 0 && this.active === 0;
  }

  private settleIdle(): void {
    if (!this.isIdle()) return;
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  /**
   * Called inside the service's command: only remember the events. They are presented
   * once the command has returned (a microtask later), so the service is never re-entered
   * from within itself; each carries the snapshot the event log kept, whatever happened
   * since.
   */
  private onEvents(events: readonly StoredEvent[]): void {
    if (this.closed) return;
    if (this.pending.length === 0) queueMicrotask(() => this.flush());
    this.pending.push(...events);
  }

  private flush(): void {
    const events = this.pending;
    this.pending = [];
    for (const event of events) {
      const service = this.concierge.tenantOfMaster(event.ownerId)?.service;
      if (!service) continue;
      const apiKey = this.callers.keyOfMaster(event.ownerId);
      const owner = apiKey === undefined ? undefined : service.authenticate(apiKey);
      if (!owner || owner.isErr() || owner.value.webhookUrl === null) continue;
      const caller = owner.value;
      const presented = service.presentEvent(event, true);
      const key = `${event.ownerId}|${event.resource}|${event.resourceId}`;
      const job: Job = {
        event,
        view: presented.view,
        url: caller.webhookUrl as string,
        signature: webhookSignature(apiKey as string),
        included: presented.resource,
      };
      const queue = this.queues.get(key);
      if (queue) queue.push(job);
      else {
        this.queues.set(key, [job]);
        this.ready.push(key);
      }
    }
    this.pump();
    this.settleIdle();
  }

  private pump(): void {
    while (!this.closed && this.active < this.options.concurrency && this.ready.length > 0) {
      const key = this.ready.shift() as string;
      this.active += 1;
      void this.drain(key);
    }
  }

  /** Delivers one resource's events in order, then frees its slot. */
  private async drain(key: string): Promise<void> {
    for (;;) {
      const queue = this.queues.get(key);
      const job = queue?.[0];
      if (!queue || !job || this.closed) break;
      await this.deliver(job);
      queue.shift();
      if (queue.length === 0) {
        this.queues.delete(key);
        break;
      }
    }
    if (!this.closed) this.active -= 1;
    this.pump();
    this.settleIdle();
  }

  private async deliver(job: Job): Promise<void> {
    const { maxAttempts, initialDelayMs, maxDelayMs } = this.options;
    for (let attempt = 1; attempt <= maxAttempts && !this.closed; attempt += 1) {
      // sent_at: when this attempt goes out, on the tenant's clock; the log keeps the first delivered.
      const tenant = this.concierge.tenantOfMaster(job.event.ownerId);
      const sentAt = (tenant ?? this.concierge).clock.now();
      const { status, error } = await this.post(job, sentAt);
      const delivered = status === 200;
      if (delivered) tenant?.events.markSent(job.event.id, sentAt);
      const outcome = delivered ? 'delivered' : attempt === maxAttempts ? 'gave_up' : 'retrying';
      this.options.onAttempt?.({
        eventId: job.event.id,
        eventType: job.event.eventType,
        url: job.url,
        attempt,
        status,
        ...(error === undefined ? {} : { error }),
        outcome,
      });
      if (outcome !== 'retrying') return;
      await this.sleep(Math.min(maxDelayMs, initialDelayMs * 2 ** (attempt - 1)));
    }
  }

  private async post(job: Job, sentAt: number): Promise<{ status: number | null; error?: string }> {
    const controller = new AbortController();
    this.controllers.add(controller);
    const timer = setTimeout(() => controller.abort(), this.options.timeoutMs);
    try {
      const body = encodeEventDocument(
        { ...job.view, sentAt: isoTime(sentAt) },
        job.included,
        this.options.baseUrl?.(),
      );
      const response = await this.options.fetch(job.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [WEBHOOK_AUTH_HEADER]: job.signature },
        body: JSON.stringify(body),
        signal: controller.signal,
      });
      // The body is not needed; reading it frees the connection.
      await response.arrayBuffer().catch(() => undefined);
      return { status: response.status };
    } catch (thrown) {
      return { status: null, error: thrown instanceof Error ? thrown.message : String(thrown) };
    } finally {
      clearTimeout(timer);
      this.controllers.delete(controller);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        resolve();
      }, ms);
      timer.unref?.();
      this.timers.add(timer);
    });
  }
}
