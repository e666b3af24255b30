import type { ConciergeClient, RunStatus } from '@concierge-ts/application';
import cliProgress from 'cli-progress';
import { rowCountsText, rowProgress, statusJson } from './views.js';

/**
 * How a run shows its progress (SPEC section 10.4): in a terminal a live bar (rows
 * committed and final, requests per second, time left); otherwise, or with `--json`,
 * one line per step.
 */

/** Counts the calls made through a client, for a requests-per-second figure. */
export class RequestMeter {
  private readonly times: number[] = [];
  total = 0;

  constructor(private readonly now: () => number = () => performance.now()) {}

  record(): void {
    this.total += 1;
    this.times.push(this.now());
    if (this.times.length > 1000) this.times.splice(0, this.times.length - 1000);
  }

  /** Calls per second over the last `windowMs` (default 5 s). */
  perSecond(windowMs = 5000): number {
    const now = this.now();
    const recent = this.times.filter((t) => now - t <= windowMs);
    return recent.length / (windowMs / 1000);
  }
}

/** The client, every call of which the meter counts. */
export const meteredClient = (client: ConciergeClient, meter: RequestMeter): ConciergeClient => {
  const wrap = <R extends object>(resource: R): R =>
    Object.fromEntries(
      Object.entries(resource).map(([name, method]) => [
        name,
        typeof method === 'function'
          ? (...args: unknown[]) => {
              meter.record();
              return (method as (...a: unknown[]) => unknown).apply(resource, args);
            }
          : method,
      ]),
    ) as R;
  return {
    ports: wrap(client.ports),
    requests: wrap(client.requests),
    outputs: wrap(client.outputs),
    estimates: wrap(client.estimates),
    users: wrap(client.users),
    withdrawalInstructions: wrap(client.withdrawalInstructions),
  };
};

export interface Progress {
  step(status: RunStatus, step: string): void;
  /** Ends a live display (nothing for lines). */
  stop(): void;
}

export type ProgressMode = 'bar' | 'lines' | 'json';

/** One line per step: `step add outputs 1: working · committed 0, final 0 of 25 · 4.8 requests/s`. */
const lineProgress = (print: (line: string) => void, meter: RequestMeter): Progress => ({
  step(status, step) {
    const { committed, final, total } = rowProgress(status);
    print(
      `${step}: ${status.state} · rows committed ${committed}, final ${final} of ${total} (${rowCountsText(status)}) · ${meter.perSecond().toFixed(1)} requests/s`,
    );
  },
  stop() {},
});

/** One JSON object per step: the status object of `status --json`, the step and the request rate. */
const jsonProgress = (print: (line: string) => void, meter: RequestMeter, now: () => Date): Progress => ({
  step(status, step) {
    print(
      JSON.stringify({
        at: now().toISOString(),
        step,
        ...statusJson(status),
        requests_per_second: Number(meter.perSecond().toFixed(2)),
      }),
    );
  },
  stop() {},
});

/** `1m05s`, `12s`. */
const duration = (ms: number): string => {
  const seconds = Math.ceil(ms / 1000);
  return seconds >= 60
    ? `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s`
    : `${seconds}s`;
};

/**
 * Time left for a count that grows toward its total, from its pace since it first moved:
 * `-` until it has moved twice.
 */
export class TimeLeft {
  private first: { at: number; value: number } | undefined;

  constructor(private readonly now: () => number = () => performance.now()) {}

  update(value: number, total: number): string {
    const at = this.now();
    if (value >= total) return '0s';
    if (this.first === undefined) {
      if (value > 0) this.first = { at, value };
      return '-';
    }
    const done = value - this.first.value;
    if (done <= 0) return '-';
    return duration(((at - this.first.at) / done) * (total - value));
  }
}

/** Two live bars: rows committed, rows final; each with its time left, and the request rate. */
const barProgress = (meter: RequestMeter, stream: NodeJS.WritableStream): Progress => {
  const bars = new cliProgress.MultiBar(
    {
      format: '{label} {bar} {value}/{total} rows | {rate} requests/s | time left {left}',
      hideCursor: true,
      clearOnComplete: false,
      stream,
    },
    cliProgress.Presets.shades_classic,
  );
  let committed: cliProgress.SingleBar | undefined;
  let final: cliProgress.SingleBar | undefined;
  const committedLeft = new TimeLeft();
  const finalLeft = new TimeLeft();
  return {
    step(status) {
      const progress = rowProgress(status);
      const rate = meter.perSecond().toFixed(1);
      // Committed counts every row past the commit: in an accepted request, or final.
      const pastCommit = progress.committed + progress.final;
      committed ??= bars.create(progress.total, 0, { label: 'committed', rate, left: '-' });
      final ??= bars.create(progress.total, 0, { label: 'final    ', rate, left: '-' });
      committed.update(pastCommit, { rate, left: committedLeft.update(pastCommit, progress.total) });
      final.update(progress.final, { rate, left: finalLeft.update(progress.final, progress.total) });
    },
    stop() {
      bars.stop();
    },
  };
};

export const createProgress = (
  mode: ProgressMode,
  options: {
    readonly print: (line: string) => void;
    readonly meter: RequestMeter;
    readonly now: () => Date;
    readonly stream?: NodeJS.WritableStream;
  },
): Progress => {
  switch (mode) {
    case 'bar':
      return barProgress(options.meter, options.stream ?? process.stdout);
    case 'lines':
      return lineProgress(options.print, options.meter);
    case 'json':
      return jsonProgress(options.print, options.meter, options.now);
    default: {
      const unreachable: never = mode;
      return unreachable;
    }
  }
};
