import { spawn } from 'node:child_process';
import { PerformanceObserver } from 'node:perf_hooks';

/**
 * What every benchmark file shares: the measurement record a run returns, a memory
 * probe, the child-process runner (each size runs in a fresh process so memory figures
 * and JIT state do not leak from one size to the next) and aligned text tables.
 */

/** One run of one benchmark at one size, as the child process reports it to the parent. */
export interface Measurement {
  readonly bench: string;
  readonly n: number;
  /** Wall time of the measured work, in milliseconds. */
  readonly totalMs: number;
  /** CPU time (user + system, all threads: includes the parallel GC) of the measured work. */
  readonly cpuMs: number;
  /** Time the main thread spent paused in garbage collections during the measured work. */
  readonly gcMs: number;
  /** Named phases of the measured work, in milliseconds, in order. */
  readonly phases: Readonly<Record<string, number>>;
  /** Heap still used at the end, after a full gc, with everything kept referenced, minus the heap before. */
  readonly heapRetainedBytes: number;
  /** Largest heap used sampled during the run (before gc), minus the heap before. */
  readonly heapPeakBytes: number;
  /** Resident set size at the end, and the process's peak (whole child process). */
  readonly rssBytes: number;
  readonly maxRssBytes: number;
  /** Anything else a benchmark wants to show (checks it made, counts). */
  readonly extra: Readonly<Record<string, string | number | boolean>>;
}

/** A run that did not produce a measurement (out of memory, timeout, a failed check). */
export interface Failure {
  readonly bench: string;
  readonly n: number;
  readonly error: string;
}

export type Outcome = Measurement | Failure;
export const isMeasurement = (o: Outcome | undefined): o is Measurement => o !== undefined && 'totalMs' in o;

/** All outcomes of a whole `pnpm bench`, by benchmark name, in size order. */
export type Results = ReadonlyMap<string, readonly Outcome[]>;

/**
 * A benchmark: `run` is called in a fresh child process for one size; `report` is
 * called in the parent once every benchmark ran, with every result (so a comparison
 * can read another benchmark's figures).
 */
export interface Benchmark {
  readonly name: string;
  readonly title: string;
  /** A benchmark with a size of its own runs once (at the smallest size given), not once per size. */
  readonly fixedSize?: boolean;
  run(n: number): Promise<Measurement>;
  report(results: Results, sizes: readonly number[]): void;
}

// ---------------------------------------------------------------- memory

const gc = (): void => {
  if (typeof globalThis.gc !== 'function')
    throw new Error('run with --expose-gc (the bench script does): memory figures need global.gc()');
  globalThis.gc();
  globalThis.gc();
};

/** Heap figures around a run: a full gc before, samples during, a full gc after; and CPU time. */
export class MemoryProbe {
  private readonly before: number;
  private peak: number;
  private readonly cpu: NodeJS.CpuUsage;
  private cpuMs = 0;
  private stoppedAt = Number.POSITIVE_INFINITY;
  private readonly pauses: { startTime: number; duration: number }[] = [];
  private readonly observer: PerformanceObserver;

  constructor() {
    gc();
    this.before = process.memoryUsage().heapUsed;
    this.peak = this.before;
    this.observer = new PerformanceObserver((list) => {
      for (const { startTime, duration } of list.getEntries()) this.pauses.push({ startTime, duration });
    });
    this.observer.observe({ entryTypes: ['gc'] });
    this.cpu = process.cpuUsage();
  }

  /** Call when the measured work ends (before the checks and the final gc). */
  stop(): void {
    if (this.stoppedAt !== Number.POSITIVE_INFINITY) return;
    this.stoppedAt = performance.now();
    const used = process.cpuUsage(this.cpu);
    this.cpuMs = (used.user + used.system) / 1000;
  }

  /** Cheap enough to call every few thousand operations. */
  sample(): void {
    const used = process.memoryUsage().heapUsed;
    if (used > this.peak) this.peak = used;
  }

  /** Call while everything measured is still referenced. */
  async finish(): Promise<
    Pick<Measurement, 'cpuMs' | 'gcMs' | 'heapRetainedBytes' | 'heapPeakBytes' | 'rssBytes' | 'maxRssBytes'>
  > {
    this.stop();
    this.sample();
    // gc entries reach the observer asynchronously: let them arrive, keep those of the measured work.
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setTimeout(resolve, 10));
    this.observer.disconnect();
    let gcMs = 0;
    for (const pause of this.pauses) if (pause.startTime < this.stoppedAt) gcMs += pause.duration;
    gc();
    const after = process.memoryUsage();
    return {
      cpuMs: this.cpuMs,
      gcMs,
      heapRetainedBytes: after.heapUsed - this.before,
      heapPeakBytes: Math.max(this.peak, after.heapUsed) - this.before,
      rssBytes: after.rss,
      maxRssBytes: process.resourceUsage().maxRSS * 1024,
    };
  }
}

/** Drops a run's garbage before the next one (warm-up, then the measured run). */
export const collect = gc;

export const now = (): number => performance.now();

// ---------------------------------------------------------------- environment

/**
 * How expensive this machine makes fresh memory: the time to touch a new 256 MiB buffer,
 * per GiB. Allocation-heavy benchmarks are dominated by it on some virtual machines
 * (a microVM that hands freed pages back to its host can be 10 to 20 times slower than
 * bare metal, which touches a GiB in roughly 0.1 to 0.5 s).
 */
export const freshMemoryCost = (): { msPerGiB: number; cpuMs: number } => {
  const size = 256 * 2 ** 20;
  const t0 = now();
  Buffer.alloc(size).fill(1);
  const msPerGiB = ((now() - t0) * 2 ** 30) / size;
  // A fixed amount of pure computation, to compare machines.
  const t1 = now();
  let x = 0;
  for (let i = 0; i < 50_000_000; i += 1) x = (x + i * 7) % 1_000_003;
  const cpuMs = now() - t1;
  if (x < 0) console.log(x);
  return { msPerGiB, cpuMs };
};

// ---------------------------------------------------------------- child processes

const MARK = '@@bench-result ';

/** In the child: hand the measurement to the parent on stdout. */
export const emit = (outcome: Outcome): void => {
  process.stdout.write(`${MARK}${JSON.stringify(outcome)}\n`);
};

/** V8 heap limit for the children, in MiB (a million outputs or actors need several GiB). */
const HEAP_MIB = Number(process.env['BENCH_HEAP_MIB'] ?? 8192);

/**
 * Runs `script --child bench n` in a fresh Node process with the same Node flags and
 * the heap limit; kills it after `timeoutS` seconds. Never throws: a crash,
 * an out-of-memory or a timeout comes back as a Failure.
 */
export const runInChild = (script: string, bench: string, n: number, timeoutS: number): Promise<Outcome> =>
  new Promise((resolve) => {
    const flags = process.execArgv.filter((a) => !a.startsWith('--max-old-space-size'));
    const child = spawn(
      process.execPath,
      [...flags, `--max-old-space-size=${HEAP_MIB}`, '--expose-gc', script, '--child', bench, String(n)],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      if (stderr.length > 100_000) stderr = stderr.slice(-50_000);
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutS * 1000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const line = stdout.split('\n').find((l) => l.startsWith(MARK));
      if (line) {
        resolve(JSON.parse(line.slice(MARK.length)) as Outcome);
        return;
      }
      const heap = /heap out of memory|Allocation failed/i.test(stderr);
      const why = timedOut
        ? `timed out after ${timeoutS} s`
        : heap
          ? `out of memory (heap limit ${HEAP_MIB} MiB)`
          : `exited with ${signal ?? code}: ${lastLines(stderr)}`;
      resolve({ bench, n, error: why });
    });
  });

const lastLines = (text: string): string => text.trim().split('\n').slice(-5).join(' | ').slice(0, 500);

// ---------------------------------------------------------------- formatting

export const fmtInt = (n: number): string => Math.round(n).toLocaleString('en-US');
export const fmtMs = (ms: number): string =>
  ms >= 10_000
    ? `${(ms / 1000).toFixed(1)} s`
    : ms >= 1000
      ? `${(ms / 1000).toFixed(2)} s`
      : `${ms.toFixed(1)} ms`;
export const fmtBytes = (b: number): string =>
  Math.abs(b) >= 2 ** 30
    ? `${(b / 2 ** 30).toFixed(2)} GiB`
    : Math.abs(b) >= 2 ** 20
      ? `${(b / 2 ** 20).toFixed(1)} MiB`
      : Math.abs(b) >= 2 ** 10
        ? `${(b / 2 ** 10).toFixed(1)} KiB`
        : `${Math.round(b)} B`;
export const fmtRatio = (r: number): string => `${r.toFixed(r >= 100 ? 0 : r >= 10 ? 1 : 2)}×`;
export const fmtSize = (n: number): string =>
  n >= 1_000_000 && n % 1_000_000 === 0
    ? `${n / 1_000_000}M`
    : n >= 1000 && n % 1000 === 0
      ? `${n / 1000}k`
      : String(n);

/** Prints rows as an aligned text table: text columns left, figures right. */
export const printTable = (
  title: string,
  headers: readonly string[],
  rows: readonly (readonly string[])[],
) => {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const numeric = headers.map((_, i) => rows.every((r) => /^[-+~]?[\d.,]/.test(r[i] ?? '') || r[i] === '—'));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (numeric[i] ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  console.log(`\n${title}`);
  console.log(line(headers));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of rows) console.log(line(row));
};

/** A goal next to a figure: ok, or missed. Printed, never asserted. */
export const verdict = (met: boolean): string => (met ? 'met' : 'MISSED');
