import { createInMemoryConcierge } from '@concierge-ts/adapter-memory';
import type { ConciergeClient, CreateOutputInput } from '@concierge-ts/application';
import {
  type Benchmark,
  collect,
  fmtBytes,
  fmtInt,
  fmtMs,
  fmtRatio,
  fmtSize,
  isMeasurement,
  type Measurement,
  MemoryProbe,
  now,
  printTable,
  type Results,
  verdict,
} from './harness.js';
import { createPayees, DEPOSIT_PER_OUTPUT_ARS, fund, ORIGIN, outputInputs, unwrap } from './world.js';

/**
 * Benchmark 1: one request with N outputs through its whole lifecycle in the in-memory
 * adapter, through the `ConciergeClient` an integrator uses, on the asynchronous fake:
 * outputs are created accepting, checked by the scheduler 2 s later (compliance,
 * instruction, limits at the current rate), quoted 1 s after the quote request, worked
 * 1 s after the accept, then issued and settled on the sandbox clock (`runUntilIdle`).
 * Every output is priced and counted, and each of its five state changes is an event;
 * the instructions' account numbers end in 0000, so every output settles by itself.
 */

const WARMUP = Number(process.env['BENCH_WARMUP'] ?? 5_000);

/** Builds the sandbox (payer, payees, instructions, deposit, a draft request) for n outputs. */
const setUp = async (n: number) => {
  const concierge = createInMemoryConcierge({ seed: false });
  const { client, operator } = concierge;
  const payer = unwrap('payer', await client.users.create({ email: 'payer@bench.test', name: 'Payer' }));
  const payees = await createPayees(client, 2);
  await fund(operator, payer.id, n);
  const request = unwrap(
    'draft',
    await client.requests.create({ portCode: ORIGIN, payerId: payer.id, externalId: `bench-${n}` }),
  );
  // Output i goes to payee i % 8 (whose port is i % 4), by amount or by budget in turns.
  const inputs = outputInputs(request.id, payees);
  return { concierge, client, payerId: payer.id, requestId: request.id, inputs };
};

const createOutputs = async (
  client: ConciergeClient,
  inputs: readonly (readonly CreateOutputInput[])[],
  n: number,
  probe?: MemoryProbe,
) => {
  const payees = inputs.length;
  for (let i = 0; i < n; i += 1) {
    const input = (inputs[i % payees] as readonly CreateOutputInput[])[Math.floor(i / payees) % 2];
    const result = await client.outputs.create(input as CreateOutputInput);
    if (result.isErr()) throw new Error(`output ${i}: ${JSON.stringify(result.error)}`);
    if (result.value.state !== 'accepting') throw new Error(`output ${i} is ${result.value.state}`);
    if (probe && (i & 0xffff) === 0xffff) probe.sample();
  }
};

/** The measured lifecycle; also used, smaller and unmeasured, to warm the JIT up. */
const lifecycle = async (n: number, probe?: MemoryProbe) => {
  const t0 = now();
  const setup = await setUp(n);
  const { client, requestId } = setup;
  const { operator } = setup.concierge;
  const t1 = now();
  await createOutputs(client, setup.inputs, n, probe);
  unwrap('checks', await operator.advanceClock(2));
  probe?.sample();
  const t2 = now();
  unwrap('request_quote', await client.requests.requestQuote(requestId));
  unwrap('quote', await operator.advanceClock(1));
  const quoted = unwrap('quoted', await client.requests.get(requestId));
  probe?.sample();
  const t3 = now();
  const accepted = unwrap('accept_quote', await client.requests.acceptQuote(requestId));
  unwrap('run until idle', await operator.runUntilIdle());
  const t4 = now();
  probe?.sample();
  return {
    setup,
    quoted,
    accepted,
    phases: { setup: t1 - t0, outputs: t2 - t1, quote: t3 - t2, acceptWorkSettle: t4 - t3 },
    totalMs: t4 - t0,
  };
};

const run = async (n: number): Promise<Measurement> => {
  if (WARMUP > 0) await lifecycle(WARMUP);
  collect();
  const probe = new MemoryProbe();
  const done = await lifecycle(n, probe);
  const memory = await probe.finish();
  // Checks, after the clock stopped and the heap was read (everything is still referenced).
  const { concierge, client, requestId, payerId } = done.setup;
  const request = unwrap('get', await client.requests.get(requestId));
  const payer = unwrap('payer', await client.users.get(payerId));
  const events = concierge.events.size;
  const problems: string[] = [];
  if (done.quoted.state !== 'quoted') problems.push(`quote: request is ${done.quoted.state}`);
  if (request.state !== 'finished') problems.push(`request is ${request.state}, not finished`);
  if (request.counters.settled !== n) problems.push(`settled ${request.counters.settled} of ${n}`);
  if (request.counters.total !== n) problems.push(`total ${request.counters.total} of ${n}`);
  // A withdrawal_instruction_created per payee; draft, quote_requested, quoted,
  // quote_accepted, working, receipt_created, finished; 5 per output.
  const expectedEvents = done.setup.inputs.length + 7 + 5 * n;
  if (events !== expectedEvents) problems.push(`${events} events, expected ${expectedEvents}`);
  const spent = request.totalToSpend?.amount ?? 0n;
  const balance = payer.balances['ars'];
  const deposited = BigInt(n * DEPOSIT_PER_OUTPUT_ARS) * 100n;
  if (!balance || balance.amount !== deposited - spent)
    problems.push(`payer balance ${balance?.amount} ≠ deposit ${deposited} − total_to_spend ${spent}`);
  if (problems.length > 0) throw new Error(`lifecycle of ${n} outputs: ${problems.join('; ')}`);
  return {
    bench: 'lifecycle',
    n,
    totalMs: done.totalMs,
    phases: done.phases,
    ...memory,
    extra: {
      state: request.state,
      settled: request.counters.settled,
      events,
      totalToSpend: `${request.totalToSpend?.amount} ARS minor units`,
      warmup: WARMUP,
    },
  };
};

/** Goals the lead set (printed next to the figures, never asserted). */
export const LIFECYCLE_GOALS = {
  millionMs: 5_000,
  bytesPerOutput: 1024,
  /** Time per output at one size ÷ at the previous size: linear growth keeps it near 1. */
  maxGrowth: 1.5,
};

const report = (results: Results): void => {
  const runs = results.get('lifecycle') ?? [];
  const rows: string[][] = [];
  let previous: Measurement | undefined;
  for (const r of runs) {
    if (!isMeasurement(r)) {
      rows.push([fmtSize(r.n), `FAILED: ${r.error}`]);
      continue;
    }
    const perOutputUs = (r.totalMs * 1000) / r.n;
    const growth = previous ? perOutputUs / ((previous.totalMs * 1000) / previous.n) : undefined;
    rows.push([
      fmtSize(r.n),
      fmtMs(r.totalMs),
      fmtMs(r.cpuMs),
      `${fmtMs(r.gcMs)} (${Math.round((100 * r.gcMs) / r.totalMs)}%)`,
      fmtMs(r.phases['setup'] ?? 0),
      fmtMs(r.phases['outputs'] ?? 0),
      fmtMs(r.phases['quote'] ?? 0),
      fmtMs(r.phases['acceptWorkSettle'] ?? 0),
      fmtInt((r.n * 1000) / r.totalMs),
      perOutputUs.toFixed(2),
      growth === undefined ? '—' : fmtRatio(growth),
      fmtInt(r.heapRetainedBytes / r.n),
      fmtInt(r.heapPeakBytes / r.n),
      fmtBytes(r.rssBytes),
      fmtBytes(r.maxRssBytes),
    ]);
    previous = r;
  }
  printTable(
    'Benchmark 1 — lifecycle: one request with N outputs, draft → finished, in-memory adapter through ConciergeClient',
    [
      'N',
      'total',
      'CPU',
      'GC pauses',
      'setup',
      'create outputs',
      'quote',
      'accept+work+settle',
      'outputs/s',
      'µs/output',
      'µs/output vs prev N',
      'heap B/output (retained)',
      'heap B/output (peak)',
      'RSS end',
      'RSS peak',
    ],
    rows,
  );
  const ok = runs.filter(isMeasurement);
  const million = ok.find((r) => r.n === 1_000_000);
  const largest = ok.at(-1);
  const worstBytes = Math.max(...ok.map((r) => r.heapRetainedBytes / r.n));
  const growths = ok.slice(1).map((r, i) => {
    const p = ok[i] as Measurement;
    return r.totalMs / r.n / (p.totalMs / p.n);
  });
  const worstGrowth = growths.length > 0 ? Math.max(...growths) : undefined;
  const goals: string[][] = [
    [
      '1,000,000 outputs in under 5 s',
      million
        ? fmtMs(million.totalMs)
        : largest
          ? `not run (${fmtSize(largest.n)}: ${fmtMs(largest.totalMs)}, ~${fmtMs((largest.totalMs * 1e6) / largest.n)} at 1M if linear)`
          : 'not run',
      million ? verdict(million.totalMs < LIFECYCLE_GOALS.millionMs) : '—',
    ],
    [
      'under 1 KiB (1,024 B) of heap per output',
      ok.length > 0 ? `worst ${fmtInt(worstBytes)} B/output (retained)` : 'not run',
      ok.length > 0 ? verdict(worstBytes < LIFECYCLE_GOALS.bytesPerOutput) : '—',
    ],
    [
      `linear growth (time per output grows < ${LIFECYCLE_GOALS.maxGrowth}× per size step)`,
      worstGrowth === undefined ? 'one size only' : `worst step ${fmtRatio(worstGrowth)}`,
      worstGrowth === undefined ? '—' : verdict(worstGrowth < LIFECYCLE_GOALS.maxGrowth),
    ],
  ];
  printTable('Lifecycle goals', ['goal', 'measured', 'verdict'], goals);
  if (largest)
    console.log(
      `  checked at every size: request finished, counters.settled = N, events = 5N + 7 + one per payee instruction, ` +
        `payer balance = deposit − total_to_spend; JIT warmed up on ${fmtInt(WARMUP)} outputs first.`,
    );
};

export const lifecycleBenchmark: Benchmark = {
  name: 'lifecycle',
  title: 'one request with N outputs through its lifecycle (in-memory adapter)',
  run,
  report,
};
