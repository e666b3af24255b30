import { createHttpConciergeClient, type FetchLike, type RetryInfo } from '@concierge-ts/adapter-http';
import { createInMemoryConcierge } from '@concierge-ts/adapter-memory';
import type { ConciergeClient, CreateOutputInput, OutputView, Page } from '@concierge-ts/application';
import { createSandboxApp, listenOnLoopback } from '@concierge-ts/sandbox-server';
import {
  type Benchmark,
  fmtInt,
  fmtMs,
  isMeasurement,
  type Measurement,
  MemoryProbe,
  now,
  printTable,
  type Results,
  verdict,
} from './harness.js';
import { createPayees, DESTINATIONS, ORIGIN, outputInputs, unwrap } from './world.js';

/**
 * Benchmark 3: the client's rate limiter against the sandbox server's, over a real
 * socket. 2,000 outputs are created through `createHttpConciergeClient` against
 * `createSandboxApp` listening on 127.0.0.1, with both limits at 50 requests a second:
 * a well-behaved client should use (nearly) all of its allowance and never be told 429,
 * and the outputs listed afterwards should be exactly those created (a retry that
 * created an output twice would show up there).
 */

// ---------------------------------------------------------------- the benchmark

const OUTPUTS = Number(process.env['BENCH_HTTP_OUTPUTS'] ?? 2_000);
/** Requests per second: the server's per-key limit and the client's limiter. */
const LIMIT = 50;
/** Calls in flight at once: enough that the limiter, not the round trip, sets the pace. */
const CONCURRENCY = Number(process.env['BENCH_HTTP_CONCURRENCY'] ?? 4);
const LIST_PAGE_SIZE = 500;

/** What the client saw on the wire: statuses and round-trip times, counted by a wrapping fetch. */
class Wire {
  statuses = new Map<number, number>();
  latenciesMs: number[] = [];
  retries: RetryInfo[] = [];

  readonly fetch: FetchLike = async (input, init) => {
    const t0 = now();
    const response = await fetch(input, init);
    this.latenciesMs.push(now() - t0);
    this.statuses.set(response.status, (this.statuses.get(response.status) ?? 0) + 1);
    return response;
  };

  count(status: number): number {
    return this.statuses.get(status) ?? 0;
  }

  reset(): void {
    this.statuses = new Map();
    this.latenciesMs = [];
    this.retries = [];
  }
}

const percentile = (values: readonly number[], p: number): number => {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
};

/** Payer, one payee with an instruction per destination, and a draft request, over HTTP. */
const setUp = async (
  client: ConciergeClient,
): Promise<{ requestId: string; inputs: CreateOutputInput[] }> => {
  const payer = unwrap('payer', await client.users.create({ email: 'payer@bench.test', name: 'Payer' }));
  const request = unwrap(
    'draft',
    await client.requests.create({ portCode: ORIGIN, payerId: payer.id, externalId: 'bench-http-rate' }),
  );
  return { requestId: request.id, inputs: outputInputs(request.id, await createPayees(client)).flat() };
};

/** Every output of the request, page by page, through the client. */
const listAll = async (client: ConciergeClient, requestId: string): Promise<string[]> => {
  const ids: string[] = [];
  for (let number: number | null = 1; number !== null; ) {
    const page: Page<OutputView> = unwrap(
      'list outputs',
      await client.outputs.list({ requestId, page: { number, size: LIST_PAGE_SIZE } }),
    );
    for (const o of page.items) ids.push(o.id);
    number = page.next;
  }
  return ids;
};

const run = async (n: number): Promise<Measurement> => {
  if (!Number.isSafeInteger(OUTPUTS) || OUTPUTS <= 0)
    throw new Error(
      `BENCH_HTTP_OUTPUTS must be a positive integer, got ${process.env['BENCH_HTTP_OUTPUTS']}`,
    );
  if (!Number.isSafeInteger(CONCURRENCY) || CONCURRENCY <= 0)
    throw new Error(`BENCH_HTTP_CONCURRENCY must be a positive integer, got ${CONCURRENCY}`);
  const concierge = createInMemoryConcierge({ seed: false });
  const app = createSandboxApp(concierge, { rateLimit: LIMIT, webhooks: false });
  const listening = await listenOnLoopback(app, 0);
  try {
    const wire = new Wire();
    const client = createHttpConciergeClient({
      baseUrl: listening.url,
      apiKey: concierge.apiKey,
      fetch: wire.fetch,
      timeoutMs: 10_000,
      retries: 2,
      rateLimit: LIMIT,
      onRetry: (retry) => wire.retries.push(retry),
    });
    const t0 = now();
    const { requestId, inputs } = await setUp(client);
    const setupMs = now() - t0;
    const setup429 = wire.count(429);
    wire.reset();

    // ------------------------------------------------ timed: N creations, CONCURRENCY at a time
    const probe = new MemoryProbe();
    const created: string[] = [];
    const failures = new Map<string, number>();
    let next = 0;
    const worker = async () => {
      while (next < OUTPUTS) {
        const i = next;
        next += 1;
        const result = await client.outputs.create(inputs[i % inputs.length] as CreateOutputInput);
        if (result.isOk()) created.push(result.value.id);
        else failures.set(result.error.code, (failures.get(result.error.code) ?? 0) + 1);
        if ((i & 0xff) === 0xff) probe.sample();
      }
    };
    const t1 = now();
    await Promise.all(Array.from({ length: Math.min(CONCURRENCY, OUTPUTS) }, worker));
    const totalMs = now() - t1;
    probe.stop();
    const memory = await probe.finish();
    const timed429 = wire.count(429);
    const retries = wire.retries.length;
    const latencies = wire.latenciesMs;

    // ------------------------------------------------ checks, after the clock stopped
    const t2 = now();
    const listed = await listAll(client, requestId);
    const listMs = now() - t2;
    const distinctListed = new Set(listed);
    const createdSet = new Set(created);
    const missing = created.filter((id) => !distinctListed.has(id)).length;
    const unknown = listed.filter((id) => !createdSet.has(id)).length;
    const rate = OUTPUTS / (totalMs / 1000);
    return {
      bench: 'http-rate',
      n,
      totalMs,
      phases: { setup: setupMs, createOutputs: totalMs, listOutputs: listMs },
      ...memory,
      extra: {
        outputs: OUTPUTS,
        limit: LIMIT,
        concurrency: CONCURRENCY,
        requestsPerSecond: rate,
        rateFraction: rate / LIMIT,
        answers429: timed429,
        answers429Setup: setup429,
        answers429Listing: wire.count(429) - timed429,
        retries,
        created: created.length,
        failed: [...failures.values()].reduce((a, b) => a + b, 0),
        failures: [...failures].map(([code, count]) => `${code}×${count}`).join(', '),
        listed: listed.length,
        distinctListed: distinctListed.size,
        duplicates: listed.length - created.length,
        missing,
        unknown,
        latencyP50Ms: percentile(latencies, 50),
        latencyP99Ms: percentile(latencies, 99),
        latencyMaxMs: Math.max(...latencies),
      },
    };
  } finally {
    app.close();
    await listening.close();
  }
};

/** Goals the lead set (printed next to the figures, never asserted). */
export const HTTP_RATE_GOALS = { minRateFraction: 0.98, max429: 0, maxDuplicates: 0 };

const num = (m: Measurement, key: string): number => Number(m.extra[key] ?? Number.NaN);

const report = (results: Results): void => {
  const runs = results.get('http-rate') ?? [];
  const r = runs.find(isMeasurement);
  const failure = runs.find((o) => !isMeasurement(o) && !/^skipped/.test(o.error));
  if (!r) {
    printTable(
      'Benchmark 3 — HTTP rate: outputs created through the HTTP client against the sandbox server on 127.0.0.1',
      ['outputs', 'result'],
      [[String(OUTPUTS), failure && !isMeasurement(failure) ? `FAILED: ${failure.error}` : 'not run']],
    );
    return;
  }
  printTable(
    `Benchmark 3 — HTTP rate: outputs created through the HTTP client against the sandbox server on 127.0.0.1, ` +
      `both limits at ${num(r, 'limit')} requests/s`,
    [
      'outputs',
      'in flight',
      'total',
      'CPU',
      'requests/s',
      'rate ÷ limit',
      '429 answers',
      'retries',
      'failed',
      'created',
      'listed',
      'duplicates',
      'missing',
      'round trip p50',
      'p99',
      'max',
    ],
    [
      [
        fmtInt(num(r, 'outputs')),
        String(num(r, 'concurrency')),
        fmtMs(r.totalMs),
        fmtMs(r.cpuMs),
        num(r, 'requestsPerSecond').toFixed(2),
        num(r, 'rateFraction').toFixed(4),
        fmtInt(num(r, 'answers429')),
        fmtInt(num(r, 'retries')),
        fmtInt(num(r, 'failed')),
        fmtInt(num(r, 'created')),
        fmtInt(num(r, 'listed')),
        fmtInt(num(r, 'duplicates')),
        fmtInt(num(r, 'missing')),
        fmtMs(num(r, 'latencyP50Ms')),
        fmtMs(num(r, 'latencyP99Ms')),
        fmtMs(num(r, 'latencyMaxMs')),
      ],
    ],
  );
  const fraction = num(r, 'rateFraction');
  const answers429 = num(r, 'answers429');
  const duplicates = num(r, 'duplicates');
  printTable(
    'HTTP rate goals',
    ['goal', 'measured', 'verdict'],
    [
      [
        `achieved rate ≥ ${HTTP_RATE_GOALS.minRateFraction} of the limit`,
        `${fraction.toFixed(4)} (${num(r, 'requestsPerSecond').toFixed(2)} of ${num(r, 'limit')} requests/s)`,
        verdict(fraction >= HTTP_RATE_GOALS.minRateFraction),
      ],
      [
        'no 429 answer seen by the client',
        `${fmtInt(answers429)} (setup ${fmtInt(num(r, 'answers429Setup'))}, listing ${fmtInt(num(r, 'answers429Listing'))})`,
        verdict(answers429 <= HTTP_RATE_GOALS.max429),
      ],
      [
        'no duplicates (outputs listed − outputs created)',
        `${fmtInt(duplicates)} (${fmtInt(num(r, 'listed'))} listed, ${fmtInt(num(r, 'distinctListed'))} distinct, ` +
          `${fmtInt(num(r, 'created'))} created)`,
        verdict(duplicates <= HTTP_RATE_GOALS.maxDuplicates && num(r, 'missing') === 0),
      ],
    ],
  );
  const failures = r.extra['failures'];
  console.log(
    `  setup (payer, ${DESTINATIONS.length} payees with instructions, a draft request, over HTTP) ` +
      `${fmtMs(r.phases['setup'] ?? 0)} before the clock; listing ${fmtMs(r.phases['listOutputs'] ?? 0)} after it. ` +
      `Rate = outputs ÷ total; runs once (BENCH_HTTP_OUTPUTS=${fmtInt(num(r, 'outputs'))}, ` +
      `BENCH_HTTP_CONCURRENCY=${num(r, 'concurrency')}), whatever the sizes.` +
      (failures ? ` Failed creations: ${failures}.` : '') +
      (num(r, 'unknown') > 0
        ? ` ${fmtInt(num(r, 'unknown'))} listed outputs were never returned by a create.`
        : '') +
      ` GC pauses ${fmtMs(r.gcMs)} (${((100 * r.gcMs) / r.totalMs).toFixed(1)}% of the time).`,
  );
};

export const httpRateBenchmark: Benchmark = {
  name: 'http-rate',
  title: 'outputs created through the HTTP client against the rate-limited sandbox server',
  fixedSize: true,
  run,
  report,
};
