import { createHash } from 'node:crypto';
import {
  driveRun,
  type PayoutContext,
  type PayoutError,
  type PayoutRowInput,
  planRun,
  type RunPlanInput,
  type RunStatus,
  runStatus,
} from '@concierge-ts/application';
import { currencyOf, moneyText, type ParsedPortCode, parseMoney } from '@concierge-ts/domain';
import { match } from 'ts-pattern';
import { describeProblems, type KnownPort, parsePayoutFile } from './payout-file.js';
import { createProgress, type ProgressMode, type RequestMeter } from './progress.js';
import { rowCountsText, statusLines } from './views.js';

/**
 * The one code path of a payout run, shared by `concierge payouts run`, `resume` and the
 * demo: read and check the file, plan the run in the journal, ask before anything is
 * sent (in a terminal), drive the run with progress, and say how it ended. The caller
 * wires the client, the journal and the clock.
 */

/** Exit statuses (SPEC section 10.4). */
export const EXIT = {
  /** Every row final (or every chunk committed, with `--detach`). */
  ok: 0,
  /** The run stopped with rows that need the integrator; the message says what. */
  attention: 1,
  /** A usage error. */
  usage: 2,
} as const;
export type ExitStatus = (typeof EXIT)[keyof typeof EXIT];

export interface RunConsole {
  /** Standard output: results and progress lines. */
  readonly out: (line: string) => void;
  /** Standard error: what went wrong, how to resume. */
  readonly err: (line: string) => void;
  readonly progress: ProgressMode;
  /** Where a live progress bar is drawn. */
  readonly progressStream?: NodeJS.WritableStream;
  /** Asks a yes/no question; absent when nobody can answer (not a terminal). */
  readonly confirm?: (question: string) => Promise<boolean>;
}

export interface FollowOptions {
  readonly detach: boolean;
  /** Skip the confirmation. */
  readonly yes: boolean;
  /** Aborted on SIGINT/SIGTERM: the run stops after the current step. */
  readonly signal?: AbortSignal;
  /** The command that goes on with this run, printed whenever it stops early. */
  readonly resumeHint: string;
  readonly meter: RequestMeter;
}

export interface NewRun {
  readonly runId: string;
  readonly file: { readonly name: string; readonly bytes: Uint8Array };
  readonly origin: ParsedPortCode;
  readonly payerId: string;
  readonly chunkSize: number;
  readonly maxTotal?: string;
  readonly tolerance?: string;
  /** The service's ports, when they could be read: rows to other ports are refused. */
  readonly ports?: readonly KnownPort[];
}

export interface RunOutcome {
  readonly exit: ExitStatus;
  readonly status?: RunStatus;
}

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** What the rows add up to, exactly: `amounts 1250000 CLP, 3500.25 MXN; budgets 480000.00 ARS`. */
export const totalsText = (rows: readonly PayoutRowInput[], origin: ParsedPortCode): string => {
  const amounts = new Map<string, bigint>();
  let budgets = 0n;
  for (const row of rows) {
    // The rows were checked: every amount parses.
    if (row.amount !== undefined) {
      const currency = row.portCode.slice(3).toUpperCase();
      const money = parseMoney(row.amount, currency);
      if (money.isOk()) amounts.set(currency, (amounts.get(currency) ?? 0n) + money.value.amount);
    } else if (row.budget !== undefined) {
      const money = parseMoney(row.budget, origin.currency.code);
      if (money.isOk()) budgets += money.value.amount;
    }
  }
  const text = (minor: bigint, code: string) =>
    currencyOf(code).match(
      (c) => `${moneyText({ amount: minor, currency: c.code, scale: c.exponent })} ${c.code}`,
      () => `${minor} ${code}`,
    );
  const parts: string[] = [];
  if (amounts.size > 0)
    parts.push(`amounts ${[...amounts].map(([code, minor]) => text(minor, code)).join(', ')}`);
  if (budgets > 0n) parts.push(`budgets ${text(budgets, origin.currency.code)}`);
  return parts.join('; ');
};

export const explain = (error: PayoutError): string =>
  match(error)
    .with(
      { code: 'invalid_plan' },
      (e) =>
        `the run was refused: ${e.field}${e.line === undefined ? '' : ` (line ${e.line})`}: ${e.message}`,
    )
    .with({ code: 'run_not_found' }, (e) => e.message)
    .with({ code: 'run_conflict' }, (e) => e.message)
    .with({ code: 'run_final' }, (e) => e.message)
    .with({ code: 'journal' }, (e) => `the journal failed: ${e.message}`)
    .with({ code: 'service' }, (e) => `the Concierge service failed: ${e.message}`)
    .with({ code: 'interrupted' }, (e) => e.message)
    .with({ code: 'not_implemented' }, (e) => e.message)
    .exhaustive();

/** The exit status a run's state calls for, and what to tell. */
const ending = (
  status: RunStatus,
  detach: boolean,
  resumeHint: string,
): { exit: ExitStatus; lines: string[] } =>
  match(status.state)
    .with('finished', () => ({
      exit: EXIT.ok,
      lines: [`run ${status.runId} finished: every row is final (${rowCountsText(status)}).`],
    }))
    .with('committed', () =>
      detach
        ? {
            exit: EXIT.ok,
            lines: [
              `run ${status.runId} committed: every chunk's request is accepted (${rowCountsText(status)}).`,
              `Follow it to the end with: ${resumeHint}`,
            ],
          }
        : {
            exit: EXIT.attention,
            lines: [`run ${status.runId} is committed but not finished.`, `Go on with: ${resumeHint}`],
          },
    )
    .with('stopped', () => ({
      exit: EXIT.attention,
      lines: [
        `run ${status.runId} stopped: ${status.reason ?? 'no reason given'}`,
        `Once that is dealt with, go on with: ${resumeHint}`,
      ],
    }))
    .with('cancelled', () => ({
      exit: EXIT.attention,
      lines: [`run ${status.runId} was cancelled${status.reason ? `: ${status.reason}` : ''}.`],
    }))
    .with('waiting_for_funds', () => ({
      exit: EXIT.attention,
      lines: [
        `run ${status.runId} waits for funds${status.funds ? `: deposit ${status.funds.amount} ${status.funds.currency} before ${status.funds.before}` : ''}.`,
        `Then go on with: ${resumeHint}`,
      ],
    }))
    .with('planned', 'working', () => ({
      exit: EXIT.attention,
      lines: [`run ${status.runId} is ${status.state}, not done.`, `Go on with: ${resumeHint}`],
    }))
    .exhaustive();

/**
 * Works a run that is in the journal: asks first when nothing was sent yet (in a
 * terminal, without `--yes`), then drives it to its end (or to its commit, with
 * `--detach`) and says how it ended.
 */
export const followRun = async (
  ctx: PayoutContext,
  io: RunConsole,
  status: RunStatus,
  options: FollowOptions,
): Promise<RunOutcome> => {
  if (status.state === 'planned' && !options.yes && io.confirm) {
    const go = await io.confirm(
      `Pay ${status.rows.total} rows in ${Math.max(1, status.requests.length)} or more requests now? [y/N] `,
    );
    if (!go) {
      io.err(`Nothing was sent. The run is kept; start it later with: ${options.resumeHint}`);
      return { exit: EXIT.attention, status };
    }
  }
  const progress = createProgress(io.progress, {
    print: io.out,
    meter: options.meter,
    now: ctx.now,
    ...(io.progressStream === undefined ? {} : { stream: io.progressStream }),
  });
  const driven = await driveRun(ctx, status.runId, {
    detach: options.detach,
    ...(options.signal === undefined ? {} : { signal: options.signal }),
    onStep: (current, step) => progress.step(current, step),
  });
  progress.stop();
  if (driven.isOk()) {
    const { exit, lines } = ending(driven.value, options.detach, options.resumeHint);
    for (const line of lines) (exit === EXIT.ok ? io.out : io.err)(line);
    return { exit, status: driven.value };
  }
  const error = driven.error;
  const latest = await runStatus(ctx.journal, status.runId);
  if (error.code === 'run_final' && latest.isOk()) {
    const { exit, lines } = ending(latest.value, options.detach, options.resumeHint);
    for (const line of lines) (exit === EXIT.ok ? io.out : io.err)(line);
    return { exit, status: latest.value };
  }
  if (error.code === 'interrupted')
    io.err(`Interrupted: run ${status.runId} stopped after its current call.`);
  else io.err(explain(error));
  if (error.code !== 'run_not_found') io.err(`Nothing is lost: go on with: ${options.resumeHint}`);
  return latest.isOk() ? { exit: EXIT.attention, status: latest.value } : { exit: EXIT.attention };
};

/**
 * Reads and checks the whole file of a new run: its rows, or every problem told and
 * nothing else done (no journal, no request).
 */
export const readRunFile = (io: RunConsole, run: NewRun): readonly PayoutRowInput[] | undefined => {
  const parsed = parsePayoutFile(run.file.bytes, {
    origin: run.origin,
    ...(run.ports === undefined ? {} : { ports: run.ports }),
  });
  if (parsed.isOk()) return parsed.value;
  const problems = describeProblems(parsed.error);
  io.err(
    `${run.file.name} is refused, nothing was sent: ${problems.length} problem${problems.length === 1 ? '' : 's'}`,
  );
  for (const line of problems) io.err(`  ${line}`);
  return undefined;
};

/** The plan of a new run from its checked rows: `run` plans it here, `submit` queues it for workers. */
export const planOf = (run: NewRun, rows: readonly PayoutRowInput[]): RunPlanInput => ({
  runId: run.runId,
  originPort: run.origin.code,
  payerId: run.payerId,
  chunkSize: run.chunkSize,
  ...(run.maxTotal === undefined ? {} : { maxTotal: run.maxTotal }),
  ...(run.tolerance === undefined ? {} : { tolerance: run.tolerance }),
  source: { name: run.file.name, digest: sha256(run.file.bytes) },
  rows,
});

/**
 * `payouts run`: plans the run from its checked rows (`readRunFile`), or finds it again:
 * the same id and the same file go on; another file is refused and changes nothing. Then
 * follows it.
 */
export const startRun = async (
  ctx: PayoutContext,
  io: RunConsole,
  run: NewRun,
  rows: readonly PayoutRowInput[],
  options: FollowOptions,
): Promise<RunOutcome> => {
  const planned = await planRun(ctx.journal, planOf(run, rows), ctx.now);
  if (planned.isErr()) {
    io.err(explain(planned.error));
    return { exit: EXIT.attention };
  }
  const status = planned.value;
  if (status.state === 'planned')
    io.out(
      `${run.file.name}: ${rows.length} rows (${totalsText(rows, run.origin)}) from payer ${run.payerId} at ${run.origin.code}, in requests of ${run.chunkSize} rows.`,
    );
  else io.out(`run ${status.runId} is already ${status.state} for this file: going on with it.`);
  return followRun(ctx, io, status, options);
};

/** `payouts resume`: the run as the journal has it, followed. An unknown run is refused. */
export const resumeRun = async (
  ctx: PayoutContext,
  io: RunConsole,
  runId: string,
  options: FollowOptions,
): Promise<RunOutcome> => {
  const status = await runStatus(ctx.journal, runId);
  if (status.isErr()) {
    io.err(explain(status.error));
    return { exit: EXIT.attention };
  }
  for (const line of statusLines(status.value).slice(0, 2)) io.out(line);
  return followRun(ctx, io, status.value, options);
};
