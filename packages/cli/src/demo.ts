import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInMemoryConcierge } from '@concierge-ts/adapter-memory';
import { openJournal } from '@concierge-ts/adapter-postgres';
import {
  allItems,
  type ConciergeClient,
  describeField,
  type Field,
  type OutputView,
  type PayoutContext,
  type PortView,
  type ReportLine,
  type RequestView,
  type RowState,
  runReport,
  runStatus,
  type SandboxOperator,
} from '@concierge-ts/application';
import {
  FINAL_OUTPUT_STATES,
  formatMoney,
  type InstructionCountry,
  type Money,
  money,
  type OutputState,
  parsePortCode,
  returnCostInOrigin,
  TEST_IDENTIFIERS,
  type TestOutcome,
} from '@concierge-ts/domain';
import type { ResultAsync } from 'neverthrow';
import { meteredClient, RequestMeter } from './payouts/progress.js';
import { EXIT, type ExitStatus, type RunConsole, readRunFile, startRun } from './payouts/run-payouts.js';
import { reportTable } from './payouts/views.js';

/**
 * The demo: a payroll of 25 people in 6 ports paid from Argentine pesos as a payout run,
 * the same code path as `concierge payouts run`, on the embedded in-memory sandbox. The
 * payroll is a CSV file; the run's journal is embedded PostgreSQL in a temporary
 * directory. The run's waits move the sandbox clock instead of waiting, and play the
 * provider's operator, so outputs move: most settle, one payee is rejected by
 * compliance, one payment fails then settles, one is returned. Then it prints the report
 * and checks that money is conserved.
 */

export interface DemoOptions {
  /** Where lines go (default: stdout). */
  readonly print?: (line: string) => void;
  /** Real pause each time the run waits, so progress can be watched (default 120 ms). */
  readonly pauseMs?: number;
  /** Draw live progress bars (default: when stdout is a terminal). */
  readonly live?: boolean;
}

export interface DemoSummary {
  /** What `payouts run` would exit with. */
  readonly exit: ExitStatus;
  readonly runState: string | null;
  readonly rows: Readonly<Record<RowState | 'total', number>> | null;
  readonly report: readonly ReportLine[];
  /** Requests the run made, rebuilt chunks included. */
  readonly requests: readonly RequestView[];
  readonly deposited: Money;
  readonly balanceAfter: Money;
  readonly spent: Money;
  readonly returnCosts: Money;
  readonly inFlight: Money;
  readonly conserved: boolean;
}

/** How a payee's payment goes: a test identifier's outcome, or a payee compliance rejects. */
type Plan = Exclude<TestOutcome, 'rejected'> | 'compliance_rejected';

interface Payee {
  readonly port: string;
  readonly target: { readonly amount: string } | { readonly budget: string };
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
const PAYROLL: readonly Payee[] = [
  ...['180000', '240000', '310000', '150000', '275000', '400000'].map((amount, i) => ({
    port: 'cl_clp',
    target: { amount },
    plan: (i === 2 ? 'compliance_rejected' : 'settles') as Plan,
  })),
  ...['3500', '4200.50', '6000', '5150.75', '7800'].map((amount, i) => ({
    port: 'mx_mxn',
    target: { amount },
    plan: (i === 1 ? 'fails_once' : 'settles') as Plan,
  })),
  ...['120000', '95000.50', '210000', '130000'].map((budget, i) => ({
    port: 'uy_uyu',
    target: { budget },
    plan: (i === 0 ? 'fails_until_returned' : 'settles') as Plan,
  })),
  ...['1500000', '2250000', '980000', '3100000'].map((amount) => ({
    port: 'py_pyg',
    target: { amount },
    plan: 'settles' as Plan,
  })),
  ...['250', '480.25', '320'].map((amount) => ({
    port: 'us_usd',
    target: { amount },
    plan: 'settles' as Plan,
  })),
  ...['350000', '512300.40', '275000'].map((budget) => ({
    port: 'ar_ars',
    target: { budget },
    plan: 'settles' as Plan,
  })),
];

const DEPOSIT = { portCode: 'ar_ars', amount: 30_000_000 } as const;
const RUN_ID = 'payroll-2026-01';
const CHUNK_SIZE = 10;

/** Account details for the ports whose instructions name a bank account. */
const ACCOUNTS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  CL: { bank: 'Banco de Chile', account_type: 'checking', bank_account_number: '00012345678' },
  UY: { bank: 'BROU', account_type: 'savings', bank_account_number: '001122334455' },
  PY: { bank: 'Banco Itaú Paraguay', account_type: 'savings', bank_account_number: '778899' },
  US: { bank: 'Bank of Examples', account_type: 'checking', bank_account_number: '1234567890' },
};

const BODY_COLUMNS = [
  'cbu',
  'cuit',
  'clabe',
  'rut',
  'routing_number',
  'bank',
  'account_type',
  'bank_account_number',
];
const COLUMNS = [
  'reference',
  'port_code',
  'amount',
  'budget',
  'email',
  'name',
  'payment_method',
  ...BODY_COLUMNS,
];

const csvCell = (text: string) => (/[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text);

/** The payroll as the CSV file an integrator would hand to `concierge payouts run`. */
export const payrollCsv = (): string => {
  const lines = [COLUMNS.join(',')];
  for (const [i, payee] of PAYROLL.entries()) {
    const name = `${FIRST[i % FIRST.length]} ${LAST[(i * 7) % LAST.length]}`;
    const country = payee.port.slice(0, 2).toUpperCase() as InstructionCountry;
    const local = name
      .toLowerCase()
      .normalize('NFD')
      .replace(/[^a-z ]/g, '')
      .replace(' ', '.');
    // A payee whose email says +rejected is rejected by compliance in the sandbox.
    const email = `${local}${payee.plan === 'compliance_rejected' ? '+rejected' : ''}@example.com`;
    const outcome: TestOutcome = payee.plan === 'compliance_rejected' ? 'settles' : payee.plan;
    const body: Record<string, string> = { ...ACCOUNTS[country], ...TEST_IDENTIFIERS[outcome][country] };
    const cells: Record<string, string> = {
      reference: `emp-${String(i + 1).padStart(3, '0')}`,
      port_code: payee.port,
      ...payee.target,
      email,
      name,
      payment_method: 'domestic_bank',
      ...body,
    };
    lines.push(COLUMNS.map((c) => csvCell(cells[c] ?? '')).join(','));
  }
  return `${lines.join('\n')}\n`;
};

class DemoFailure extends Error {}

const must = async <T, E extends { readonly code: string }>(
  what: string,
  call: ResultAsync<T, E>,
): Promise<T> => {
  const result = await call;
  if (result.isErr()) {
    const { detail, message, field } = result.error as {
      readonly detail?: unknown;
      readonly message?: unknown;
      readonly field?: Field;
    };
    const at = field === undefined ? '' : ` at ${describeField(field)}`;
    throw new DemoFailure(`${what} failed: ${result.error.code}${at}: ${String(detail ?? message ?? '')}`);
  }
  return result.value;
};

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A payment's outcome from its instruction: the test identifiers it was made with. */
const planOf = (body: Readonly<Record<string, string>>): TestOutcome => {
  for (const outcome of ['fails_once', 'fails_until_returned', 'rejected'] as const) {
    const ids: Readonly<Record<string, string>> =
      TEST_IDENTIFIERS[outcome][body['country'] as InstructionCountry] ?? {};
    if (Object.entries(ids).every(([field, value]) => body[field] === value)) return outcome;
  }
  return 'settles';
};

/**
 * The provider's side of a payment once it is working, played by the operator: each
 * round moves every moving output one step, as its instruction's test identifiers say.
 * A move the service refuses (it moved on its own) is skipped.
 */
const playProvider = async (
  client: ConciergeClient,
  operator: SandboxOperator,
  plans: Map<string, TestOutcome>,
) => {
  const moving: OutputView[] = [];
  for (const state of ['working', 'settling', 'failed'] as const)
    moving.push(
      ...(await must(
        'list outputs',
        allItems((page) => client.outputs.list({ state, page }), 500),
      )),
    );
  for (const output of moving) {
    let plan = plans.get(output.withdrawalInstructionId);
    if (plan === undefined) {
      const instruction = await must(
        'read instruction',
        client.withdrawalInstructions.get(output.withdrawalInstructionId),
      );
      plan = planOf(instruction.body);
      plans.set(output.withdrawalInstructionId, plan);
    }
    const action =
      output.state === 'working'
        ? 'issue'
        : output.state === 'settling'
          ? (plan === 'fails_once' && output.attempts === 1) || plan === 'fails_until_returned'
            ? 'fail'
            : 'settle'
          : plan === 'fails_until_returned' && output.attempts >= 2
            ? 'return'
            : 'retry';
    // Refused when the sandbox moved it by itself meanwhile: nothing to do then.
    const moved = await operator.outputAction(output.id, action, { reason: 'account_closed' });
    if (moved.isErr() && moved.error.type !== 'conflict')
      throw new DemoFailure(
        `${action} output ${output.id} failed: ${moved.error.code}: ${moved.error.detail}`,
      );
  }
};

export const runDemo = async (options: DemoOptions = {}): Promise<DemoSummary> => {
  const print = options.print ?? ((line: string) => console.log(line));
  const pauseMs = options.pauseMs ?? 120;
  const live = options.live ?? Boolean(process.stdout.isTTY);

  const sandbox = createInMemoryConcierge({ seed: false });
  const { client, operator, clock } = sandbox;

  print('concierge-ts demo: a payroll paid from ar_ars as a payout run, on the in-memory sandbox');
  print('');

  // 1. The payer and its funds.
  const payer = await must(
    'create payer',
    client.users.create({ email: 'payroll@acme.example', name: 'ACME S.A.' }),
  );
  await must('deposit', operator.deposit(payer.id, DEPOSIT));
  const ports = await must('list ports', client.ports.list());
  const portOf = (code: string) => ports.find((p) => p.code === code) as PortView;
  const balance = async () => (await must('read payer', client.users.get(payer.id))).balances['ars'] as Money;
  const deposited = await balance();
  print(`Payer ${payer.name} (user ${payer.id}) deposited ${formatMoney(deposited)} ARS.`);

  // 2. The run: the file, a journal in a temporary directory, and waits that move the sandbox clock.
  const file = new TextEncoder().encode(payrollCsv());
  const directory = await mkdtemp(join(tmpdir(), 'concierge-demo-'));
  const journal = await openJournal(directory);
  if (journal.isErr()) throw new DemoFailure(`open the journal: ${journal.error.message}`);
  const meter = new RequestMeter();
  const plans = new Map<string, TestOutcome>();
  const ctx: PayoutContext = {
    client: meteredClient(client, meter),
    journal: journal.value,
    now: () => new Date(clock.now()),
    sleep: async (ms) => {
      await must('advance the sandbox clock', operator.advanceClock(Math.ceil(ms / 1000)));
      await playProvider(client, operator, plans);
      if (pauseMs > 0) await pause(pauseMs);
    },
    tuning: { pollIntervalMs: 60_000 },
  };
  print(
    `The payroll (payroll.csv, ${PAYROLL.length} rows) is run ${RUN_ID}, in requests of ${CHUNK_SIZE} rows.`,
  );
  print('');
  let outcome: Awaited<ReturnType<typeof startRun>>;
  let report: readonly ReportLine[] = [];
  try {
    const io: RunConsole = { out: print, err: print, progress: live ? 'bar' : 'lines' };
    const origin = parsePortCode(DEPOSIT.portCode);
    if (origin.isErr()) throw new DemoFailure(origin.error.message);
    const run = {
      runId: RUN_ID,
      file: { name: 'payroll.csv', bytes: file },
      origin: origin.value,
      payerId: payer.id,
      chunkSize: CHUNK_SIZE,
      ports,
    };
    const rows = readRunFile(io, run);
    if (rows === undefined) throw new DemoFailure('the payroll file was refused');
    outcome = await startRun(ctx, io, run, rows, {
      detach: false,
      yes: true,
      resumeHint: '(a demo run lives in memory: run the demo again)',
      meter,
    });
    const lines = await runReport(journal.value, RUN_ID);
    if (lines.isOk()) report = lines.value;
    const status = await runStatus(journal.value, RUN_ID);
    if (status.isOk()) outcome = { ...outcome, status: status.value };
  } finally {
    await journal.value.close();
    await rm(directory, { recursive: true, force: true });
  }

  // 3. The report, and what the service says happened to the money.
  print('');
  print(`The report (concierge payouts report ${RUN_ID}):`);
  for (const line of reportTable(report)) print(`  ${line}`);

  const requests: RequestView[] = await must(
    'list requests',
    allItems((page) => client.requests.list({ page }), 100),
  );
  const funded = new Set(requests.filter((r) => r.fundsAvailable !== null).map((r) => r.id));
  const all: OutputView[] = await must(
    'list outputs',
    allItems((page) => client.outputs.list({ page }), 500),
  );
  const ars = { code: 'ARS', exponent: 2 };
  let spent = 0n;
  let returnCosts = 0n;
  let inFlight = 0n;
  for (const o of all) {
    if (!funded.has(o.requestId)) continue;
    const budget = o.budget?.amount ?? 0n;
    if (o.state === 'settled') spent += budget;
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
  }
  const balanceAfter = await balance();
  print('');
  print(
    `${requests.length} requests: ${requests.map((r) => `${r.externalId ?? r.id} ${r.state}`).join(', ')}; ${meter.total} calls to the service.`,
  );
  print(`Payer balance: ${formatMoney(deposited)} ARS deposited, ${formatMoney(balanceAfter)} ARS left.`);
  const conserved = deposited.amount === balanceAfter.amount + inFlight + spent + returnCosts;
  print(
    `Money conserved: deposited ${formatMoney(deposited)} = balance ${formatMoney(balanceAfter)} + in flight ${formatMoney(money(inFlight, ars))} + spent on settled ${formatMoney(money(spent, ars))} + return costs ${formatMoney(money(returnCosts, ars))} ARS: ${conserved ? 'yes ✓' : 'NO ✗'}`,
  );
  return {
    exit: outcome.exit === EXIT.ok && conserved ? EXIT.ok : EXIT.attention,
    runState: outcome.status?.state ?? null,
    rows: outcome.status?.rows ?? null,
    report,
    requests,
    deposited,
    balanceAfter,
    spent: money(spent, ars),
    returnCosts: money(returnCosts, ars),
    inFlight: money(inFlight, ars),
    conserved,
  };
};
