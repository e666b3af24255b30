import { createHttpConciergeClient } from '@concierge-ts/adapter-http';
import { SANDBOX_TUNING } from '@concierge-ts/adapter-memory/testing';
import { driveRun, type PayoutRowInput, planRun, runReport } from '@concierge-ts/application';
import {
  between,
  type FaultKind,
  type FaultProxy,
  type ProxyExchange,
  seededRandom,
  startFaultProxy,
} from '../../src/testing/index.js';
import {
  type ChaosWorld,
  checkRun,
  type JournalSource,
  payerBalance,
  type RunCheck,
} from './payout-chaos.js';

const OUTPUTS = '/api/concierge_request_outputs';

const isOutputCreate = (e: ProxyExchange) => e.method === 'POST' && e.path.startsWith(OUTPUTS);
const isOutputList = (e: ProxyExchange) => e.method === 'GET' && e.path.startsWith(OUTPUTS);

export interface IdenticalRowsResult extends RunCheck {
  readonly seed: number;
  readonly variant: 'reset_before' | 'late';
  readonly rows: number;
  /** The two identical rows' outputs: distinct when each row was paid on its own. */
  readonly pair: readonly [string | null, string | null];
  /** Requests the run made (a late copy that lands makes the quote's match fail: the chunk is built again). */
  readonly requests: number;
  /** Output creates that reached the service, late copy included. */
  readonly outputCreatesForwarded: number;
  readonly injected: number;
  readonly faults: Readonly<Record<FaultKind, number>>;
  readonly lateDelivered: number;
}

/**
 * Two identical rows on purpose (same payee, instruction, port and amount) among a few
 * others, in one chunk; the second one's create is reset before it reaches the service
 * (`reset_before`), or is delivered late (`late`): held until the client gave up, then
 * forwarded once the run has looked for it in the draft and sent it again, and before the
 * quote is asked. The run must pay each row on its own output: never answer the second
 * row with the first one's output, never accept a request holding the late copy.
 */
export const identicalRowsTrial = async (
  world: ChaosWorld,
  options: {
    readonly seed: number;
    readonly variant: 'reset_before' | 'late';
    readonly journals: JournalSource;
    readonly timeoutMs?: number;
  },
): Promise<IdenticalRowsResult> => {
  const random = seededRandom(options.seed);
  const label = `pair-${options.variant}-${options.seed}`;
  const tenant = world.tenant(label);
  const payees = tenant.seeded.payees.filter((p) => ['cl_clp', 'mx_mxn', 'uy_uyu'].includes(p.portCode));
  const pick = () => payees[between(random, 0, payees.length - 1)] as (typeof payees)[number];
  const others = between(random, 0, 6);
  const first = between(random, 0, others);
  const second = between(random, first + 1, others + 1);
  const twin = pick();
  const rows: PayoutRowInput[] = Array.from({ length: others + 2 }, (_, i) => {
    const twinRow = i === first || i === second;
    const payee = twinRow ? twin : pick();
    return {
      line: i + 2,
      reference: `${label}-${i}`,
      portCode: payee.portCode,
      amount: twinRow ? '2500' : String(1_000 + between(random, 0, 9_000)),
      payeeId: payee.userId,
      withdrawalInstructionId: payee.withdrawalInstructionId,
    };
  });
  const runId = `run-${label}`;
  const before = await payerBalance(tenant);
  // The second twin's create is the (second + 1)-th output create: every row is sent in file order.
  const proxy: FaultProxy = await startFaultProxy({
    upstream: world.sandboxUrl,
    rules:
      options.variant === 'reset_before'
        ? [{ method: 'POST', path: OUTPUTS, nth: second + 1, fault: { kind: 'reset_before' } }]
        : [
            { method: 'POST', path: OUTPUTS, nth: second + 1, fault: { kind: 'late', until: () => resent } },
            // The quote is asked only once the late copy has landed in the draft.
            {
              method: 'POST',
              path: /\/request_quote$/,
              nth: 1,
              fault: { kind: 'latency', ms: 0, until: () => landed },
            },
          ],
  });
  // Watched from the start, so that no step is missed: the run lists the draft once the
  // batch is sent (the first listing of outputs: the copy is not there), then sends that
  // row again (the next output create); the late copy is let go after that.
  const resent = proxy.nextForwarded(isOutputList).then(() => proxy.nextForwarded(isOutputCreate));
  const landed = proxy.nextForwarded((e) => e.fault === 'late');
  const journal = await options.journals.open();
  try {
    const client = createHttpConciergeClient({
      baseUrl: proxy.url,
      apiKey: tenant.apiKey,
      rateLimit: 0,
      timeoutMs: options.timeoutMs ?? 250,
    });
    (
      await planRun(journal, {
        runId,
        originPort: 'ar_ars',
        payerId: tenant.seeded.payerId,
        chunkSize: rows.length,
        source: { name: `${label}.csv`, digest: label },
        rows,
      })
    )._unsafeUnwrap();
    const driven = await driveRun(
      {
        client,
        journal,
        now: () => new Date(tenant.clock.now()),
        sleep: async (ms) => tenant.service.advance(tenant.clock, Math.max(0, Math.round(ms))),
        tuning: SANDBOX_TUNING,
      },
      runId,
    );
    await proxy.idle();
    const checked = await checkRun(tenant, journal, runId, rows, before);
    const report = (await runReport(journal, runId)).unwrapOr([]);
    const snapshot = (await journal.loadRun(runId)).unwrapOr(null);
    const outputOf = (i: number) => report.find((l) => l.reference === `${label}-${i}`)?.outputId ?? null;
    return {
      seed: options.seed,
      variant: options.variant,
      rows: rows.length,
      pair: [outputOf(first), outputOf(second)],
      requests: snapshot?.chunks.filter((c) => c.requestId !== null).length ?? 0,
      outputCreatesForwarded: proxy.exchanges().filter((e) => isOutputCreate(e) && e.reachedUpstream).length,
      injected: proxy.injected(),
      faults: proxy.counts(),
      lateDelivered: proxy.lateDelivered(),
      ...checked,
      violations: [
        ...checked.violations,
        ...(driven.isErr() ? [`the run failed: ${driven.error.message}`] : []),
        ...(driven.isOk() && driven.value.state !== 'finished'
          ? [`the run ended ${driven.value.state}`]
          : []),
      ],
    };
  } finally {
    await journal.close();
    await proxy.close();
  }
};
