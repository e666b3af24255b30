import type { InMemoryConcierge, Tenant } from '@concierge-ts/adapter-memory';
import {
  type ConciergeClient,
  type ConciergeError,
  conciergeError,
  type SandboxOperator,
  serviceClient,
} from '@concierge-ts/application';
import type { Context } from 'hono';
import { err, ok, type Result } from 'neverthrow';

/**
 * Who is calling, from the raw `Authorization` header (SPEC section 1: no `Bearer`).
 * Each key belongs to one tenant (its master's data, clock and events); each request gets
 * the in-process client of that key in that tenant, so the HTTP API answers exactly as
 * the in-process client does. The keys seen are remembered by master id: webhooks
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

  /** The caller's tenant and client, or 401/403. */
  authenticate(
    c: Context,
  ): Result<{ client: ConciergeClient; apiKey: string; tenant: Tenant }, ConciergeError> {
    const apiKey = this.apiKeyOf(c);
    const tenant = this.concierge.tenantOf(apiKey);
    if (!tenant)
      return err(
        apiKey === undefined
          ? conciergeError.authentication('the Authorization header is missing')
          : conciergeError.authentication(),
      );
    const caller = tenant.service.authenticate(apiKey);
    if (caller.isErr()) return err(caller.error);
    const key = apiKey as string;
    this.keys.set(caller.value.id, key);
    return ok({ client: serviceClient(tenant.service, key), apiKey: key, tenant });
  }

  /** The operator of the caller's tenant: it acts on that tenant only. */
  operator(c: Context): Result<SandboxOperator, ConciergeError> {
    return this.authenticate(c).map(({ tenant }) => tenant.operator);
  }

  /** A new master user with a tenant of its own (`POST /sandbox/masters`). */
  createMaster(email: string): { readonly id: string; readonly apiKey: string } {
    const tenant = this.concierge.addMaster(email);
    this.keys.set(tenant.id, tenant.apiKey);
    return { id: tenant.id, apiKey: tenant.apiKey };
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
