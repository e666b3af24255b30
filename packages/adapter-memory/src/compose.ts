import 'reflect-metadata';
import {
  type ConciergeClient,
  ConciergeService,
  type ControllableClock,
  type EventStore,
  type HintTokenCodec,
  type IdSource,
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
import { container, type DependencyContainer, instanceCachingFactory } from 'tsyringe';
import { defaultCatalog, staticCatalog } from './catalog.js';
import { ManualClock } from './clock.js';
import { InMemoryEventStore } from './events.js';
import { InMemoryHintTokens } from './hints.js';
import { SequentialIds } from './ids.js';
import { MAGIC_VALUES } from './magic.js';
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
  /** Default: a manual clock at 2026-01-05T12:00:00Z that moves only when advanced. */
  readonly clock?: ControllableClock;
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

export interface InMemoryConcierge extends MasterHandle {
  readonly service: ConciergeService;
  readonly clock: ControllableClock;
  readonly events: InMemoryEventStore;
  readonly seeded: SeededSandbox | null;
  /** Another master user in the same instance: isolated from the first. */
  addMaster(email: string, apiKey?: string): MasterHandle;
  clientFor(apiKey: string): ConciergeClient;
}

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
  c.register(TOKENS.ids, { useFactory: instanceCachingFactory<IdSource>(() => new SequentialIds()) });
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
 * and the sandbox behind them. Several can live in one process, each independent.
 */
export const createInMemoryConcierge = (options: InMemoryConciergeOptions = {}): InMemoryConcierge => {
  const c = buildContainer(options);
  const service = c.resolve<ConciergeService>(TOKENS.service);
  const clock = c.resolve<ControllableClock>(TOKENS.clock);
  const events = c.resolve<InMemoryEventStore>(TOKENS.events);
  const handle = (user: UserRecord): MasterHandle => ({
    id: user.id,
    apiKey: user.apiKey as string,
    client: serviceClient(service, user.apiKey as string),
    operator: serviceOperator(service, clock, user.apiKey as string),
  });
  const master = service.createMasterUser({
    email: 'master@sandbox.concierge.test',
    name: 'Sandbox master',
    ...(options.masterApiKey === undefined ? {} : { apiKey: options.masterApiKey }),
  });
  const seeded = options.seed === false ? null : seedSandbox(service, master);
  return {
    ...handle(master),
    service,
    clock,
    events,
    seeded,
    addMaster: (email, apiKey) =>
      handle(service.createMasterUser({ email, ...(apiKey === undefined ? {} : { apiKey }) })),
    clientFor: (apiKey) => serviceClient(service, apiKey),
  };
};
