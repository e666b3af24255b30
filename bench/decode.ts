import { isDeepStrictEqual } from 'node:util';
import {
  decodeOutputPage,
  decodeWith,
  documents,
  encodeOutput,
  encodePage,
  fastOutputList,
} from '@concierge-ts/adapter-http';
import { createInMemoryConcierge } from '@concierge-ts/adapter-memory';
import { type CreateOutputInput, MAX_PAGE_SIZE, type OutputView, type Page } from '@concierge-ts/application';
// kitsu-core's types re-export without file extensions, which NodeNext cannot follow:
// its namespace is typed here by hand.
import * as kitsu from 'kitsu-core/deserialise';
import {
  type Benchmark,
  collect,
  fmtBytes,
  fmtInt,
  fmtMs,
  fmtRatio,
  isMeasurement,
  type Measurement,
  MemoryProbe,
  now,
  printTable,
  type Results,
  verdict,
} from './harness.js';
import { createPayees, fund, ORIGIN, outputInputs, unwrap } from './world.js';

const { deserialise } = kitsu as unknown as { deserialise: (document: unknown) => unknown };

/**
 * Benchmark 4: decoding a list of 10,000 outputs (one payout batch), from the text the
 * sandbox server sends to validated domain values (exact money, rates, states), by our
 * codec, side by side in the same process with kitsu-core's `deserialise` (which only
 * reshapes JSON:API, validating nothing) and with bare `JSON.parse`. Every decoder
 * starts from the same text, so each timing includes its `JSON.parse`.
 */

const OUTPUTS = Number(process.env['BENCH_DECODE_OUTPUTS'] ?? 10_000);
const ITERATIONS = Number(process.env['BENCH_DECODE_ITERATIONS'] ?? 15);
const WARMUP_ITERATIONS = Number(process.env['BENCH_DECODE_WARMUP'] ?? 5);

/**
 * The server's views of n settled outputs (every amount, rate and fee set), from the
 * in-memory adapter's public client, read back page by page as the API serves them.
 */
const serverViews = async (n: number): Promise<{ requestId: string; views: OutputView[] }> => {
  const { client, operator } = createInMemoryConcierge({ seed: false });
  const payer = unwrap('payer', await client.users.create({ email: 'payer@bench.test', name: 'Payer' }));
  const _inputs: CreateOutputInput[] = [];
  const request = unwrap(
    'draft',
    await client.requests.create({ portCode: ORIGIN, payerId: payer.id, externalId: 'bench-decode' }),
  );
  const inputs = outputInputs(request.id, await createPayees(client, 2)).flat();
  await fund(operator, payer.id, n);
  for (let i = 0; i < n; i += 1)
    unwrap(`output ${i}`, await client.outputs.create(inputs[i % inputs.length] as CreateOutputInput));
  // Time moves only when told (SPEC section 9): the checks, then the quote, as the lifecycle does.
  unwrap('checks', await operator.advanceClock(2));
  unwrap('request_quote', await client.requests.requestQuote(request.id));
  unwrap('quote', await operator.advanceClock(1));
  unwrap('accept_quote', await client.requests.acceptQuote(request.id));
  const views: OutputView[] = [];
  for (let number: number | null = 1; number !== null; ) {
    const page: Page<OutputView> = unwrap(
      'list outputs',
      await client.outputs.list({ requestId: request.id, page: { number, size: MAX_PAGE_SIZE } }),
    );
    views.push(...page.items);
    number = page.next;
  }
  return { requestId: request.id, views };
};

interface Decoder {
  readonly key: 'ours' | 'zod' | 'kitsu' | 'parse';
  readonly label: string;
  /** Text to the decoded items (whatever each decoder makes of them). */
  readonly decode: (text: string) => readonly unknown[];
}

const DECODERS: readonly Decoder[] = [
  {
    key: 'ours',
    label: "ours: decodeOutputPage(JSON.parse(text)), the HTTP client's path",
    decode: (text) => {
      const page = decodeOutputPage(JSON.parse(text));
      if (page.isErr()) throw new Error(`decodeOutputPage refused the document: ${page.error.detail}`);
      return page.value.items;
    },
  },
  {
    key: 'zod',
    label: 'ours, zod codec alone: decodeWith(documents.outputs, JSON.parse(text))',
    decode: (text) => {
      const doc = decodeWith(documents.outputs, JSON.parse(text));
      if (doc.isErr()) throw new Error(`documents.outputs refused the document: ${doc.error.detail}`);
      return doc.value.data;
    },
  },
  {
    key: 'kitsu',
    label: 'kitsu-core: deserialise(JSON.parse(text)), no validation',
    decode: (text) => (deserialise(JSON.parse(text)) as { data: unknown[] }).data,
  },
  {
    key: 'parse',
    label: 'JSON.parse(text)',
    decode: (text) => (JSON.parse(text) as { data: unknown[] }).data,
  },
];

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};

/** The check the brief asks for: not a test, an abort with a message. */
const expectCount = (what: string, items: readonly unknown[]): void => {
  if (items.length !== OUTPUTS)
    throw new Error(`${what} decoded ${items.length} outputs, expected ${OUTPUTS}`);
};

/**
 * What a decoder's result keeps alive, per output: heap after a full gc with the result
 * held, minus before. A function of its own, so that nothing of a previous decode is
 * still referenced from the caller's frame when `before` is read.
 */
const retainedPerOutput = (decoder: Decoder, text: string): number => {
  collect();
  const before = process.memoryUsage().heapUsed;
  const kept = decoder.decode(text);
  collect();
  const bytes = process.memoryUsage().heapUsed - before;
  expectCount(decoder.key, kept);
  return bytes / OUTPUTS;
};

const run = async (n: number): Promise<Measurement> => {
  for (const [name, value, min] of [
    ['BENCH_DECODE_OUTPUTS', OUTPUTS, 1],
    ['BENCH_DECODE_ITERATIONS', ITERATIONS, 1],
    ['BENCH_DECODE_WARMUP', WARMUP_ITERATIONS, 0],
  ] as const)
    if (!Number.isSafeInteger(value) || value < min)
      throw new Error(`${name} must be a whole number ≥ ${min}, got ${process.env[name]}`);

  const t0 = now();
  const { requestId, views } = await serverViews(OUTPUTS);
  expectCount('the in-memory adapter', views);
  // One page holding every output: the API caps page[size] at 500, the encoders do not.
  const document = encodePage(
    { items: views, number: 1, size: views.length, next: null },
    encodeOutput,
    `/api/concierge_request_outputs?filter[request_id]=${encodeURIComponent(requestId)}`,
  );
  const text = JSON.stringify(document);
  const buildMs = now() - t0;

  // The fast path must be the one measured: a fallback to zod would be a finding of its own.
  const fastPath = fastOutputList(JSON.parse(text)) !== undefined;

  // Correctness first (unmeasured): every decoder gets 10,000, ours gives back the server's views.
  const ours = DECODERS[0]?.decode(text) ?? [];
  expectCount('decodeOutputPage', ours);
  const mismatch = ours.findIndex((o, i) => !isDeepStrictEqual(o, views[i]));
  if (mismatch >= 0)
    throw new Error(
      `decodeOutputPage: output ${mismatch} differs from the server's view ` +
        `(${JSON.stringify(ours[mismatch], (_, v) => (typeof v === 'bigint' ? `${v}n` : v))})`,
    );
  const zod = DECODERS[1]?.decode(text) ?? [];
  expectCount('documents.outputs', zod);
  if (!isDeepStrictEqual(zod, ours)) throw new Error('documents.outputs and decodeOutputPage disagree');
  for (const d of DECODERS.slice(2)) expectCount(d.key, d.decode(text));

  // Timed: each iteration runs every decoder once, in a rotating order, with a full gc before each.
  const times = new Map<Decoder['key'], number[]>(DECODERS.map((d) => [d.key, []]));
  const probe = new MemoryProbe();
  const t1 = now();
  for (let iteration = 0; iteration < WARMUP_ITERATIONS + ITERATIONS; iteration += 1) {
    for (let k = 0; k < DECODERS.length; k += 1) {
      const decoder = DECODERS[(iteration + k) % DECODERS.length] as Decoder;
      collect();
      const start = now();
      const items = decoder.decode(text);
      const ms = now() - start;
      expectCount(decoder.key, items);
      if (iteration >= WARMUP_ITERATIONS) times.get(decoder.key)?.push(ms);
      probe.sample();
    }
  }
  const totalMs = now() - t1;
  const memory = await probe.finish();

  const heapPerOutput = new Map(DECODERS.map((d) => [d.key, retainedPerOutput(d, text)]));

  const phases: Record<string, number> = {};
  const extra: Record<string, string | number | boolean> = {
    outputs: OUTPUTS,
    iterations: ITERATIONS,
    warmup: WARMUP_ITERATIONS,
    documentBytes: Buffer.byteLength(text),
    buildMs,
    fastPath,
    decodedOurs: ours.length,
    decodedZod: zod.length,
  };
  for (const d of DECODERS) {
    const ts = times.get(d.key) ?? [];
    phases[d.key] = median(ts);
    extra[`${d.key}MinMs`] = Math.min(...ts);
    extra[`${d.key}MaxMs`] = Math.max(...ts);
    extra[`${d.key}HeapPerOutput`] = heapPerOutput.get(d.key) ?? Number.NaN;
  }
  return { bench: 'decode', n, totalMs, phases, ...memory, extra };
};

/** Goals the lead set (printed next to the figures, never asserted). */
export const DECODE_GOALS = { maxVsKitsu: 0.5, maxVsJsonParse: 3 };

const report = (results: Results): void => {
  const runs = results.get('decode') ?? [];
  const r = runs.find(isMeasurement);
  const title = (m?: Measurement) =>
    `Benchmark 4 — decode: a list document of ${fmtInt(Number(m?.extra['outputs'] ?? OUTPUTS))} outputs` +
    (m ? ` (${fmtBytes(Number(m.extra['documentBytes']))} of JSON:API)` : '') +
    ', text → values, median of ' +
    `${m?.extra['iterations'] ?? ITERATIONS} runs after ${m?.extra['warmup'] ?? WARMUP_ITERATIONS} warm-up runs, full gc before each`;
  if (!r) {
    const failure = runs.find((o) => !isMeasurement(o) && !/^skipped/.test(o.error));
    printTable(
      title(),
      ['decoder', 'result'],
      [['—', failure && !isMeasurement(failure) ? `FAILED: ${failure.error}` : 'not run']],
    );
    return;
  }
  const outputs = Number(r.extra['outputs']);
  const ms = (key: Decoder['key']) => r.phases[key] ?? Number.NaN;
  const rows = DECODERS.map((d) => [
    d.label,
    fmtMs(ms(d.key)),
    fmtMs(Number(r.extra[`${d.key}MinMs`])),
    fmtMs(Number(r.extra[`${d.key}MaxMs`])),
    ((ms(d.key) * 1000) / outputs).toFixed(2),
    fmtRatio(ms(d.key) / ms('parse')),
    fmtRatio(ms(d.key) / ms('kitsu')),
    fmtInt(Number(r.extra[`${d.key}HeapPerOutput`])),
  ]);
  printTable(
    title(r),
    [
      'decoder',
      'median',
      'min',
      'max',
      'µs/output',
      '÷ JSON.parse',
      '÷ kitsu-core',
      'heap B/output (result)',
    ],
    rows,
  );
  const vsKitsu = ms('ours') / ms('kitsu');
  const vsParse = ms('ours') / ms('parse');
  printTable(
    'Decode goals',
    ['goal', 'measured', 'verdict'],
    [
      [
        `ours ≤ ${DECODE_GOALS.maxVsKitsu}× kitsu-core`,
        `${fmtRatio(vsKitsu)} (${fmtMs(ms('ours'))} vs ${fmtMs(ms('kitsu'))})`,
        verdict(vsKitsu <= DECODE_GOALS.maxVsKitsu),
      ],
      [
        `ours ≤ ${DECODE_GOALS.maxVsJsonParse}× JSON.parse`,
        `${fmtRatio(vsParse)} (${fmtMs(ms('ours'))} vs ${fmtMs(ms('parse'))})`,
        verdict(vsParse <= DECODE_GOALS.maxVsJsonParse),
      ],
      [
        `decoded count = ${fmtInt(outputs)} (the run aborts otherwise)`,
        `${fmtInt(Number(r.extra['decodedOurs']))} (and by every decoder, every run)`,
        verdict(Number(r.extra['decodedOurs']) === outputs),
      ],
    ],
  );
  console.log(
    `  document built in ${fmtMs(Number(r.extra['buildMs']))} (not timed): ${fmtInt(outputs)} settled outputs of the ` +
      `in-memory adapter, encoded by the sandbox server's encoders (encodePage + encodeOutput) as one page. ` +
      `Every timing starts from the text, so it includes that decoder's JSON.parse. Fast path taken: ${r.extra['fastPath'] ? 'yes' : 'NO (decodeOutputPage fell back to zod)'}; ` +
      `checked before timing: ours deep-equals the server's views and the zod codec's result. ` +
      `Runs once, whatever the sizes (BENCH_DECODE_OUTPUTS, BENCH_DECODE_ITERATIONS, BENCH_DECODE_WARMUP).`,
  );
};

export const decodeBenchmark: Benchmark = {
  name: 'decode',
  title: 'decoding a 10,000-output list document: our codec vs kitsu-core vs JSON.parse',
  fixedSize: true,
  run,
  report,
};
