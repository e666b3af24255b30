import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RunPlanInput } from '@concierge-ts/application';
import { type ProxyExchange, seededRandom, startFaultProxy } from '../../src/testing/index.js';
import {
  type ChaosWorld,
  checkRun,
  type JournalSource,
  payerBalance,
  type RunCheck,
  randomPayroll,
} from './payout-chaos.js';

const CHILD = fileURLToPath(new URL('./payout-child.mjs', import.meta.url));

/** The creates a process can die right after sending. */
export const CREATE_TARGETS = {
  request: '/api/concierge_requests',
  output: '/api/concierge_request_outputs',
  user: '/api/users',
  instruction: '/api/withdrawal_instructions',
} as const;
export type CreateTarget = keyof typeof CREATE_TARGETS;

const isCreate = (target: CreateTarget) => (e: ProxyExchange) =>
  e.method === 'POST' && e.path.split('?')[0] === CREATE_TARGETS[target];

export interface DiesAfterSendingResult extends RunCheck {
  readonly seed: number;
  readonly target: CreateTarget;
  readonly nth: number;
  readonly rows: number;
  /** The child was SIGKILLed right after the service made what it asked for (and before it saw the answer). */
  readonly killed: boolean;
  /** The second process's exit code and last line. */
  readonly exit: number | null;
  readonly last: string;
  /** How many of that kind of create reached the service, the one the dead process sent included. */
  readonly createsForwarded: number;
}

const exited = (child: ChildProcess) =>
  new Promise<number | null>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
  });

/**
 * The application dies right after sending a create (the service made it; the answer is
 * lost with the process) and starts again, a fresh process with a fresh client, from its
 * journal: a real child process over real HTTP through the fault proxy, SIGKILLed when the
 * proxy has forwarded the `nth` create of the `target` kind and the service has answered,
 * before the answer goes back.
 */
export const diesAfterSendingTrial = async (
  world: ChaosWorld,
  options: {
    readonly seed: number;
    readonly target: CreateTarget;
    readonly nth: number;
    /** A directory for the plan file. */
    readonly dir: string;
    /** The PGlite journal both processes use (one process at a time). */
    readonly db: string;
    readonly journals: JournalSource;
  },
): Promise<DiesAfterSendingResult> => {
  const random = seededRandom(options.seed);
  const label = `dies-${options.target}-${options.seed}`;
  const tenant = world.tenant(label);
  const { rows, chunkSize } = randomPayroll(random, tenant.seeded, {
    size: [2, 8],
    label,
    // Payees by email (the run creates users and instructions) always when the kill is at one of those creates.
    byEmail: options.target === 'user' || options.target === 'instruction' ? 1 : 0.3,
  });
  const plan: RunPlanInput = {
    runId: `run-${label}`,
    originPort: 'ar_ars',
    payerId: tenant.seeded.payerId,
    chunkSize,
    source: { name: `${label}.csv`, digest: label },
    rows,
  };
  const planFile = join(options.dir, `${label}.json`);
  writeFileSync(planFile, JSON.stringify(plan));
  const before = await payerBalance(tenant);
  let child: ChildProcess | null = null;
  let seen = 0;
  let killed = false;
  const matches = isCreate(options.target);
  const proxy = await startFaultProxy({
    upstream: world.sandboxUrl,
    onForwarded: async (exchange) => {
      if (killed || !matches(exchange)) return;
      seen += 1;
      if (seen !== options.nth || child === null) return;
      killed = child.kill('SIGKILL');
      await exited(child);
    },
  });
  const start = () => {
    const started = spawn(
      process.execPath,
      [CHILD, proxy.url, world.sandboxUrl, tenant.apiKey, options.db, planFile],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    started.stdout?.on('data', (d) => {
      out += String(d);
    });
    started.stderr?.on('data', (d) => {
      out += String(d);
    });
    return { process: started, out: () => out };
  };
  try {
    const firstLife = start();
    child = firstLife.process;
    const firstExit = await exited(child);
    let exit = firstExit;
    let out = firstLife.out();
    if (killed) {
      const secondLife = start();
      child = secondLife.process;
      exit = await exited(child);
      out = secondLife.out();
    }
    await proxy.idle();
    const journal = await options.journals.open();
    try {
      const checked = await checkRun(tenant, journal, plan.runId, rows, before);
      const last = out.trim().split('\n').at(-1) ?? '';
      return {
        seed: options.seed,
        target: options.target,
        nth: options.nth,
        rows: rows.length,
        killed,
        exit,
        last,
        createsForwarded: proxy.exchanges().filter((e) => matches(e) && e.reachedUpstream).length,
        ...checked,
        violations: [
          ...checked.violations,
          ...(exit === 0 && last === 'done finished'
            ? []
            : [`the process ended ${exit}: ${out.slice(-400)}`]),
        ],
      };
    } finally {
      await journal.close();
    }
  } finally {
    await proxy.close();
  }
};
