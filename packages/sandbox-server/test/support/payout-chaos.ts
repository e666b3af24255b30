import { createHttpConciergeClient, type FetchLike } from '@concierge-ts/adapter-http';
import {
  createInMemoryConcierge,
  createInMemoryJournal,
  type InMemoryConcierge,
  type Tenant,
} from '@concierge-ts/adapter-memory';
import {
  bodyFor,
  checkGuarantee,
  MAGIC_ACCOUNTS,
  moneyConserved,
  SANDBOX_TUNING,
} from '@concierge-ts/adapter-memory/testing';
import { openJournal } from '@concierge-ts/adapter-postgres';
import {
  type ConciergeClient,
  driveRun,
  type PayoutContext,
  type PayoutError,
  type PayoutJournal,
  type PayoutRowInput,
  type PayoutTuning,
  payoutError,
  planRun,
  type RunPlanInput,
  type RunRecord,
  type RunState,
  runReport,
} from '@concierge-ts/application';
import { ResultAsync } from 'neverthrow';
import { createSandboxApp } from '../../src/app.js';
import { listenOnLoopback } from '../../src/listen.js';
import {
  between,
  FAULT_KINDS,
  type FaultKind,
  type FaultProxy,
  type FaultSchedule,
  type ProxyExchange,
  seededRandom,
  startFaultProxy,
} from '../../src/testing/index.js';

/**
 * The payout guarantee (SPEC 10.2) through the fault proxy: the public HTTP client and
 * the real workflow (driveRun over a journal) against the sandbox server on loopback,
 * with the proxy in between and the process dying now and then. Shared by the tests
 * (small, fixed seeds) and `pnpm soak` (the scale).
 */

/** The sandbox server on loopback, each trial a tenant of its own (a master user, seeded). */
export type SeededTenant = Tenant & { readonly seeded: NonNullable<Tenant['seeded']> };

export interface ChaosWorld {
  readonly concierge: InMemoryConcierge;
  readonly sandboxUrl: string;
  /** A fresh seeded tenant: a payer with funds and a payee per port; its clock is manual. */
  tenant(name: string): SeededTenant;
  close(): Promise<void>;
}

export const startChaosWorld = async (): Promise<ChaosWorld> => {
  const concierge = createInMemoryConcierge();
  const app = createSandboxApp(concierge, { rateLimit: 0, webhooks: false });
  const listening = await listenOnLoopback(app);
  let tenants = 0;
  return {
    concierge,
    sandboxUrl: listening.url,
    tenant: (name) => {
      tenants += 1;
      const tenant = concierge.addMaster(`${name}.${tenants}@chaos.example.com`, undefined, { seed: true });
      const seeded = tenant.seeded;
      if (seeded === null) throw new Error('a seeded tenant was asked for');
      return { ...tenant, seeded };
    },
    close: async () => {
      app.close();
      await listening.close();
    },
  };
};

/** A journal a process opens at its start and closes (or loses) at its end. */
export type OpenedJournal = PayoutJournal & { close(): Promise<void> };
export interface JournalSource {
  readonly kind: 'memory' | 'pglite';
  open(): Promise<OpenedJournal>;
}

/** The in-memory journal: every "process" gets a new handle on the same store. */
export const memoryJournals = (): JournalSource => {
  const store = createInMemoryJournal();
  return {
    kind: 'memory',
    open: async () => ({
      createRun: (run, rows) => store.createRun(run, rows),
      getRun: (runId) => store.getRun(runId),
      loadRun: (runId) => store.loadRun(runId),
      listRuns: () => store.listRuns(),
      write: (runId, change) => store.write(runId, change),
      close: async () => undefined,
    }),
  };
};

/** PGlite in a directory: every "process" opens it anew (one process at a time). */
export const pgliteJournals = (dir: string): JournalSource => ({
  kind: 'pglite',
  open: async () => {
    const opened = await openJournal(dir);
    if (opened.isErr()) throw new Error(`the journal at ${dir} did not open: ${opened.error.message}`);
    return opened.value;
  },
});

/** One life of the integrator's process: once dead, it sends nothing and writes nothing more. */
class Life {
  dead = false;
}

const dead = (): PayoutError => payoutError.journal('the process is dead (kill -9)');

/**
 * The journal as a process holds it: after its death every call fails, so nothing the
 * dead process still had in hand reaches the journal. Each write may be the one the
 * process dies at, before it reaches the journal or right after it committed.
 */
const mortalJournal = (
  journal: PayoutJournal,
  life: Life,
  deathAtWrite: () => 'live' | 'before' | 'after',
): PayoutJournal => {
  const fail = <T>(): ResultAsync<T, PayoutError> =>
    ResultAsync.fromPromise<T, PayoutError>(Promise.reject(new Error('dead')), dead);
  const gated = <T>(call: () => ResultAsync<T, PayoutError>): ResultAsync<T, PayoutError> =>
    life.dead ? fail<T>() : call();
  return {
    createRun: (run, rows) => gated(() => journal.createRun(run, rows)),
    getRun: (runId) => gated(() => journal.getRun(runId)),
    loadRun: (runId) => gated(() => journal.loadRun(runId)),
    listRuns: () => gated(() => journal.listRuns()),
    write: (runId, change) =>
      gated<RunRecord>(() => {
        const death = deathAtWrite();
        if (death === 'before') {
          life.dead = true;
          return fail<RunRecord>();
        }
        if (death === 'live') return journal.write(runId, change);
        return journal.write(runId, change).andThen(() => {
          life.dead = true;
          return fail<RunRecord>();
        });
      }),
  };
};

/** The network as a process sees it: a dead process sends nothing and reads no answer. */
const mortalFetch =
  (life: Life): FetchLike =>
  async (input, init) => {
    if (life.dead) throw new Error('the process is dead: nothing is sent');
    const response = await fetch(input, init);
    if (life.dead) {
      await response.body?.cancel().catch(() => undefined);
      throw new Error('the process died before it read the answer');
    }
    return response;
  };

const PORTS = ['cl_clp', 'mx_mxn', 'uy_uyu', 'ar_ars'] as const;
type Port = (typeof PORTS)[number];

/** An amount in the destination currency within the port's limits, as decimal text. */
const amountFor = (random: () => number, port: Port): string => {
  switch (port) {
    case 'cl_clp':
      return String(between(random, 1_000, 400_000));
    case 'mx_mxn':
      return (between(random, 1_000, 800_000) / 100).toFixed(2);
    case 'uy_uyu':
      return String(between(random, 50, 40_000));
    case 'ar_ars':
      return (between(random, 10_000, 3_000_000) / 100).toFixed(2);
    default: {
      const unreachable: never = port;
      return unreachable;
    }
  }
};

/**
 * A seeded payroll: rows to the tenant's seeded payees (ids) and to new payees by email
 * (found or created by the run; some with a magic account that is rejected or returned),
 * by amount or by budget, and identical rows on purpose (two invoices, same payee, same
 * money).
 */
export const randomPayroll = (
  random: () => number,
  seeded: NonNullable<Tenant['seeded']>,
  options: {
    /** Rows, drawn in [min, max]. */
    readonly size: readonly [number, number];
    /** Prefix of the references and the new payees' emails. */
    readonly label: string;
    /** Share of rows naming their payee by email (default 0.2). */
    readonly byEmail?: number;
  },
): { readonly rows: PayoutRowInput[]; readonly chunkSize: number } => {
  const { size, label } = options;
  const count = between(random, size[0], size[1]);
  const rows: PayoutRowInput[] = [];
  for (let i = 0; i < count; i += 1) {
    const previous = rows[between(random, 0, Math.max(0, rows.length - 1))];
    if (previous !== undefined && random() < 0.15) {
      rows.push({ ...previous, line: i + 2, reference: `${label}-${i}` });
      continue;
    }
    const port = PORTS[between(random, 0, PORTS.length - 1)] as Port;
    const seededPayee = seeded.payees.find((p) => p.portCode === port);
    const byEmail = random() < (options.byEmail ?? 0.2) || seededPayee === undefined;
    const account =
      random() < 0.85
        ? MAGIC_ACCOUNTS.settles
        : ([MAGIC_ACCOUNTS.rejected, MAGIC_ACCOUNTS.returned, MAGIC_ACCOUNTS.failsOnce][
            between(random, 0, 2)
          ] ?? MAGIC_ACCOUNTS.settles);
    const who = byEmail
      ? {
          email: `person${between(random, 1, 4)}.${label}@example.com`,
          name: 'Person Paid',
          body: bodyFor(port, account),
        }
      : { payeeId: seededPayee.userId, withdrawalInstructionId: seededPayee.withdrawalInstructionId };
    const money =
      port !== 'ar_ars' && random() < 0.5
        ? { budget: (between(random, 10_000, 2_000_000) / 100).toFixed(2) }
        : { amount: amountFor(random, port) };
    rows.push({
      line: i + 2,
      reference: `${label}-${i}`,
      portCode: port,
      ...money,
      ...who,
    } as PayoutRowInput);
  }
  return { rows, chunkSize: between(random, 3, 25) };
};

/** How the faults of a schedule are shared among kinds (latency and late deliveries first). */
const FAULT_MIX: Readonly<Record<FaultKind, number>> = {
  latency: 5,
  late: 4,
  drop_answer: 4,
  reset_before: 3,
  reset_after: 3,
  rate_limited: 3,
  server_error: 3,
  server_error_after: 2,
};

/**
 * A schedule where about `rate` of the requests meet a fault (more with storms: a drawn
 * 429 or 5xx repeats for up to four requests), every kind in the mix above; latency up to
 * 40 ms, late requests landing up to 300 ms after their client gave up, Retry-After 20 ms
 * (the sandbox runs on a scaled clock; the real service says seconds).
 */
export const faultsAtRate = (rate: number): PayoutTrialOptions['faults'] => {
  const weight = Object.values(FAULT_MIX).reduce((a, b) => a + b, 0);
  return {
    chances: Object.fromEntries(FAULT_KINDS.map((k) => [k, (rate * FAULT_MIX[k]) / weight])),
    latencyMs: [1, 40],
    lateAfterMs: [0, 300],
    retryAfterSeconds: 0.02,
    stormLength: [1, 4],
  };
};

/** Calls with an effect: a process that dies right after one of them was forwarded lost its answer. */
export const hasEffect = (exchange: Pick<ProxyExchange, 'method' | 'path'>): boolean =>
  exchange.method !== 'GET' && !exchange.path.startsWith('/api/concierge_estimates');

export interface PayoutTrialOptions {
  readonly seed: number;
  /** Rows per payout, drawn in [min, max] (default [1, 40]). */
  readonly rows?: readonly [number, number];
  /** The proxy's seeded schedule (its seed is the trial's). */
  readonly faults: Omit<FaultSchedule, 'seed'>;
  /** Chances that the process dies: right after an effectful call was forwarded, or at a journal write. */
  readonly deaths: { readonly afterForwarded: number; readonly atWrite: number };
  readonly journals: JournalSource;
  /** The client's timeout per attempt (default 250 ms: a late request costs that much). */
  readonly timeoutMs?: number;
  /** Lives before the trial gives up on finishing under faults (default 80). */
  readonly maxLives?: number;
  readonly tuning?: PayoutTuning;
}

export interface PayoutTrialResult {
  readonly seed: number;
  readonly rows: number;
  readonly chunkSize: number;
  /** Faults the proxy injected, by kind. */
  readonly faults: Readonly<Record<FaultKind, number>>;
  readonly injected: number;
  /** Requests delivered after their client gave up. */
  readonly lateDelivered: number;
  /** Times the process died (kill -9) and was started again. */
  readonly deaths: number;
  /** Times `driveRun` gave up (too many failed steps) and the process was started again. */
  readonly gaveUp: number;
  /** The run reached an end (finished or stopped) with the faults on. */
  readonly endedUnderFaults: boolean;
  readonly state: RunState;
  /** Requests the run made (every build of every chunk). */
  readonly requests: number;
  readonly acceptedOutputs: number;
  readonly duplicates: number;
  readonly unpaidWithReason: number;
  readonly unpaidWithoutReason: number;
  readonly conserved: boolean;
  readonly violations: readonly string[];
}

const DEFAULT_TUNING: PayoutTuning = { ...SANDBOX_TUNING };

/** A payout context for one life: its own client through the proxy, its own journal handle. */
const lifeContext = (
  tenant: Tenant,
  client: ConciergeClient,
  journal: PayoutJournal,
  life: Life,
  tuning: PayoutTuning,
): PayoutContext => ({
  client,
  journal,
  now: () => new Date(tenant.clock.now()),
  // Waiting moves the tenant's sandbox clock (checks, quotes and settlements come due), unless the process is dead.
  sleep: async (ms) => {
    if (!life.dead) tenant.service.advance(tenant.clock, Math.max(0, Math.round(ms)));
  },
  tuning,
});

/**
 * One payout through the proxy: plans it, drives it with a fresh client and journal handle
 * per life until it ends, the process dying at seeded moments; then lets every late request
 * land, follows the run to its end without faults, and checks the guarantee against the
 * service's own lists.
 */
export const payoutTrial = async (
  world: ChaosWorld,
  options: PayoutTrialOptions,
): Promise<PayoutTrialResult> => {
  const random = seededRandom(options.seed);
  const deathRandom = seededRandom(options.seed ^ 0x5eed);
  const label = `t${options.seed}`;
  const tenant = world.tenant(label);
  const { rows, chunkSize } = randomPayroll(random, tenant.seeded, { size: options.rows ?? [1, 40], label });
  const runId = `run-${label}`;
  const plan: RunPlanInput = {
    runId,
    originPort: 'ar_ars',
    payerId: tenant.seeded.payerId,
    chunkSize,
    source: { name: `${label}.csv`, digest: `digest-${label}` },
    rows,
  };
  const before = await payerBalance(tenant);
  const tuning = { ...DEFAULT_TUNING, ...options.tuning };
  let current = new Life();
  const proxy: FaultProxy = await startFaultProxy({
    upstream: world.sandboxUrl,
    schedule: { ...options.faults, seed: options.seed },
    onForwarded: (exchange) => {
      if (hasEffect(exchange) && !current.dead && deathRandom() < options.deaths.afterForwarded)
        current.dead = true;
    },
  });
  let deaths = 0;
  let gaveUp = 0;
  let ended: RunState | null = null;
  try {
    for (let lives = 0; lives < (options.maxLives ?? 80) && ended === null; lives += 1) {
      const life = new Life();
      current = life;
      const handle = await options.journals.open();
      const journal = mortalJournal(handle, life, () => {
        const r = deathRandom();
        const chance = options.deaths.atWrite;
        return r < chance / 2 ? 'before' : r < chance ? 'after' : 'live';
      });
      const client = createHttpConciergeClient({
        baseUrl: proxy.url,
        apiKey: tenant.apiKey,
        rateLimit: 0,
        timeoutMs: options.timeoutMs ?? 250,
        backoff: { initialMs: 5, maxMs: 50 },
        fetch: mortalFetch(life),
      });
      const ctx = lifeContext(tenant, client, journal, life, tuning);
      const planned = await planRun(journal, plan);
      const driven = planned.isOk() ? await driveRun(ctx, runId) : null;
      await handle.close();
      if (life.dead) deaths += 1;
      else if (driven?.isOk()) ended = driven.value.state;
      else gaveUp += 1;
      life.dead = true;
    }
    await proxy.idle();
  } finally {
    await proxy.close();
  }
  // Every late request has landed; the run goes on to its end without faults, straight to the sandbox.
  const handle = await options.journals.open();
  try {
    const direct = createHttpConciergeClient({
      baseUrl: world.sandboxUrl,
      apiKey: tenant.apiKey,
      rateLimit: 0,
    });
    const final = await driveRun(lifeContext(tenant, direct, handle, new Life(), tuning), runId);
    const checked = await checkRun(tenant, handle, runId, rows, before);
    const snapshot = (await handle.loadRun(runId)).unwrapOr(null);
    return {
      seed: options.seed,
      rows: rows.length,
      chunkSize,
      faults: proxy.counts(),
      injected: proxy.injected(),
      lateDelivered: proxy.lateDelivered(),
      deaths,
      gaveUp,
      endedUnderFaults: ended !== null,
      state: final.isOk() ? final.value.state : 'working',
      requests: snapshot?.chunks.filter((c) => c.requestId !== null).length ?? 0,
      ...checked,
      violations: [
        ...checked.violations,
        ...(final.isErr() ? [`the run did not end without faults: ${final.error.message}`] : []),
      ],
    };
  } finally {
    await handle.close();
  }
};

export interface RunCheck {
  readonly acceptedOutputs: number;
  readonly duplicates: number;
  readonly unpaidWithReason: number;
  readonly unpaidWithoutReason: number;
  readonly conserved: boolean;
  /** Every breach of the guarantee found (empty when it holds). */
  readonly violations: readonly string[];
}

/**
 * The guarantee against the service's truth (its lists of requests and outputs, read
 * in-process, not through the proxy): every row in exactly one accepted request or in none
 * with a reason, no output of an accepted request without its row, the report equal to
 * the outputs, and the payer's money conserved.
 */
export const checkRun = async (
  tenant: SeededTenant,
  journal: PayoutJournal,
  runId: string,
  rows: readonly PayoutRowInput[],
  before: bigint,
): Promise<RunCheck> => {
  const check = await checkGuarantee(tenant.client, journal, runId, rows);
  const report = (await runReport(journal, runId)).unwrapOr([]);
  const money = await moneyConserved(tenant.client, runId, tenant.seeded.payerId, before, 'ars');
  return {
    acceptedOutputs: check.acceptedOutputs,
    duplicates: check.duplicates,
    unpaidWithReason: report.filter((l) => l.outputId === null && l.reason !== null).length,
    unpaidWithoutReason: report.filter((l) => l.outputId === null && l.reason === null).length,
    conserved: money.conserved,
    violations: [...check.violations, ...(money.conserved ? [] : [`money not conserved: ${money.detail}`])],
  };
};

/** The payer's balance in the origin currency (ARS), in minor units. */
export const payerBalance = async (tenant: SeededTenant) =>
  (await tenant.client.users.get(tenant.seeded.payerId))._unsafeUnwrap().balances.ars?.amount ?? 0n;

/**
 * Runs trials `concurrency` at a time (each its own tenant and proxy), answers in seed
 * order. `slot` (0 to concurrency - 1) tells a trial which of the parallel lanes it runs in,
 * for what cannot be shared between lanes (a PGlite directory).
 */
export const runTrials = async <T>(
  seeds: readonly number[],
  concurrency: number,
  trial: (seed: number, slot: number) => Promise<T>,
): Promise<T[]> => {
  const results: T[] = new Array(seeds.length);
  let next = 0;
  const lane = async (slot: number) => {
    while (next < seeds.length) {
      const i = next;
      next += 1;
      results[i] = await trial(seeds[i] as number, slot);
    }
  };
  await Promise.all(
    Array.from({ length: Math.max(1, Math.min(concurrency, seeds.length)) }, (_, slot) => lane(slot)),
  );
  return results;
};

/** Sums of a set of trials, for a table line. */
export const totals = (results: readonly PayoutTrialResult[]) => {
  const faults = Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<FaultKind, number>;
  for (const r of results) for (const k of FAULT_KINDS) faults[k] += r.faults[k];
  const sum = (f: (r: PayoutTrialResult) => number) => results.reduce((n, r) => n + f(r), 0);
  return {
    payouts: results.length,
    intendedOutputs: sum((r) => r.rows),
    acceptedOutputs: sum((r) => r.acceptedOutputs),
    faults,
    injected: sum((r) => r.injected),
    lateDelivered: sum((r) => r.lateDelivered),
    deaths: sum((r) => r.deaths),
    gaveUp: sum((r) => r.gaveUp),
    endedUnderFaults: sum((r) => (r.endedUnderFaults ? 1 : 0)),
    requests: sum((r) => r.requests),
    duplicates: sum((r) => r.duplicates),
    unpaidWithReason: sum((r) => r.unpaidWithReason),
    unpaidWithoutReason: sum((r) => r.unpaidWithoutReason),
    conserved: results.every((r) => r.conserved),
    violations: results.flatMap((r) => r.violations.map((v) => `seed ${r.seed}: ${v}`)),
  };
};
