import {
  DEFAULT_QUOTE_WINDOWS,
  type Output,
  type OutputPrice,
  type QuoteWindows,
} from '@concierge-ts/domain';
import type { Result } from 'neverthrow';
import type { ConciergeError } from '../gateway/errors.js';
import type { SandboxPolicy } from '../sandbox/policy.js';
import { PortIndex } from './port-catalog.js';
import type {
  Clock,
  EventStore,
  HintTokenCodec,
  IdSource,
  PortCatalogSource,
  PricingSource,
  Repositories,
} from './ports.js';
import { type ProgressMove, type Scheduler, type TimedMoveKind, TimerQueue } from './scheduler.js';
import { OutputTargets } from './targets.js';
import { DEFAULT_TIMINGS, type SandboxTimings } from './timings.js';

/** What every command and query of the service answers: a value, or the refusal the API would give. */
export type ServiceResult<T> = Result<T, ConciergeError>;

export interface ServiceDeps {
  readonly repositories: Repositories;
  readonly catalog: PortCatalogSource;
  readonly pricing: PricingSource;
  readonly clock: Clock;
  readonly ids: IdSource;
  readonly events: EventStore;
  readonly hints: HintTokenCodec;
  readonly policy?: SandboxPolicy;
  readonly windows?: QuoteWindows;
  /** How many payment attempts a `fail_until_returned` instruction gets before its output is returned. */
  readonly maxAttempts?: number;
  /** Where timed moves wait (default: a timer queue in memory). */
  readonly scheduler?: Scheduler;
  /** When the service makes its moves (default `DEFAULT_TIMINGS`). */
  readonly timings?: Partial<SandboxTimings>;
  /**
   * Told of each timed move that failed (a pricing source that refused a quote, say): no
   * caller waits for those moves to answer. Default: written to the console as an error.
   */
  readonly onMoveFailed?: (failure: TimedMoveFailure) => void;
}

/** A timed move that failed: what the service could not do on its own, and why. */
export interface TimedMoveFailure {
  /** When the move was due (epoch ms). */
  readonly at: number;
  readonly kind: TimedMoveKind;
  readonly requestId: string;
  /** The first refusal met; the rest of the move went on. */
  readonly error: ConciergeError;
}

/**
 * The service's time: the clock's, except while due moves fire, when it is the instant
 * they were due at (a move planned for 12:00:02 happens at 12:00:02 even when the clock
 * was moved to 12:10 in one step).
 */
export class ServiceTime {
  private firingAt: number | null = null;

  constructor(readonly clock: Clock) {}

  now(): number {
    return this.firingAt ?? this.clock.now();
  }

  /** Whether due moves are firing (a command they make must not fire others meanwhile). */
  get firing(): boolean {
    return this.firingAt !== null;
  }

  /** Runs `fire` with `at` as the service's time. */
  during<T>(at: number, fire: () => T): T {
    this.firingAt = at;
    try {
      return fire();
    } finally {
      this.firingAt = null;
    }
  }
}

/**
 * What moves working outputs on their own: the receiving banks at the real provider, the
 * scripted outcomes of the sandbox here (`sandbox/scripted-outcomes.ts`).
 */
export interface OutputProgress {
  /** Outputs of a stored change that are working (they started, or were retried): plan their next step. */
  started(p: ProviderContext, outputs: readonly Output[]): void;
  /** The progress moves of one request's outputs, due now. */
  progress(p: ProviderContext, requestId: string, moves: readonly ProgressMove[]): ServiceResult<void>;
}

/**
 * What the provider's parts share: the ports it runs over, its time and schedule, and the
 * little state it keeps between calls. Each resource (`requests.ts`, `outputs.ts`...) is a
 * set of functions over it.
 */
export interface ProviderContext {
  readonly repos: Repositories;
  readonly catalog: PortCatalogSource;
  /** The catalog's ports by code. */
  readonly ports: PortIndex;
  readonly pricing: PricingSource;
  readonly ids: IdSource;
  readonly events: EventStore;
  readonly hints: HintTokenCodec;
  readonly policy: SandboxPolicy;
  readonly windows: QuoteWindows;
  readonly maxAttempts: number;
  readonly time: ServiceTime;
  readonly scheduler: Scheduler;
  readonly timings: SandboxTimings;
  readonly progress: OutputProgress;
  readonly onMoveFailed: (failure: TimedMoveFailure) => void;
  /** Amounts and budgets parsed from numbers, shared between outputs. */
  readonly targets: OutputTargets;
  /** Hint prices accepted with a quote request, until its quote is produced. */
  readonly hintPrices: Map<string, ReadonlyMap<string, OutputPrice>>;
}

/** The provider's context over `deps`, with what the sandbox plugs in: its policy and the progress of outputs. */
export const providerContext = (
  deps: ServiceDeps,
  sandbox: { readonly policy: SandboxPolicy; readonly progress: OutputProgress },
): ProviderContext => ({
  repos: deps.repositories,
  catalog: deps.catalog,
  ports: new PortIndex(deps.catalog),
  pricing: deps.pricing,
  ids: deps.ids,
  events: deps.events,
  hints: deps.hints,
  policy: sandbox.policy,
  windows: deps.windows ?? DEFAULT_QUOTE_WINDOWS,
  maxAttempts: deps.maxAttempts ?? 3,
  time: new ServiceTime(deps.clock),
  scheduler: deps.scheduler ?? new TimerQueue(),
  timings: { ...DEFAULT_TIMINGS, ...deps.timings },
  progress: sandbox.progress,
  onMoveFailed: deps.onMoveFailed ?? ((failure) => console.error('concierge: a timed move failed', failure)),
  targets: new OutputTargets(),
  hintPrices: new Map(),
});
