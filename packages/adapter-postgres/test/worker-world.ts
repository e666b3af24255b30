import { createInMemoryConcierge, type InMemoryConcierge, OffsetClock } from '@concierge-ts/adapter-memory';
import {
  bodyFor,
  checkGuarantee,
  MAGIC_ACCOUNTS,
  moneyConserved,
} from '@concierge-ts/adapter-memory/testing';
import type { PayoutJournal, PayoutRowInput, RunPlanInput } from '@concierge-ts/application';
import {
  createSandboxApp,
  type Listening,
  listenOnLoopback,
  type SandboxApp,
} from '@concierge-ts/sandbox-server';

/**
 * The sandbox server on loopback for worker tests: the sandbox clock runs `clockSpeed`
 * times real time (outputs settle while the test waits), every master's tenant too; each
 * answer is counted by status and by API key at the server, so a test can say how many
 * 429s the service sent.
 */
export interface WorkerWorld {
  readonly concierge: InMemoryConcierge;
  readonly app: SandboxApp;
  readonly url: string;
  /** Answers with status 429, by API key. */
  tooMany(apiKey?: string): number;
  /** Answers, by API key (every status). */
  answered(apiKey?: string): number;
  /** A new master (a tenant with its own API key), made with `POST /sandbox/masters`, given a payer with funds. */
  newMaster(label: string): Promise<Master>;
  close(): Promise<void>;
}

export interface Master {
  readonly apiKey: string;
  readonly payerId: string;
  /** The payer's funds before any run, in ARS minor units. */
  readonly before: bigint;
}

export const DEPOSIT_ARS = 100_000_000;

export const startWorkerWorld = async (
  options: { readonly rateLimit?: number; readonly clockSpeed?: number } = {},
): Promise<WorkerWorld> => {
  const speed = options.clockSpeed ?? 2400;
  const concierge = createInMemoryConcierge({
    clock: new OffsetClock(Date.now, speed),
    newClock: () => new OffsetClock(Date.now, speed),
    // Room for restarts and takeovers: a quote may wait 48 sandbox hours (72 s here) to be accepted.
    windows: { acceptQuoteMs: 48 * 3_600_000, provisionFundsMs: 96 * 3_600_000 },
  });
  const app = createSandboxApp(concierge, { rateLimit: options.rateLimit ?? 0, webhooks: false });
  const statuses = new Map<string, Map<number, number>>();
  const count = (key: string, status: number) => {
    const byStatus = statuses.get(key) ?? new Map<number, number>();
    byStatus.set(status, (byStatus.get(status) ?? 0) + 1);
    statuses.set(key, byStatus);
  };
  const listening: Listening = await listenOnLoopback({
    fetch: async (request: Request, ...rest: unknown[]) => {
      const response = await (app.fetch as (r: Request, ...more: unknown[]) => Promise<Response>)(
        request,
        ...rest,
      );
      count(request.headers.get('authorization') ?? '', response.status);
      return response;
    },
  });
  const sum = (apiKey: string | undefined, pick: (status: number) => boolean) => {
    let total = 0;
    for (const [key, byStatus] of statuses)
      if (apiKey === undefined || key === apiKey)
        for (const [status, n] of byStatus) if (pick(status)) total += n;
    return total;
  };
  let masters = 0;
  return {
    concierge,
    app,
    url: listening.url,
    tooMany: (apiKey) => sum(apiKey, (s) => s === 429),
    answered: (apiKey) => sum(apiKey, () => true),
    newMaster: async (label) => {
      masters += 1;
      const made = await fetch(`${listening.url}/sandbox/masters`, {
        method: 'POST',
        headers: { authorization: concierge.apiKey, 'content-type': 'application/json' },
        body: JSON.stringify({ email: `${label}-${masters}@workers.test` }),
      });
      if (made.status !== 201) throw new Error(`POST /sandbox/masters answered ${made.status}`);
      const { api_key: apiKey } = (await made.json()) as { api_key: string };
      const tenant = concierge.tenantOf(apiKey);
      if (tenant === undefined) throw new Error('the new master has no tenant');
      // Set up in-process: the key's rate limit at the server is the workers' alone.
      const payer = (
        await tenant.client.users.create({ email: `payer-${label}@workers.test`, name: `Payer ${label}` })
      )._unsafeUnwrap();
      (await tenant.operator.deposit(payer.id, { portCode: 'ar_ars', amount: DEPOSIT_ARS }))._unsafeUnwrap();
      return { apiKey, payerId: payer.id, before: BigInt(DEPOSIT_ARS) * 100n };
    },
    close: async () => {
      app.close();
      await listening.close();
    },
  };
};

/**
 * A payroll of `count` rows to a few new payees in Chile and Mexico (created by the run),
 * every fifth row the same as the one before (identical rows are paid twice, as asked).
 */
export const payroll = (label: string, count: number): PayoutRowInput[] =>
  Array.from({ length: count }, (_, i) => {
    const port = i % 2 === 0 ? 'cl_clp' : 'mx_mxn';
    const same = i % 5 === 4 ? i - 1 : i;
    return {
      line: i + 2,
      reference: `${label}-${i}`,
      portCode: port,
      amount: String(port === 'cl_clp' ? 5_000 + same : 1_000 + same),
      email: `payee-${label}-${i % 3}@workers.test`,
      name: `Payee ${i % 3}`,
      body: bodyFor(port, MAGIC_ACCOUNTS.settles),
    };
  });

export const planOf = (
  runId: string,
  master: Master,
  rows: readonly PayoutRowInput[],
  chunkSize: number,
): RunPlanInput => ({
  runId,
  originPort: 'ar_ars',
  payerId: master.payerId,
  chunkSize,
  source: { name: `${runId}.csv`, digest: `sha-${runId}` },
  rows,
});

/** The guarantee and the money of a run, against the service (in-process: no request counted at the server). */
export const verdict = async (
  world: WorkerWorld,
  journal: PayoutJournal,
  master: Master,
  plan: RunPlanInput,
) => {
  const client = world.concierge.clientFor(master.apiKey);
  const check = await checkGuarantee(client, journal, plan.runId, plan.rows);
  const money = await moneyConserved(client, plan.runId, master.payerId, master.before, 'ars');
  return { check, money };
};
