import type { InMemoryConcierge } from '@concierge-ts/adapter-memory';
import {
  type ConciergeClient,
  type ConciergeError,
  type SandboxOperator,
  serviceClient,
  serviceOperator,
} from '@concierge-ts/application';
import type { Context } from 'hono';
import { err, ok, type Result } from 'neverthrow';

/**
 * Who is calling, from the raw `Authorization` header (SPEC section 1: no `Bearer`).
 * Each request gets the in-process client of that key, so the HTTP API answers exactly
 * as the in-process client does. The keys seen are remembered by master id: webhooks
 * are signed with the owner's key.
 */
export class Callers {
  private readonly keys = new Map<string, string>();

  constructor(private readonly concierge: InMemoryConcierge) {
    this.keys.set(concierge.id, concierge.apiKey);
  }

  apiKeyOf(c: Context): string | undefined {
    const header = c.req.header('authorization')?.trim();
    return header === '' ? undefined : header;
  }

  /** The caller's client, or 401/403. */
  authenticate(c: Context): Result<{ client: ConciergeClient; apiKey: string }, ConciergeError> {
    const apiKey = this.apiKeyOf(c);
    const caller = this.concierge.service.authenticate(apiKey);
    if (caller.isErr()) return err(caller.error);
    const key = apiKey as string;
    this.keys.set(caller.value.id, key);
    return ok({ client: serviceClient(this.concierge.service, key), apiKey: key });
  }

  operator(c: Context): Result<SandboxOperator, ConciergeError> {
    return this.authenticate(c).map(({ apiKey }) =>
      serviceOperator(this.concierge.service, this.concierge.clock, apiKey),
    );
  }

  /** A client that needs no key (ports, estimates). */
  open(): ConciergeClient {
    return serviceClient(this.concierge.service, '');
  }

  /** The API key of a master user, if it has been seen. */
  keyOfMaster(masterId: string): string | undefined {
    return this.keys.get(masterId);
  }

  /** Every master API key seen so far (the seeded master's first): masked in every log line. */
  knownKeys(): string[] {
    return [...this.keys.values()];
  }

  /** Lets webhook delivery know a master's key without an HTTP call (in-process masters). */
  remember(masterId: string, apiKey: string): void {
    this.keys.set(masterId, apiKey);
  }
}
