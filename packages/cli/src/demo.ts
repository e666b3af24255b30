import { createInMemoryConcierge } from '@concierge-ts/adapter-memory';
import type {
  ConciergeClient,
  ConciergeError,
  OutputView,
  PortView,
  RequestView,
  SandboxOperator,
} from '@concierge-ts/application';
import { allItems } from '@concierge-ts/application';
import {
  FINAL_OUTPUT_STATES,
  formatMoney,
  isSandboxPortCode,
  type Money,
  money,
  OUTPUT_STATES,
  type OutputState,
  returnCostInOrigin,
  type SandboxPortCode,
  testInstructionBody,
} from '@concierge-ts/domain';
import cliProgress from 'cli-progress';
import type { ResultAsync } from 'neverthrow';

/**
 * The demo: a payroll of 25 people in 6 ports paid from Argentine pesos, on the
 * embedded in-memory sandbox. It drafts a request, adds outputs, estimates, quotes,
 * accepts, then plays the provider's operator so outputs move (most settle, one is
 * rejected by compliance, one fails then settles, one is returned), and checks that
 * money is conserved.
 */

export interface DemoOptions {
  /** Where lines go (default: stdout). */
  readonly print?: (line: string) => void;
  /** Pause between operator rounds, so progress can be watched (default 120 ms). */
  readonly pauseMs?: number;
  /** Draw a live progress bar (default: when stdout is a terminal). */
  readonly live?: boolean;
}

export interface DemoSummary {
  readonly requestState: string;
  readonly counters: RequestView['counters'];
  readonly deposited: Money;
  readonly balanceBefore: Money;
  readonly balanceAfter: Money;
  readonly spent: Money;
  readonly returnCosts: Money;
  readonly inFlight: Money;
  readonly conserved: boolean;
}

type Plan = 'settles' | 'fails_once' | 'returned' | 'compliance_rejected';

interface Payee {
  readonly name: string;
  readonly port: string;
  readonly target: { readonly amount: number } | { readonly budget: number };
  readonly plan: Plan;
}

const FIRST = [
  'Ana',
  'Bruno',
  'Carla',
  'Diego',
  'Elena',
  'Facundo',
  'Gabriela',
  'Hernán',
  'Inés',
  'Joaquín',
  'Karina',
  'Lucas',
  'María',
];
const LAST = [
  'Pérez',
  'González',
  'Rodríguez',
  'Fernández',
  'López',
  'Martínez',
  'Sosa',
  'Romero',
  'Díaz',
  'Álvarez',
  'Torres',
];

/** Who gets paid, where, and how much: the integrator's payroll (input, not computed). */
const PAYROLL: readonly Omit<Payee, 'name'>[] = [
  ...[180_000, 240_000, 310_000, 150_000, 275_000, 400_000].map((amount, i) => ({
    port: 'cl_clp',
    target: { amount },
    plan: (i === 2 ? 'compliance_rejected' : 'settles') as Plan,
  })),
  ...[3_500, 4_200.5, 6_000, 5_150.75, 7_800].map((amount, i) => ({
    port: 'mx_mxn',
    target: { amount },
    plan: (i === 1 ? 'fails_once' : 'settles') as Plan,
  })),
  ...[120_000, 95_000.5, 210_000, 130_000].map((budget, i) => ({
    port: 'uy_uyu',
    target: { budget },
    plan: (i === 0 ? 'returned' : 'settles') as Plan,
  })),
  ...[1_500_000, 2_250_000, 980_000, 3_100_000].map((amount) => ({
    port: 'py_pyg',
    target: { amount },
    plan: 'settles' as Plan,
  })),
  ...[250, 480.25, 320].map((amount) => ({ port: 'us_usd', target: { amount }, plan: 'settles' as Plan })),
  ...[350_000, 512_300.4, 275_000].map((budget) => ({
    port: 'ar_ars',
    target: { budget },
    plan: 'settles' as Plan,
  })),
];

const DEPOSIT = { portCode: 'ar_ars', amount: 30_000_000 } as const;

/** The operator steps each plan takes an output through, once it is working. */
const STEPS: Record<
  Exclude<Plan, 'compliance_rejected'>,
  readonly ('issue' | 'settle' | 'fail' | 'retry' | 'return')[]
> = {
  settles: ['issue', 'settle'],
  fails_once: ['issue', 'fail', 'retry', 'issue', 'settle'],
  returned: ['issue', 'fail', 'retry', 'issue', 'fail', 'return'],
};

class DemoFailure extends Error {}

const sandboxPort = (code: string): SandboxPortCode => {
  if (!isSandboxPortCode(code)) throw new DemoFailure(`${code} is not a port of the sandbox`);
  return code;
};

const must = async <T>(what: string, call: ResultAsync<T, ConciergeError>): Promise<T> => {
  const result = await call;
  if (result.isErr()) throw new DemoFailure(`${what} failed: ${result.error.code}: ${result.error.detail}`);
  return result.value;
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const countersLine = (r: RequestView): string =>
  OUTPUT_STATES.filter((s) => r.counters[s] > 0)
    .map((s) => `${s} ${r.counters[s]}`)
    .join(' · ');

const finalCount = (r: RequestView): number =>
  OUTPUT_STATES.filter((s) => FINAL_OUTPUT_STATES.has(s)).reduce((n, s) => n + r.counters[s], 0);

const pad = (text: string, width: number) => text.padEnd(width);
const padLeft = (text: string, width: number) => text.padStart(width);

export const runDemo = async (options: DemoOptions = {}): Promise<DemoSummary> => {
  const print = options.print ?? ((line: string) => console.log(line));
  const pauseMs = options.pauseMs ?? 120;
  const live = options.live ?? Boolean(process.stdout.isTTY);

  const sandbox = createInMemoryConcierge({ seed: false });
  const client: ConciergeClient = sandbox.client;
  const operator: SandboxOperator = sandbox.operator;

  print('concierge-ts demo: a payroll paid from ar_ars through the in-memory sandbox');
  print('');

  // 1. The payer and its funds.
  const payer = await must(
    'create payer',
    client.users.create({ email: 'payroll@acme.example', name: 'ACME S.A.' }),
  );
  await must('deposit', operator.deposit(payer.id, DEPOSIT));
  const ports = await must('list ports', client.ports.list());
  const portOf = (code: string) => ports.find((p) => p.code === code) as PortView;
  const balance = async () => (await must('read payer', client.users.get(payer.id))).balances.ars as Money;
  const deposited = await balance();
  print(`Payer ${payer.name} (user ${payer.id}) deposited ${formatMoney(deposited)} ARS.`);

  // 2. Payees with their bank instructions.
  const payees: (Payee & { userId: string; instructionId: string })[] = [];
  for (const [i, row] of PAYROLL.entries()) {
    const name = `${FIRST[i % FIRST.length]} ${LAST[(i * 7) % LAST.length]}`;
    const email = `${name
      .toLowerCase()
      .normalize('NFD')
      .replace(/[^a-z ]/g, '')
      .replace(' ', '.')}${row.plan === 'compliance_rejected' ? '+new' : ''}@example.com`;
    const user = await must('create payee', client.users.create({ email, name }));
    const instruction = await must(
      'create instruction',
      client.withdrawalInstructions.create({
        userId: user.id,
        label: `${name}'s account`,
        // A bank account of the port's country whose identifiers pass their checks and are
        // none of the sandbox's test identifiers: it would settle by itself 10 minutes into
        // work on the sandbox clock, which this demo never moves that far; its operator
        // decides every outcome.
        body: { ...testInstructionBody(sandboxPort(row.port), 'other'), name },
      }),
    );
    payees.push({ ...row, name, userId: user.id, instructionId: instruction.id });
  }
  const portsUsed = [...new Set(payees.map((p) => p.port))];
  print(`${payees.length} payees in ${portsUsed.length} ports: ${portsUsed.join(', ')}.`);

  // 3. Draft the request and add one output per payee.
  const request = await must(
    'draft request',
    client.requests.create({ portCode: 'ar_ars', payerId: payer.id, externalId: 'payroll-2026-01' }),
  );
  const outputs = new Map<string, (typeof payees)[number]>();
  for (const payee of payees) {
    const output = await must(
      'add output',
      client.outputs.create({
        requestId: request.id,
        payeeId: payee.userId,
        withdrawalInstructionId: payee.instructionId,
        portCode: payee.port,
        ...payee.target,
      }),
    );
    outputs.set(output.id, payee);
  }
  print(`Request ${request.id} drafted: every output is accepting until the checks run.`);
  // The service checks outputs on its own clock, 2 seconds after they arrive.
  await must('let the checks run', operator.advanceClock(2));
  const drafted = await must('read request', client.requests.get(request.id));
  print(`After the checks, ${drafted.counters.total} outputs: ${countersLine(drafted)}.`);

  // 4. Estimate, then quote at the estimate's prices with its hint token.
  const estimate = await must(
    'estimate',
    client.estimates.create({
      portCode: 'ar_ars',
      outputs: payees.map((p) => ({ portCode: p.port, ...p.target })),
    }),
  );
  print(`Estimate: ${formatMoney(estimate.totalToSpend)} ARS in total, valid until ${estimate.expiresAt}.`);
  const requested = await must(
    'request quote',
    client.requests.requestQuote(request.id, { hintToken: estimate.hintToken }),
  );
  print(`Quote requested: the request is ${requested.state}; the quote follows a second later.`);
  await must('wait for the quote', operator.advanceClock(1));
  const quoted = await must('read request', client.requests.get(request.id));
  print(
    `Quote: ${quoted.state}, total_to_spend ${formatMoney(quoted.totalToSpend as Money)} ARS, accept before ${quoted.acceptQuoteBefore}.`,
  );
  const balanceBefore = await balance();
  await must('accept quote', client.requests.acceptQuote(request.id));
  // The funds are noticed a second later, and work starts.
  await must('wait for the funds', operator.advanceClock(1));
  const accepted = await must('read request', client.requests.get(request.id));
  print(
    `Accepted: the request is ${accepted.state}; ${formatMoney(accepted.fundsAvailable as Money)} ARS debited.`,
  );
  print('');

  // 5. Outputs move: the demo plays the provider's operator, a few outputs per round.
  const progress = { step: new Map<string, number>() };
  const bar = live
    ? new cliProgress.SingleBar(
        {
          format: 'outputs final {bar} {value}/{total} | {counters}',
          hideCursor: true,
          clearOnComplete: false,
        },
        cliProgress.Presets.shades_classic,
      )
    : undefined;
  bar?.start(drafted.counters.total, 0, { counters: countersLine(accepted) });
  let round = 0;
  for (;;) {
    const current = await must('read request', client.requests.get(request.id));
    if (bar) bar.update(finalCount(current), { counters: countersLine(current) });
    else print(`round ${padLeft(String(round), 2)}: ${countersLine(current)}`);
    if (current.state !== 'working') break;
    round += 1;
    if (round === 3) {
      const underReview = payees.find((p) => p.plan === 'compliance_rejected');
      if (underReview)
        await must('compliance decision', operator.setCompliance(underReview.userId, 'rejected'));
    }
    let moved = 0;
    const listed = await must(
      'list outputs',
      allItems((page) => client.outputs.list({ requestId: request.id, page }), 100),
    );
    for (const output of listed) {
      if (moved >= 6 || FINAL_OUTPUT_STATES.has(output.state) || output.state === 'accepting') continue;
      const plan = outputs.get(output.id)?.plan ?? 'settles';
      if (plan === 'compliance_rejected') continue;
      const step = progress.step.get(output.id) ?? 0;
      const action = STEPS[plan][step];
      if (!action) continue;
      await must(
        `${action} output ${output.id}`,
        operator.outputAction(output.id, action, { reason: 'account_closed' }),
      );
      progress.step.set(output.id, step + 1);
      moved += 1;
    }
    if (moved === 0 && round > 50) throw new DemoFailure('no output can move any more');
    await sleep(pauseMs);
  }
  bar?.stop();

  // 6. Summary.
  const finished = await must('read request', client.requests.get(request.id));
  const all: readonly OutputView[] = await must(
    'list outputs',
    allItems((page) => client.outputs.list({ requestId: request.id, page }), 100),
  );
  const ars = { code: 'ARS', exponent: 2 };
  let spent = 0n;
  let returnCosts = 0n;
  let inFlight = 0n;
  const perPort = new Map<
    string,
    { count: number; settled: number; amount: bigint; budget: bigint; currency: string; scale: number }
  >();
  for (const o of all) {
    const budget = o.budget?.amount ?? 0n;
    const row = perPort.get(o.portCode) ?? {
      count: 0,
      settled: 0,
      amount: 0n,
      budget: 0n,
      currency: o.amount?.currency ?? '',
      scale: o.amount?.scale ?? 0,
    };
    row.count += 1;
    if (o.state === 'settled') {
      row.settled += 1;
      row.amount += o.amount?.amount ?? 0n;
      row.budget += budget;
      spent += budget;
    }
    if (o.state === 'returned' && o.rate && o.amount && o.budget && o.allInRate && o.feeAndCost) {
      const price = {
        rate: o.rate,
        allInRate: o.allInRate,
        amount: o.amount,
        budget: o.budget,
        feeAndCost: o.feeAndCost,
      };
      returnCosts += returnCostInOrigin(price, portOf(o.portCode).returnCost).amount;
    }
    if (!FINAL_OUTPUT_STATES.has(o.state as OutputState)) inFlight += budget;
    perPort.set(o.portCode, row);
  }
  const balanceAfter = await balance();
  print('');
  print(`Request ${finished.id} is ${finished.state}: ${countersLine(finished)}.`);
  print('');
  print(
    `${pad('port', 8)} ${padLeft('outputs', 7)} ${padLeft('settled', 7)} ${padLeft('paid out', 18)} ${padLeft('spent (ARS)', 16)}`,
  );
  for (const [code, row] of [...perPort].sort(([a], [b]) => a.localeCompare(b))) {
    const paid = `${formatMoney({ amount: row.amount, currency: row.currency, scale: row.scale })} ${row.currency}`;
    print(
      `${pad(code, 8)} ${padLeft(String(row.count), 7)} ${padLeft(String(row.settled), 7)} ${padLeft(paid, 18)} ${padLeft(formatMoney(money(row.budget, ars)), 16)}`,
    );
  }
  for (const o of all.filter((x) => x.state !== 'settled')) {
    const who = outputs.get(o.id)?.name ?? o.payeeId;
    const why = o.rejectionReason ?? o.failureReason ?? o.cancellationReason ?? '';
    print(
      `  output ${o.id} (${who}, ${o.portCode}) was ${o.state}${why ? `: ${why}` : ''}; attempts ${o.attempts}`,
    );
  }
  const attempted = all.find((o) => outputs.get(o.id)?.plan === 'fails_once');
  if (attempted)
    print(
      `  output ${attempted.id} (${outputs.get(attempted.id)?.name}) failed once, was retried and ${attempted.state}.`,
    );
  print('');
  print(
    `Payer balance: ${formatMoney(balanceBefore)} ARS before the quote was accepted, ${formatMoney(balanceAfter)} ARS after.`,
  );
  const conserved = deposited.amount === balanceAfter.amount + inFlight + spent + returnCosts;
  print(
    `Money conserved: deposited ${formatMoney(deposited)} = balance ${formatMoney(balanceAfter)} + in flight ${formatMoney(money(inFlight, ars))} + spent on settled ${formatMoney(money(spent, ars))} + return costs ${formatMoney(money(returnCosts, ars))} ARS: ${conserved ? 'yes ✓' : 'NO ✗'}`,
  );
  return {
    requestState: finished.state,
    counters: finished.counters,
    deposited,
    balanceBefore,
    balanceAfter,
    spent: money(spent, ars),
    returnCosts: money(returnCosts, ars),
    inFlight: money(inFlight, ars),
    conserved,
  };
};
