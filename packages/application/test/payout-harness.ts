import { createInMemoryConcierge, createInMemoryJournal } from '@concierge-ts/adapter-memory';
import { sandboxPayoutContext } from '@concierge-ts/adapter-memory/testing';
import { err, type Result, ResultAsync } from 'neverthrow';
import type { ConciergeClient } from '../src/gateway/client.js';
import { type ConciergeError, conciergeError } from '../src/gateway/errors.js';
import { driveRun } from '../src/workflows/drive-run.js';
import type { CallKind, CallRecord, PayoutJournal } from '../src/workflows/payout-journal.js';
import type {
  DriveOptions,
  PayoutContext,
  PayoutRowInput,
  PayoutTuning,
  RunPlanInput,
} from '../src/workflows/payout-run.js';
import { planRun } from '../src/workflows/plan-run.js';
import { stepRun } from '../src/workflows/step-run.js';

/**
 * A payout run's world for the application's own tests: the in-process sandbox as the
 * client and the in-memory journal, with every call to the service seen on its way
 * (in order, with what the journal held when it left) and faults put on chosen calls.
 */

/** The client calls that have an effect, and the journal call kind each one is written as (SPEC 10.2.1). */
export const EFFECT_KIND: Readonly<Record<string, CallKind>> = {
  'requests.create': 'create_request',
  'outputs.create': 'create_output',
  'requests.requestQuote': 'request_quote',
  'requests.acceptQuote': 'accept_quote',
  'requests.cancel': 'cancel_request',
  'users.create': 'create_user',
  'withdrawalInstructions.create': 'create_instruction',
};

/** Thrown by the client to stand for the process killed (`kill -9`) at that instant. */
export class Killed extends Error {}

/**
 * What happens to a call a rule picks:
 * - `lose`: the service acts; the answer is lost (a timeout whose outcome is unknown);
 * - `fail`: the caller gets `error`, the service does nothing;
 * - `fail_after`: the service acts, then the caller gets `error` (an answer it cannot read);
 * - `late`: the caller times out at once; the call reaches the service at `deliverLate()`;
 * - `kill_after`: the service acts, then the process dies before reading the answer;
 * - `kill_before`: the process dies before the call leaves;
 * - `answer`: the service acts and its answer is changed;
 * - `before`: something happens first (a late call delivered), then the call passes.
 */
export type Fault =
  | { readonly kind: 'lose' }
  | { readonly kind: 'fail'; readonly error: ConciergeError }
  | { readonly kind: 'fail_after'; readonly error: ConciergeError }
  | { readonly kind: 'late' }
  | { readonly kind: 'kill_after' }
  | { readonly kind: 'kill_before' }
  | { readonly kind: 'answer'; readonly change: (value: unknown) => unknown }
  | { readonly kind: 'before'; readonly first: () => Promise<unknown> };

export interface SentCall {
  readonly name: string;
  readonly args: readonly unknown[];
  /** The journal's call records (every run) when the call left. */
  readonly journaled: readonly CallRecord[];
  readonly fault: Fault['kind'] | 'pass';
}

interface Rule {
  readonly name: string;
  readonly fault: Fault;
  readonly when: (args: readonly unknown[], seen: number) => boolean;
  left: number;
  seen: number;
}

const lost = () => conciergeError.timeout('no answer in time (test)');

export const makeWorld = () => {
  const concierge = createInMemoryConcierge();
  const seeded = concierge.seeded;
  if (!seeded) throw new Error('the sandbox was not seeded');
  const journal: PayoutJournal = createInMemoryJournal();
  const sent: SentCall[] = [];
  const rules: Rule[] = [];
  const late: (() => Promise<unknown>)[] = [];

  const journaled = async (): Promise<CallRecord[]> => {
    const runs = (await journal.listRuns())._unsafeUnwrap();
    const calls: CallRecord[] = [];
    for (const run of runs) calls.push(...((await journal.loadRun(run.runId))._unsafeUnwrap()?.calls ?? []));
    return calls;
  };

  const call = (name: string, args: unknown[], run: () => ResultAsync<unknown, ConciergeError>) =>
    new ResultAsync(
      (async (): Promise<Result<unknown, ConciergeError>> => {
        const rule = rules.find((r) => r.name === name && r.left > 0 && r.when(args, r.seen++));
        if (rule) rule.left -= 1;
        const fault = rule?.fault;
        sent.push({ name, args, journaled: await journaled(), fault: fault?.kind ?? 'pass' });
        if (fault === undefined) return run();
        switch (fault.kind) {
          case 'lose':
            await run();
            return err(lost());
          case 'fail':
            return err(fault.error);
          case 'fail_after':
            await run();
            return err(fault.error);
          case 'late':
            late.push(async () => await run());
            return err(lost());
          case 'kill_after':
            await run();
            throw new Killed(`killed after ${name}`);
          case 'kill_before':
            throw new Killed(`killed before ${name}`);
          case 'answer':
            return (await run()).map(fault.change);
          case 'before':
            await fault.first();
            return run();
          default: {
            const never: never = fault;
            return never;
          }
        }
      })(),
    );

  const client = new Proxy(concierge.client, {
    get: (target, group: string) => {
      const inner = (target as unknown as Record<string, Record<string, (...a: unknown[]) => unknown>>)[
        group
      ];
      if (inner === undefined) return undefined;
      return new Proxy(inner, {
        get:
          (g, method: string) =>
          (...args: unknown[]) =>
            call(`${group}.${method}`, args, () =>
              (g[method] as (...a: unknown[]) => ResultAsync<unknown, ConciergeError>)(...args),
            ),
      });
    },
  }) as ConciergeClient;

  const payee = (port: string) => {
    const p = seeded.payees.find((x) => x.portCode === port);
    if (!p) throw new Error(`no seeded payee in ${port}`);
    return { payeeId: p.userId, withdrawalInstructionId: p.withdrawalInstructionId };
  };

  const context = (tuning: PayoutTuning = {}): PayoutContext =>
    sandboxPayoutContext(concierge, journal, { client, tuning }) as unknown as PayoutContext;

  return {
    concierge,
    seeded,
    journal,
    client,
    /** The sandbox itself, without the faults and without being seen. */
    direct: concierge.client,
    sent,
    payee,
    ctx: context(),
    context,
    /** Puts `fault` on the calls named `name` that `when` picks (by their arguments, or the how-many-th seen), `times` times. */
    on: (
      name: string,
      fault: Fault,
      options: {
        readonly times?: number;
        readonly when?: (args: readonly unknown[], seen: number) => boolean;
      } = {},
    ) => {
      rules.push({ name, fault, when: options.when ?? (() => true), left: options.times ?? 1, seen: 0 });
    },
    /** Late calls reach the service now. */
    deliverLate: async () => {
      while (late.length > 0) await late.shift()?.();
    },
    sentNamed: (name: string) => sent.filter((s) => s.name === name),
  };
};

export type World = ReturnType<typeof makeWorld>;

export const planOf = (
  runId: string,
  payerId: string,
  rows: readonly PayoutRowInput[],
  extra: Partial<RunPlanInput> = {},
): RunPlanInput => ({
  runId,
  originPort: 'ar_ars',
  payerId,
  chunkSize: 250,
  source: { name: 'payroll.csv', digest: `sha256 of ${runId}` },
  rows,
  ...extra,
});

export const plan = async (w: World, runId: string, rows: readonly PayoutRowInput[], extra = {}) =>
  (await planRun(w.journal, planOf(runId, w.seeded.payerId, rows, extra)))._unsafeUnwrap();

export const snapshot = async (w: World, runId: string) => {
  const s = (await w.journal.loadRun(runId))._unsafeUnwrap();
  if (s === null) throw new Error(`no run ${runId}`);
  return s;
};

/** Steps a run as restarted processes would: a killed step is simply followed by a fresh one. */
export const stepToEnd = async (w: World, runId: string, limit = 200) => {
  const steps: string[] = [];
  for (let i = 0; i < limit; i += 1) {
    try {
      const outcome = (await stepRun(w.ctx, runId))._unsafeUnwrap();
      steps.push(outcome.step);
      if (outcome.next === 'done') return steps;
      if (outcome.next === 'wait') await w.ctx.sleep(outcome.waitMs);
    } catch (e) {
      if (!(e instanceof Killed)) throw e;
      steps.push('killed');
    }
  }
  throw new Error(`run ${runId} did not end in ${limit} steps: ${steps.slice(-5).join(', ')}`);
};

/** The service's requests under a run's external ids, oldest first. */
export const requestsOf = async (w: World, runId: string) =>
  (await w.direct.requests.list({ page: { size: 500 } }))
    ._unsafeUnwrap()
    .items.filter((r) => (r.externalId ?? '').startsWith(`${runId}/`));

export const outputsOf = async (w: World, requestId: string) =>
  (await w.direct.outputs.list({ requestId, page: { size: 500 } }))._unsafeUnwrap().items;

export const rowsFor = (w: World, n: number, port = 'cl_clp', amount = '1000'): PayoutRowInput[] =>
  Array.from({ length: n }, (_, i) => ({
    line: i + 2,
    reference: `inv-${i + 1}`,
    portCode: port,
    amount,
    ...w.payee(port),
  }));

/** Minor units as decimal text. */
export const text = (units: bigint, scale: number) => {
  const digits = units.toString().padStart(scale + 1, '0');
  return scale === 0 ? digits : `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
};

/** `driveRun`, interrupted after `limit` steps: a run that would go on forever fails its test at once. */
export const drive = (ctx: PayoutContext, runId: string, options: DriveOptions = {}, limit = 300) => {
  const stop = new AbortController();
  let steps = 0;
  return driveRun(ctx, runId, {
    ...options,
    signal: stop.signal,
    onStep: (status, step) => {
      options.onStep?.(status, step);
      steps += 1;
      if (steps >= limit) stop.abort();
    },
  });
};
