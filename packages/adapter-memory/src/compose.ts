import 'reflect-metadata';
import {
  type ConciergeClient,
  ConciergeService,
  type ControllableClock,
  type EventStore,
  type HintTokenCodec,
  type IdSource,
  MAGIC_VALUES,
  type PortCatalogSource,
  type PricingSource,
  type Repositories,
  type SandboxOperator,
  type SandboxPolicy,
  serviceClient,
  serviceOperator,
  type UserRecord,
} from '@concierge-ts/application';
import { DEFAULT_QUOTE_WINDOWS, type PortCatalog, type QuoteWindows } from '@concierge-ts/domain';
import { okAsync } from 'neverthrow';
import { container, type DependencyContainer, instanceCachingFactory } from 'tsyringe';
import { defaultCatalog, staticCatalog } from './catalog.js';
import { ManualClock } from './clock.js';
import { InMemoryEventStore } from './events.js';
import { InMemoryHintTokens } from './hints.js';
import { SequentialIds } from './ids.js';
import { DEFAULT_PRICE_TABLE, type PriceTable, tablePricing } from './pricing.js';
import { inMemoryRepositories } from './repositories.js';
import { type SeededSandbox, seedSandbox } from './seed.js';

export const TOKENS = {
  repositories: Symbol('Repositories'),
  catalog: Symbol('PortCatalogSource'),
  pricing: Symbol('PricingSource'),
  clock: Symbol('Clock'),
  ids: Symbol('IdSource'),
  events: Symbol('EventStore'),
  hints: Symbol('HintTokenCodec'),
  policy: Symbol('SandboxPolicy'),
  windows: Symbol('QuoteWindows'),
  service: Symbol('ConciergeService'),
} as const;

export interface InMemoryConciergeOptions {
  /** The first tenant's clock. Default: a manual clock at 2026-01-05T12:00:00Z that moves only when advanced. */
  readonly clock?: ControllableClock;
  /** The clock of each further tenant (default: a manual clock at the first one's time). */
  readonly newClock?: () => ControllableClock;
  /** Where ids come from, shared by every tenant (default: decimal strings counting up from 1). */
  readonly ids?: IdSource;
  readonly catalog?: PortCatalog;
  readonly prices?: PriceTable;
  /** Default: the sandbox magic values (SPEC section 9). */
  readonly policy?: SandboxPolicy;
  readonly windows?: QuoteWindows;
  /** Use this key for the seeded master user instead of a random one. */
  readonly masterApiKey?: string;
  /** Seed a payer with funds and one payee per port (default true). */
  readonly seed?: boolean;
}

export interface MasterHandle {
  readonly id: string;
  readonly apiKey: string;
  readonly client: ConciergeClient;
  readonly operator: SandboxOperator;
}

/**
 * One master user's world (SPEC section 9, tenants): its own data, clock, scheduled moves
 * and event log. Ids come from one source shared by all tenants, so no two resources
 * anywhere have the same id.
 */
export interface Tenant extends MasterHandle {
  readonly service: ConciergeService;
  readonly clock: ControllableClock;
  readonly events: InMemoryEventStore;
  readonly seeded: SeededSandbox | null;
}

export interface InMemoryConcierge extends Tenant {
  /** Another master user with a tenant of its own, isolated from every other; seeded if asked. */
  addMaster(email: string, apiKey?: string, options?: { readonly seed?: boolean }): Tenant;
  /** The tenant of a master's API key, if there is one. */
  tenantOf(apiKey: string | undefined): Tenant | undefined;
  /** The tenant of a master user, by its id. */
  tenantOfMaster(masterId: string): Tenant | undefined;
  /** Every tenant, the first one first. */
  tenants(): readonly Tenant[];
  /** Calls `listener` for each tenant there is and each one added later. */
  onTenant(listener: (tenant: Tenant) => void): () => void;
  clientFor(apiKey: string): ConciergeClient;
}

const seedOrThrow = (service: ConciergeService, master: UserRecord): SeededSandbox =>
  seedSandbox(service, master).match(
    (seeded) => seeded,
    (error) => {
      throw new Error(`the sandbox seed was refused: ${error.code} ${error.detail}`);
    },
  );

/** Wires one independent sandbox: its own repositories, clock, ids, events. */
export const buildContainer = (options: InMemoryConciergeOptions = {}): DependencyContainer => {
  const c = container.createChildContainer();
  c.register(TOKENS.repositories, {
    useFactory: instanceCachingFactory<Repositories>(() => inMemoryRepositories()),
  });
  c.register(TOKENS.catalog, {
    useFactory: instanceCachingFactory<PortCatalogSource>(() =>
      staticCatalog(options.catalog ?? defaultCatalog()),
    ),
  });
  c.register(TOKENS.pricing, {
    useFactory: instanceCachingFactory<PricingSource>(() =>
      tablePricing(options.prices ?? DEFAULT_PRICE_TABLE),
    ),
  });
  c.register(TOKENS.clock, { useValue: options.clock ?? new ManualClock() });
  c.register(TOKENS.ids, {
    useFactory: instanceCachingFactory<IdSource>(() => options.ids ?? new SequentialIds()),
  });
  c.register(TOKENS.events, {
    useFactory: instanceCachingFactory<EventStore>(() => new InMemoryEventStore()),
  });
  c.register(TOKENS.hints, {
    useFactory: instanceCachingFactory<HintTokenCodec>(() => new InMemoryHintTokens()),
  });
  c.register(TOKENS.policy, { useValue: options.policy ?? MAGIC_VALUES });
  c.register(TOKENS.windows, { useValue: options.windows ?? DEFAULT_QUOTE_WINDOWS });
  c.register(TOKENS.service, {
    useFactory: instanceCachingFactory<ConciergeService>(
      (d) =>
        new ConciergeService({
          repositories: d.resolve(TOKENS.repositories),
          catalog: d.resolve(TOKENS.catalog),
          pricing: d.resolve(TOKENS.pricing),
          clock: d.resolve(TOKENS.clock),
          ids: d.resolve(TOKENS.ids),
          events: d.resolve(TOKENS.events),
          hints: d.resolve(TOKENS.hints),
          policy: d.resolve(TOKENS.policy),
          windows: d.resolve(TOKENS.windows),
        }),
    ),
  });
  return c;
};

/**
 * An in-process Concierge: the client of a seeded master user, an operator handle,
 * and the sandbox behind them, one tenant per master. Several can live in one process,
 * each independent.
 */
export const createInMemoryConcierge = (options: InMemoryConciergeOptions = {}): InMemoryConcierge => {
  const ids = options.ids ?? new SequentialIds();
  const firstClock = options.clock ?? new ManualClock();
  const all: Tenant[] = [];
  const byKey = new Map<string, Tenant>();
  const byMaster = new Map<string, Tenant>();
  const listeners = new Set<(tenant: Tenant) => void>();

  const addTenant = (
    master: { readonly email: string; readonly name?: string; readonly apiKey?: string },
    clock: ControllableClock,
    seed: boolean,
  ): Tenant => {
    const c = buildContainer({ ...options, clock, ids });
    const service = c.resolve<ConciergeService>(TOKENS.service);
    const events = c.resolve<InMemoryEventStore>(TOKENS.events);
    const user = service.createMasterUser({
      email: master.email,
      ...(master.name === undefined ? {} : { name: master.name }),
      ...(master.apiKey === undefined ? {} : { apiKey: master.apiKey }),
    });
    const apiKey = user.apiKey as string;
    // The seed is this adapter's own data: a refusal is a bug here, not an input error.
    const seeded = seed ? seedOrThrow(service, user) : null;
    const operator = serviceOperator(service, clock, apiKey);
    const tenant: Tenant = {
      id: user.id,
      apiKey,
      service,
      clock,
      events,
      seeded,
      client: serviceClient(service, apiKey),
      operator: {
        ...operator,
        // Reset empties the tenant and seeds it again, as it was made.
        reset: () =>
          operator
            .reset()
            .andThen(() => (seed ? seedSandbox(service, user).map(() => undefined) : okAsync(undefined))),
      },
    };
    all.push(tenant);
    byKey.set(apiKey, tenant);
    byMaster.set(user.id, tenant);
    for (const listener of listeners) listener(tenant);
    return tenant;
  };

  const first = addTenant(
    {
      email: 'master@sandbox.concierge.test',
      name: 'Sandbox master',
      ...(options.masterApiKey === undefined ? {} : { apiKey: options.masterApiKey }),
    },
    firstClock,
    options.seed !== false,
  );
  return {
    ...first,
    addMaster: (email, apiKey, more = {}) =>
      addTenant(
        { email, ...(apiKey === undefined ? {} : { apiKey }) },
        options.newClock?.() ?? new ManualClock(firstClock.now()),
        more.seed === true,
      ),
    tenantOf: (apiKey) => (apiKey === undefined ? undefined : byKey.get(apiKey)),
    tenantOfMaster: (masterId) => byMaster.get(masterId),
    tenants: () => all,
    onTenant: (listener) => {
      listeners.add(listener);
      for (const tenant of all) listener(tenant);
      return () => listeners.delete(listener);
    },
    clientFor: (apiKey) => serviceClient(byKey.get(apiKey)?.service ?? first.service, apiKey),
  };
};
