import {
  FINAL_OUTPUT_STATES,
  OUTPUT_STATES,
  OUTPUT_TRANSITIONS,
  type OutputState,
  type OutputTrigger,
} from '@concierge-ts/domain';
import { type AnyActorRef, createActor, setup } from 'xstate';
import {
  type Benchmark,
  collect,
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

/**
 * Benchmark 2: the output lifecycle as an XState v5 machine, built from the domain's
 * own transition table (OUTPUT_TRANSITIONS, so the two cannot differ), one actor per
 * output, each taken accepting → accepted → working → settling → settled. It only moves
 * states: no checks, no prices, no counters, no events, no money.
 */

type OutputEvent = { readonly type: OutputTrigger };

const stateConfig = (state: OutputState) => {
  if (FINAL_OUTPUT_STATES.has(state)) return { type: 'final' as const };
  const moves = OUTPUT_TRANSITIONS[state] as Partial<Record<OutputTrigger, OutputState>>;
  return { on: Object.fromEntries(Object.entries(moves).map(([trigger, target]) => [trigger, { target }])) };
};

export const outputMachine = setup({ types: { events: {} as OutputEvent } }).createMachine({
  id: 'output',
  initial: 'accepting',
  states: Object.fromEntries(OUTPUT_STATES.map((state) => [state, stateConfig(state)])),
});

/** The happy path every output of the lifecycle benchmark takes. */
const PATH: readonly OutputTrigger[] = ['pass_checks', 'start_working', 'issue', 'settle'];

const WARMUP = Number(process.env['BENCH_WARMUP'] ?? 5_000);

/** Creates n actors, then sends each step of the path to every actor in turn (as a request moves all its outputs). */
const drive = (n: number, probe?: MemoryProbe) => {
  const t0 = now();
  const actors: AnyActorRef[] = new Array(n);
  for (let i = 0; i < n; i += 1) {
    actors[i] = createActor(outputMachine).start();
    if (probe && (i & 0xffff) === 0xffff) probe.sample();
  }
  probe?.sample();
  const phases: Record<string, number> = { 'create+start': now() - t0 };
  for (const type of PATH) {
    const t = now();
    for (let i = 0; i < n; i += 1) (actors[i] as AnyActorRef).send({ type });
    phases[type] = now() - t;
    probe?.sample();
  }
  return { actors, phases, totalMs: now() - t0 };
};

const run = async (n: number): Promise<Measurement> => {
  if (WARMUP > 0) drive(WARMUP);
  collect();
  const probe = new MemoryProbe();
  const done = drive(n, probe);
  const memory = await probe.finish();
  let settled = 0;
  for (const actor of done.actors) if (actor.getSnapshot().value === 'settled') settled += 1;
  if (settled !== n) throw new Error(`xstate: ${settled} of ${n} actors settled`);
  return {
    bench: 'xstate',
    n,
    totalMs: done.totalMs,
    phases: done.phases,
    ...memory,
    extra: { settled, warmup: WARMUP },
  };
};

/** Ours must be at least this many times faster than XState, while doing more. */
export const COMPARISON_GOAL = 20;

const report = (results: Results, sizes: readonly number[]): void => {
  const xstate = results.get('xstate') ?? [];
  const ours = results.get('lifecycle') ?? [];
  const measured = xstate.filter(isMeasurement);
  const largest = measured.at(-1);
  const rows: string[][] = [];
  for (const n of sizes) {
    const x = xstate.find((r) => r.n === n);
    const o = ours.find((r) => r.n === n);
    let xMs: number | undefined;
    let xCpu: number | undefined;
    let xText: string;
    if (isMeasurement(x)) {
      xMs = x.totalMs;
      xCpu = x.cpuMs;
      xText = fmtMs(x.totalMs);
    } else if (largest && largest.n < n) {
      xMs = (largest.totalMs * n) / largest.n;
      xCpu = (largest.cpuMs * n) / largest.n;
      xText = `~${fmtMs(xMs)} (extrapolated linearly from ${fmtSize(largest.n)}${x ? `; ${fmtSize(n)} ${x.error}` : ''})`;
    } else {
      xText = x ? `FAILED: ${x.error}` : 'not run';
    }
    const heap = isMeasurement(x) ? `${Math.round(x.heapRetainedBytes / n).toLocaleString('en-US')}` : '—';
    const oMs = isMeasurement(o) ? o.totalMs : undefined;
    const ratio = xMs !== undefined && oMs !== undefined ? xMs / oMs : undefined;
    const cpuRatio = xCpu !== undefined && isMeasurement(o) ? xCpu / o.cpuMs : undefined;
    rows.push([
      fmtSize(n),
      xText,
      heap,
      oMs === undefined ? (o ? `FAILED: ${(o as { error: string }).error}` : 'not run') : fmtMs(oMs),
      ratio === undefined ? '—' : fmtRatio(ratio),
      cpuRatio === undefined ? '—' : fmtRatio(cpuRatio),
      `≥ ${COMPARISON_GOAL}×`,
      ratio === undefined ? '—' : verdict(ratio >= COMPARISON_GOAL),
    ]);
  }
  printTable(
    'Benchmark 2 — comparison: XState v5, one actor per output (accepting → accepted → working → settling → settled), vs our lifecycle',
    [
      'N',
      'XState (states only)',
      'XState heap B/actor',
      'ours (checks, prices, counters, events, money)',
      'XState ÷ ours',
      'same, CPU time',
      'goal',
      'verdict',
    ],
    rows,
  );
  const phaseRows = measured.map((r) => [
    fmtSize(r.n),
    ...Object.values(r.phases).map(fmtMs),
    fmtMs(r.totalMs),
    fmtMs(r.cpuMs),
    `${fmtMs(r.gcMs)} (${Math.round((100 * r.gcMs) / r.totalMs)}%)`,
  ]);
  if (measured[0])
    printTable(
      'XState phases',
      ['N', ...Object.keys(measured[0].phases), 'total', 'CPU', 'GC pauses'],
      phaseRows,
    );
};

export const xstateBenchmark: Benchmark = {
  name: 'xstate',
  title: 'XState v5 actors of the output lifecycle (comparison)',
  run,
  report,
};
