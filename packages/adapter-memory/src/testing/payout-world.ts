import {
  type ConciergeClient,
  type ConciergeError,
  type OutputView,
  type PayoutContext,
  type PayoutJournal,
  type PayoutRowInput,
  type PayoutTuning,
  type RequestView,
  runReport,
} from '@concierge-ts/application';
import {
  FINAL_OUTPUT_STATES,
  isSandboxPortCode,
  returnCostInOrigin,
  type TestOutcome,
  testInstructionBody,
} from '@concierge-ts/domain';
import type { ResultAsync } from 'neverthrow';
import { defaultCatalog } from '../catalog.js';
import type { InMemoryConcierge } from '../compose.js';

/** Tuning for the in-process sandbox: time is advanced, not waited for. */
export const SANDBOX_TUNING: PayoutTuning = { pollIntervalMs: 10 * 60_000, quoteWaitMs: 1_000 };

/**
 * A payout context over an in-process sandbox: `sleep` advances the sandbox clock (every
 * check, quote and settlement due by then happens), so a run takes no real time.
 */
export const sandboxPayoutContext = (
  concierge: InMemoryConcierge,
  journal: PayoutJournal,
  options: { readonly client?: ConciergeClient; readonly tuning?: PayoutTuning } = {},
): PayoutContext => ({
  client: options.client ?? concierge.client,
  journal,
  now: () => new Date(concierge.clock.now()),
  sleep: async (ms) => {
    concierge.service.advance(concierge.clock, Math.max(0, Math.round(ms)));
  },
  tuning: { ...SANDBOX_TUNING, ...options.tuning },
});

const must = async <T>(call: ResultAsync<T, ConciergeError>): Promise<T> => {
  const result = await call;
  if (result.isErr()) throw new Error(`expected success, got ${JSON.stringify(result.error)}`);
  return result.value;
};

/** Every item of a list, through the client. */
export const listEvery = async <T>(
  list: (page: {
    number: number;
    size: number;
  }) => ResultAsync<{ items: readonly T[]; next: number | null }, ConciergeError>,
): Promise<T[]> => {
  const all: T[] = [];
  for (let n: number | null = 1; n !== null; ) {
    const page: { items: readonly T[]; next: number | null } = await must(list({ number: n, size: 500 }));
    all.push(...page.items);
    n = page.next;
  }
  return all;
};

/** The magic outcome a payee's account picks (SPEC 9): its country's test identifiers for it. */
export const MAGIC_ACCOUNTS = {
  settles: 'settles',
  rejected: 'rejected',
  failsOnce: 'fails_once',
  returned: 'fails_until_returned',
} as const satisfies Record<string, TestOutcome>;

/**
 * A new payee's instruction body for a port of the sandbox's catalog, whose identifiers
 * pass their checks and pick `outcome` (`other`: none, it settles as any real account).
 */
export const bodyFor = (portCode: string, outcome: TestOutcome | 'other'): Record<string, string> => {
  if (!isSandboxPortCode(portCode)) throw new Error(`${portCode} is not a port of the sandbox's catalog`);
  return testInstructionBody(portCode, outcome);
};

/** What the service shows of a run: every request under its external ids, and their outputs. */
export const serviceTruth = async (client: ConciergeClient, runId: string) => {
  const requests = (await listEvery((page) => client.requests.list({ page }))).filter((r) =>
    (r.externalId ?? '').startsWith(`${runId}/`),
  );
  const outputs = new Map<string, OutputView[]>();
  for (const r of requests)
    outputs.set(r.id, await listEvery((page) => client.outputs.list({ requestId: r.id, page })));
  return { requests, outputs };
};

/** A request the service accepted at some point (it may since be cancelled: no payable outputs, or no funds). */
const wasAccepted = (r: RequestView): boolean => r.quoteAcceptedAt !== null;

export interface GuaranteeCheck {
  readonly violations: readonly string[];
  readonly acceptedOutputs: number;
  readonly duplicates: number;
}

/**
 * The guarantee of SPEC 10.2, checked against the service: every row in exactly one
 * accepted request or in none with a reason; no output of an accepted request without
 * its own row (no duplicates); the report equal to what the service shows.
 */
export const checkGuarantee = async (
  client: ConciergeClient,
  journal: PayoutJournal,
  runId: string,
  rows: readonly PayoutRowInput[],
): Promise<GuaranteeCheck> => {
  const violations: string[] = [];
  const { requests, outputs } = await serviceTruth(client, runId);
  const report = (await runReport(journal, runId)).match(
    (lines) => lines,
    (e) => {
      violations.push(`no report: ${e.message}`);
      return [];
    },
  );
  const accepted = requests.filter(wasAccepted);
  const acceptedOutputs = accepted.flatMap((r) => outputs.get(r.id) ?? []);
  const claimed = new Map<string, string>();
  for (const line of report) {
    if (line.outputId === null) {
      if (line.state !== 'cancelled' && line.state !== 'failed' && line.state !== 'rejected')
        violations.push(`row ${line.reference} has no output but is ${line.state}`);
      if (line.reason === null) violations.push(`row ${line.reference} is in no request and has no reason`);
      continue;
    }
    const before = claimed.get(line.outputId);
    if (before !== undefined)
      violations.push(`rows ${before} and ${line.reference} claim output ${line.outputId}`);
    claimed.set(line.outputId, line.reference);
    const output = acceptedOutputs.find((o) => o.id === line.outputId);
    if (!output) {
      // In none with a reason: an output the checks rejected (or a cancelled one) whose
      // request was then cancelled without being accepted, nothing paid, the row saying so.
      const unpaid = [...outputs.values()].flat().find((o) => o.id === line.outputId);
      const endedUnpaid =
        unpaid !== undefined &&
        (unpaid.state === 'rejected' || unpaid.state === 'cancelled') &&
        unpaid.state === line.state &&
        line.reason !== null;
      if (!endedUnpaid)
        violations.push(`row ${line.reference}'s output ${line.outputId} is in no accepted request`);
      continue;
    }
    const row = rows.find((r) => r.reference === line.reference);
    if (row === undefined) violations.push(`report line ${line.reference} is no row of the run`);
    else {
      const payee = 'payeeId' in row ? row.payeeId : null;
      if (payee !== null && output.payeeId !== payee)
        violations.push(`row ${line.reference} is paid to ${output.payeeId}, not ${payee}`);
      if (output.portCode !== row.portCode)
        violations.push(`row ${line.reference} goes to ${output.portCode}`);
    }
    const truth = {
      state:
        output.state === 'settled' ||
        output.state === 'rejected' ||
        output.state === 'returned' ||
        output.state === 'cancelled'
          ? output.state
          : 'committed',
      amount: output.amount === null ? null : textOf(output.amount),
      budget: output.budget === null ? null : textOf(output.budget),
      requestId: output.requestId,
    };
    const seen = { state: line.state, amount: line.amount, budget: line.budget, requestId: line.requestId };
    if (JSON.stringify(truth) !== JSON.stringify(seen))
      violations.push(
        `row ${line.reference}: report ${JSON.stringify(seen)}, service ${JSON.stringify(truth)}`,
      );
  }
  const duplicates = acceptedOutputs.filter((o) => !claimed.has(o.id)).length;
  if (duplicates > 0)
    violations.push(`${duplicates} outputs of accepted requests belong to no row (duplicates)`);
  if (report.length !== rows.length)
    violations.push(`the report has ${report.length} lines for ${rows.length} rows`);
  return { violations, acceptedOutputs: acceptedOutputs.length, duplicates };
};

const textOf = (m: { amount: bigint; scale: number }): string => {
  const negative = m.amount < 0n;
  const digits = (negative ? -m.amount : m.amount).toString().padStart(m.scale + 1, '0');
  const text = m.scale === 0 ? digits : `${digits.slice(0, -m.scale)}.${digits.slice(-m.scale)}`;
  return negative ? `-${text}` : text;
};

/**
 * Money conserved for a payer paid out only by this run (SPEC 4): what it had before
 * equals its balance now, plus what is in flight, plus what settled outputs spent, plus
 * return costs.
 */
export const moneyConserved = async (
  client: ConciergeClient,
  runId: string,
  payerId: string,
  before: bigint,
  currency: string,
): Promise<{ readonly conserved: boolean; readonly detail: string }> => {
  const { requests, outputs } = await serviceTruth(client, runId);
  const payer = await must(client.users.get(payerId));
  const balance = payer.balances[currency]?.amount ?? 0n;
  const ports = new Map(defaultCatalog().ports.map((p) => [p.code as string, p]));
  let spent = 0n;
  let returns = 0n;
  let inFlight = 0n;
  for (const request of requests) {
    if (request.state !== 'working' && request.state !== 'finished') continue;
    for (const o of outputs.get(request.id) ?? []) {
      const budget = o.budget?.amount ?? 0n;
      if (o.state === 'settled') spent += budget;
      if (o.state === 'returned' && o.rate && o.amount && o.budget && o.allInRate && o.feeAndCost) {
        const port = ports.get(o.portCode);
        if (port)
          returns += returnCostInOrigin(
            {
              rate: o.rate,
              allInRate: o.allInRate,
              amount: o.amount,
              budget: o.budget,
              feeAndCost: o.feeAndCost,
            },
            port.returnCost,
          ).amount;
      }
      if (!FINAL_OUTPUT_STATES.has(o.state)) inFlight += budget;
    }
  }
  const conserved = before === balance + inFlight + spent + returns;
  return {
    conserved,
    detail: `before ${before} = balance ${balance} + in flight ${inFlight} + spent ${spent} + returns ${returns}`,
  };
};
