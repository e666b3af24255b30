import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { decodeBenchmark } from './decode.js';
import {
  type Benchmark,
  emit,
  fmtMs,
  fmtSize,
  freshMemoryCost,
  isMeasurement,
  type Outcome,
  runInChild,
} from './harness.js';
import { httpRateBenchmark } from './http-rate.js';
import { lifecycleBenchmark } from './lifecycle.js';
import { serverBenchmark } from './server.js';
import { journalsBenchmark, workersBenchmark } from './workers.js';
import { xstateBenchmark } from './xstate.js';

/**
 * `pnpm bench`: builds (`tsc -b`) and runs every benchmark at every size on the built
 * JavaScript (this file as bench/dist/index.js, the packages from their dist/, as an
 * integrator runs them), each (benchmark, size) in a fresh child process with the same
 * Node flags, then prints each benchmark's tables.
 *
 *   BENCH_SIZES=10000,100000 pnpm bench        sizes (default 10000,100000,1000000)
 *   pnpm bench 10000,100000                     the same, as an argument
 *   BENCH_ONLY=lifecycle pnpm bench             some benchmarks only (comma-separated names)
 *   BENCH_TIMEOUT_S=600 BENCH_HEAP_MIB=8192     per child process
 *   BENCH_WARMUP=5000                           operations run before measuring, to warm the JIT up
 *   pnpm bench --db postgres://...              the PostgreSQL server of `workers` and `journals` (or BENCH_DB,
 *                                               or CONCIERGE_TEST_DATABASE_URL; without one, their server parts are skipped)
 *
 * A new benchmark is a file exporting a `Benchmark`, added to this list. Order matters
 * only for reports that read another benchmark's results (the XState comparison reads
 * the lifecycle's).
 */
const BENCHMARKS: readonly Benchmark[] = [
  lifecycleBenchmark,
  xstateBenchmark,
  httpRateBenchmark,
  decodeBenchmark,
  serverBenchmark,
  workersBenchmark,
  journalsBenchmark,
];

const DEFAULT_SIZES = [10_000, 100_000, 1_000_000];

const parseSizes = (text: string | undefined): number[] | undefined => {
  if (!text) return undefined;
  const sizes = text.split(',').map((s) => Number(s.trim().replaceAll('_', '')));
  if (sizes.some((n) => !Number.isSafeInteger(n) || n <= 0))
    throw new Error(`sizes must be positive integers separated by commas, got ${JSON.stringify(text)}`);
  return sizes;
};

const child = async (name: string, n: number): Promise<void> => {
  const bench = BENCHMARKS.find((b) => b.name === name);
  if (!bench) throw new Error(`no benchmark named ${name}`);
  try {
    emit(await bench.run(n));
  } catch (error) {
    emit({ bench: name, n, error: error instanceof Error ? error.message : String(error) });
  }
};

const main = async (): Promise<void> => {
  const args = process.argv.slice(2).filter((a) => a !== '--');
  // `--db URL` (or `--db=URL`): the server of the PostgreSQL benchmarks, handed to the children.
  const dbAt = args.findIndex((a) => a === '--db' || a.startsWith('--db='));
  if (dbAt >= 0) {
    const db = args[dbAt]?.startsWith('--db=') ? args[dbAt]?.slice(5) : args[dbAt + 1];
    if (!db || !/^postgres(ql)?:\/\//.test(db)) throw new Error('--db needs a postgres:// URL');
    process.env['BENCH_DB'] = db;
  }
  const sizeArg = args.find((a) => /^(--sizes=)?[\d_,]+$/.test(a))?.replace('--sizes=', '');
  const sizes = parseSizes(sizeArg) ?? parseSizes(process.env['BENCH_SIZES']) ?? DEFAULT_SIZES;
  const only = process.env['BENCH_ONLY']?.split(',').map((s) => s.trim());
  const timeoutS = Number(process.env['BENCH_TIMEOUT_S'] ?? 600);
  const selected = BENCHMARKS.filter((b) => !only || only.includes(b.name));
  const script = fileURLToPath(import.meta.url);
  console.log(
    `concierge-ts benchmarks — Node ${process.version}, ${process.platform}/${process.arch}, ` +
      `${cpus().length} CPUs, load average ${loadavg()[0]?.toFixed(1)}, sizes ${sizes.map(fmtSize).join(', ')}, ` +
      'one child process per benchmark and size (total = wall time; CPU = user + system time of all threads)',
  );
  const machine = freshMemoryCost();
  console.log(
    `machine: touching fresh memory costs ${fmtMs(machine.msPerGiB)} per GiB ` +
      `(bare metal: roughly 0.1 to 0.5 s; every benchmark here allocates heavily, so its times scale with this); ` +
      `reference CPU loop ${fmtMs(machine.cpuMs)}`,
  );
  const results = new Map<string, Outcome[]>();
  for (const bench of selected) {
    const outcomes: Outcome[] = [];
    results.set(bench.name, outcomes);
    const ascending = [...sizes].sort((a, b) => a - b);
    for (const n of bench.fixedSize ? ascending.slice(0, 1) : ascending) {
      // Once a size fails (out of memory, timeout), larger ones would too: the report extrapolates.
      const failed = outcomes.find((o) => !isMeasurement(o));
      if (failed) {
        outcomes.push({ bench: bench.name, n, error: `skipped (${fmtSize(failed.n)} already failed)` });
        continue;
      }
      process.stderr.write(`  ${bench.name} ${fmtSize(n)} … `);
      const outcome = await runInChild(script, bench.name, n, timeoutS);
      process.stderr.write(isMeasurement(outcome) ? `${fmtMs(outcome.totalMs)}\n` : `${outcome.error}\n`);
      outcomes.push(outcome);
    }
  }
  for (const bench of selected)
    bench.report(
      results,
      [...sizes].sort((a, b) => a - b),
    );
  const failures = [...results.values()].flat().filter((o) => !isMeasurement(o));
  if (failures.some((f) => !('error' in f) || !/out of memory|timed out|skipped/.test(f.error)))
    process.exitCode = 1;
};

if (process.argv[2] === '--child') {
  await child(process.argv[3] ?? '', Number(process.argv[4]));
} else {
  await main();
}
