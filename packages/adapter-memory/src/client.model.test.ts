import {
  type ConciergeClient,
  type ConciergeError,
  MAGIC_VALUES,
  type OutputView,
  type SandboxOperator,
} from '@concierge-ts/application';
import {
  COMPLIANCE_STATES,
  type ComplianceState,
  FINAL_OUTPUT_STATES,
  OUTPUT_STATES,
  type OutputState,
  type RequestState,
  testInstructionBody,
} from '@concierge-ts/domain';
import fc from 'fast-check';
import type { ResultAsync } from 'neverthrow';
import { expect, it } from 'vitest';
import { createInMemoryConcierge } from './compose.js';

/**
 * Model-based test: random commands (drafts, outputs, quotes, accepts, cancels, operator
 * actions, deposits, compliance state changes, clock advances) drive the in-memory client;
 * a model much simpler than the service predicts each outcome, including the exact
 * refusal, and after every command the counters and the money are checked against a
 * recount of what the client shows. The service is asynchronous (SPEC section 9): the
 * model keeps its own list of what comes due when (checks 2 s after an output, a quote 1 s
 * after it is requested, work 1 s after an accept or a deposit, quote expiry, the funds
 * deadline, pruning of a draft after 24 hours) and plays it when the clock moves. Working
 * outputs move by operator actions only: the sandbox's magic values pick the payees'
 * compliance states, but no output settles by itself (its own tests cover that).
 */

/** Payees always `enabled`, always `rejected`, and one whose state the operator changes (it starts `new`). */
type PayeeKind = 'enabled' | 'changing' | 'rejected';
interface ModelOutput {
  id: string;
  request: number;
  payee: PayeeKind;
  state: OutputState;
}
interface ModelRequest {
  id: string;
  state: RequestState;
  acceptBefore: number;
  fundsBefore: number;
}
type Due =
  | { kind: 'checks'; output: number }
  | { kind: 'quote' | 'expire' | 'start' | 'deadline' | 'prune'; request: number };
interface Model {
  now: number;
  requests: ModelRequest[];
  outputs: ModelOutput[];
  /** The compliance state of the `changing` payee. */
  changingState: ComplianceState;
  deposited: bigint;
  /** What the model expects the service to do, and when, in the order it was planned. */
  due: { at: number; seq: number; what: Due }[];
  seq: number;
}
interface Real {
  client: ConciergeClient;
  operator: SandboxOperator;
  payerId: string;
  payees: Record<PayeeKind, { userId: string; instructionId: string }>;
  returnCost: bigint;
}

const MIN = 60_000;
const HOUR = 60 * MIN;
const OPEN: ReadonlySet<OutputState> = new Set(['accepting', 'accepted', 'working', 'settling', 'failed']);

const settle = async <T>(call: ResultAsync<T, ConciergeError>) => call;
const unwrap = async <T>(call: ResultAsync<T, ConciergeError>): Promise<T> => {
  const r = await call;
  if (r.isErr()) throw new Error(JSON.stringify(r.error));
  return r.value;
};

const cancelOutputsOf = (m: Model, index: number) => {
  for (const o of m.outputs)
    if (o.request === index && (o.state === 'accepting' || o.state === 'accepted')) o.state = 'cancelled';
};

const plan = (m: Model, at: number, what: Due) => {
  m.due.push({ at, seq: m.seq++, what });
};

/** What a check decides for an output of this payee now; null while it waits (`new`, `disabled`). */
const checkOutcome = (m: Model, payee: PayeeKind): 'accepted' | 'rejected' | null => {
  const state = payee === 'changing' ? m.changingState : payee;
  return state === 'enabled' ? 'accepted' : state === 'rejected' ? 'rejected' : null;
};

/**
 * Plays everything due by `now`, in time order (and planning order within an instant).
 * Starting work needs the payer's balance: the model follows it from the balance the
 * client showed before the clock moved, debiting each start and refunding outputs
 * rejected once priced, at the budgets (and totals) the client shows.
 */
const applyTime = async (m: Model, real: Real, balanceBefore: bigint) => {
  let balance = balanceBefore;
  const budgets = new Map<string, bigint>();
  const budgetOf = async (requestId: string, outputId: string) => {
    if (!budgets.has(outputId))
      for (const o of (await unwrap(real.client.requests.getWithOutputs(requestId))).outputs)
        budgets.set(o.id, o.budget?.amount ?? 0n);
    return budgets.get(outputId) ?? 0n;
  };
  for (;;) {
    m.due.sort((a, b) => a.at - b.at || a.seq - b.seq);
    const next = m.due[0];
    if (!next || next.at > m.now) return;
    m.due.shift();
    const { what, at } = next;
    if (what.kind === 'checks') {
      const o = m.outputs[what.output];
      const req = o && m.requests[o.request];
      if (!o || !req || o.state !== 'accepting') continue;
      const outcome = checkOutcome(m, o.payee);
      if (outcome === null) continue;
      o.state = outcome === 'accepted' && req.state === 'working' ? 'working' : outcome;
      if (outcome === 'rejected' && req.state === 'working') balance += await budgetOf(req.id, o.id);
      followRequest(m, o.request);
      continue;
    }
    const r = m.requests[what.request];
    if (!r) continue;
    switch (what.kind) {
      case 'quote':
        if (r.state !== 'quote_requested') break;
        r.state = 'quoted';
        r.acceptBefore = at + 10 * MIN;
        r.fundsBefore = at + 12 * HOUR;
        plan(m, r.acceptBefore, { kind: 'expire', request: what.request });
        break;
      case 'expire':
        if (r.state === 'quoted' && at >= r.acceptBefore) {
          r.state = 'cancelled';
          cancelOutputsOf(m, what.request);
        }
        break;
      case 'deadline':
        if (r.state === 'quote_accepted' && at >= r.fundsBefore) {
          r.state = 'cancelled';
          cancelOutputsOf(m, what.request);
        }
        break;
      case 'prune':
        if (r.state === 'draft') {
          r.state = 'cancelled';
          cancelOutputsOf(m, what.request);
        }
        break;
      case 'start': {
        if (r.state !== 'quote_accepted') break;
        const total = await totalOf(real, r.id);
        if (balance < total) break;
        balance -= total;
        r.state = 'working';
        for (const [index, o] of m.outputs.entries()) {
          if (o.request !== what.request) continue;
          if (o.state === 'accepted') o.state = 'working';
          if (o.state === 'rejected') balance += await budgetOf(r.id, m.outputs[index]?.id ?? '');
        }
        followRequest(m, what.request);
        break;
      }
    }
  }
};

/** After an output change: no payable outputs left, or the last output final. */
const followRequest = (m: Model, index: number) => {
  const r = m.requests[index];
  if (!r) return;
  const mine = m.outputs.filter((o) => o.request === index);
  if (
    ['quote_requested', 'quoted', 'quote_accepted'].includes(r.state) &&
    mine.length > 0 &&
    mine.every((o) => o.state === 'rejected')
  )
    r.state = 'cancelled';
  if (r.state === 'working' && mine.every((o) => !OPEN.has(o.state))) r.state = 'finished';
};

const totalOf = async (real: Real, id: string) =>
  (await unwrap(real.client.requests.get(id))).totalToSpend?.amount ?? 0n;

const available = async (real: Real) =>
  (await unwrap(real.client.users.get(real.payerId))).balances.ars?.amount ?? 0n;

const expectRefused = async <T>(call: ResultAsync<T, ConciergeError>, code: string) => {
  const r = await settle(call);
  expect(r.isErr(), `expected ${code}`).toBe(true);
  if (r.isErr()) expect(r.error.code).toBe(code);
};

type Cmd = fc.AsyncCommand<Model, Real>;
const cmd = (name: string, run: (m: Model, r: Real) => Promise<void>): Cmd => ({
  check: () => true,
  run: async (m, r) => {
    await run(m, r);
    await checkInvariants(m, r);
  },
  toString: () => name,
});

const draft = () =>
  cmd('draft', async (m, r) => {
    const request = await unwrap(r.client.requests.create({ portCode: 'ar_ars', payerId: r.payerId }));
    m.requests.push({ id: request.id, state: 'draft', acceptBefore: 0, fundsBefore: 0 });
    plan(m, m.now + 24 * HOUR, { kind: 'prune', request: m.requests.length - 1 });
  });

const addOutput = (ri: number, payee: PayeeKind, target: { amount: number } | { budget: number }) =>
  cmd(`addOutput(${ri}, ${payee}, ${JSON.stringify(target)})`, async (m, r) => {
    const req = m.requests[ri % Math.max(1, m.requests.length)];
    if (!req) return;
    const p = r.payees[payee];
    const call = r.client.outputs.create({
      requestId: req.id,
      payeeId: p.userId,
      withdrawalInstructionId: p.instructionId,
      portCode: 'cl_clp',
      ...target,
    });
    if (req.state !== 'draft') return expectRefused(call, 'invalid_transition');
    const out = await unwrap(call);
    // Always accepting at first: the checks run 2 s later.
    expect(out.state).toBe('accepting');
    m.outputs.push({ id: out.id, request: m.requests.indexOf(req), payee, state: 'accepting' });
    plan(m, m.now + 2_000, { kind: 'checks', output: m.outputs.length - 1 });
  });

const requestQuote = (ri: number) =>
  cmd(`requestQuote(${ri})`, async (m, r) => {
    const index = ri % Math.max(1, m.requests.length);
    const req = m.requests[index];
    if (!req) return;
    const call = r.client.requests.requestQuote(req.id);
    if (req.state !== 'draft') return expectRefused(call, 'invalid_transition');
    const payable = m.outputs.some((o) => o.request === index && o.state !== 'rejected');
    if (!payable) return expectRefused(call, 'no_payable_outputs');
    const answered = await unwrap(call);
    expect(answered.state).toBe('quote_requested');
    expect(answered.totalToSpend).toBeNull();
    req.state = 'quote_requested';
    plan(m, m.now + 1_000, { kind: 'quote', request: index });
  });

const acceptQuote = (ri: number) =>
  cmd(`acceptQuote(${ri})`, async (m, r) => {
    const index = ri % Math.max(1, m.requests.length);
    const req = m.requests[index];
    if (!req) return;
    const call = r.client.requests.acceptQuote(req.id);
    if (req.state !== 'quoted') return expectRefused(call, 'invalid_transition');
    expect((await unwrap(call)).state).toBe('quote_accepted');
    req.state = 'quote_accepted';
    plan(m, m.now + 1_000, { kind: 'start', request: index });
    plan(m, req.fundsBefore, { kind: 'deadline', request: index });
  });

const cancel = (ri: number) =>
  cmd(`cancel(${ri})`, async (m, r) => {
    const index = ri % Math.max(1, m.requests.length);
    const req = m.requests[index];
    if (!req) return;
    const call = r.client.requests.cancel(req.id);
    if (!['draft', 'quote_requested', 'quoted'].includes(req.state))
      return expectRefused(call, 'invalid_transition');
    expect((await unwrap(call)).cancellationReason).toBe('cancelled_by_user');
    req.state = 'cancelled';
    cancelOutputsOf(m, index);
  });

const ACTIONS = ['accept', 'reject', 'issue', 'settle', 'fail', 'retry', 'return', 'cancel'] as const;
const FROM: Record<(typeof ACTIONS)[number], [OutputState, OutputState]> = {
  accept: ['accepting', 'accepted'],
  reject: ['accepting', 'rejected'],
  issue: ['working', 'settling'],
  settle: ['settling', 'settled'],
  fail: ['settling', 'failed'],
  retry: ['failed', 'working'],
  return: ['failed', 'returned'],
  cancel: ['working', 'cancelled'],
};

const operatorAction = (oi: number, action: (typeof ACTIONS)[number]) =>
  cmd(`operator.${action}(${oi})`, async (m, r) => {
    const out = m.outputs[oi % Math.max(1, m.outputs.length)];
    if (!out) return;
    const call = r.operator.outputAction(out.id, action);
    const [from, to] = FROM[action];
    if (out.state !== from) return expectRefused(call, 'invalid_transition');
    await unwrap(call);
    const req = m.requests[out.request];
    out.state = to === 'accepted' && req?.state === 'working' ? 'working' : to;
    followRequest(m, out.request);
  });

const deposit = (amount: number) =>
  cmd(`deposit(${amount})`, async (m, r) => {
    await unwrap(r.operator.deposit(r.payerId, { portCode: 'ar_ars', amount }));
    m.deposited += BigInt(amount) * 100n;
    m.requests.forEach((req, index) => {
      if (req.state === 'quote_accepted') plan(m, m.now + 1_000, { kind: 'start', request: index });
    });
  });

const setCompliance = (state: ComplianceState) =>
  cmd(`setCompliance(changing, ${state})`, async (m, r) => {
    const user = await unwrap(r.operator.setCompliance(r.payees.changing.userId, state));
    expect(user.complianceState).toBe(state);
    m.changingState = state;
    const outcome = checkOutcome(m, 'changing');
    if (outcome === null) return;
    for (const o of m.outputs) {
      if (o.payee !== 'changing' || o.state !== 'accepting') continue;
      const req = m.requests[o.request];
      o.state = outcome === 'rejected' ? 'rejected' : req?.state === 'working' ? 'working' : 'accepted';
      followRequest(m, o.request);
    }
  });

const advance = (seconds: number) =>
  cmd(`advanceClock(${seconds})`, async (m, r) => {
    // The model plays its plan instant by instant: one step to each due instant on the way.
    const target = m.now + seconds * 1000;
    for (;;) {
      const next = m.due.reduce((min, d) => (d.at > m.now && d.at < min ? d.at : min), target);
      const balance = await available(r);
      await unwrap(r.operator.advanceClock((next - m.now) / 1000));
      m.now = next;
      await applyTime(m, r, balance);
      if (next === target) break;
    }
  });

/** Counters equal a recount; states match the model; money is conserved. */
const checkInvariants = async (m: Model, real: Real) => {
  let inFlight = 0n;
  let spent = 0n;
  let returnCosts = 0n;
  for (const [index, req] of m.requests.entries()) {
    const shown = await unwrap(real.client.requests.getWithOutputs(req.id));
    expect(shown.state, `request ${index}`).toBe(req.state);
    const counts: Record<string, number> = {};
    for (const o of shown.outputs) counts[o.state] = (counts[o.state] ?? 0) + 1;
    for (const state of OUTPUT_STATES)
      expect(shown.counters[state], `${state} of request ${index}`).toBe(counts[state] ?? 0);
    expect(shown.counters.total).toBe(shown.outputs.length);
    const debited = shown.state === 'working' || shown.state === 'finished';
    for (const o of shown.outputs as OutputView[]) {
      const modelled = m.outputs.find((x) => x.id === o.id);
      expect(o.state, `output ${o.id}`).toBe(modelled?.state);
      const budget = o.budget?.amount ?? 0n;
      if (!debited || !o.rate) continue;
      if (!FINAL_OUTPUT_STATES.has(o.state)) inFlight += budget;
      if (o.state === 'settled') spent += budget;
      if (o.state === 'returned') {
        // The port's cost (CLP, no decimals) at the output's rate, in ARS cents, rounded up.
        const cost = (real.returnCost * 10n ** 8n * 100n + o.rate.units - 1n) / o.rate.units;
        returnCosts += cost > budget ? budget : cost;
      }
    }
  }
  const balance = await available(real);
  expect(balance + inFlight + spent + returnCosts).toBe(m.deposited);
};

const commands = [
  fc.constant(draft()),
  fc.constant(draft()),
  ...[1, 2, 3].map(() =>
    fc
      .tuple(
        fc.nat(),
        fc.constantFrom<PayeeKind>('enabled', 'enabled', 'changing', 'rejected'),
        fc.oneof(
          fc.integer({ min: 1_000, max: 2_000_000 }).map((amount) => ({ amount })),
          // Budgets whose CLP value stays within cl_clp limits (the limits have their own contract tests).
          fc.integer({ min: 5_000_00, max: 1_000_000_00 }).map((c) => ({ budget: c / 100 })),
        ),
      )
      .map(([ri, payee, target]) => addOutput(ri, payee, target)),
  ),
  fc.nat().map(requestQuote),
  fc.nat().map(requestQuote),
  fc.nat().map(acceptQuote),
  fc.nat().map(acceptQuote),
  fc.nat().map(cancel),
  fc.tuple(fc.nat(), fc.constantFrom(...ACTIONS)).map(([oi, a]) => operatorAction(oi, a)),
  fc.tuple(fc.nat(), fc.constantFrom(...ACTIONS)).map(([oi, a]) => operatorAction(oi, a)),
  fc.tuple(fc.nat(), fc.constantFrom(...ACTIONS)).map(([oi, a]) => operatorAction(oi, a)),
  fc.integer({ min: 1_000, max: 3_000_000 }).map(deposit),
  fc.constantFrom(...COMPLIANCE_STATES).map(setCompliance),
  fc.constantFrom(1, 2, 3, 30, 300, 599, 600, 3600, 43_200).map(advance),
  fc.constantFrom(1, 2).map(advance),
];

it('the in-memory client follows a simple model over random command sequences, conserving money', async () => {
  await fc.assert(
    fc.asyncProperty(fc.commands(commands, { maxCommands: 60, size: 'max' }), async (cmds) => {
      const sandbox = createInMemoryConcierge({
        seed: false,
        policy: { ...MAGIC_VALUES, outcomeScript: () => null },
      });
      const { client, operator } = sandbox;
      const payer = await unwrap(client.users.create({ email: 'payer@example.com' }));
      const payee = async (email: string) => {
        const user = await unwrap(client.users.create({ email }));
        const body = testInstructionBody('cl_clp', 'other');
        const instruction = await unwrap(
          client.withdrawalInstructions.create({ userId: user.id, label: 'cl', body }),
        );
        return { userId: user.id, instructionId: instruction.id };
      };
      const ports = await unwrap(client.ports.list());
      const real: Real = {
        client,
        operator,
        payerId: payer.id,
        payees: {
          enabled: await payee('ok@example.com'),
          changing: await payee('wait+new@example.com'),
          rejected: await payee('no+rejected@example.com'),
        },
        returnCost: ports.find((p) => p.code === 'cl_clp')?.returnCost.amount ?? 0n,
      };
      await unwrap(operator.deposit(payer.id, { portCode: 'ar_ars', amount: 2_000_000 }));
      const model: Model = {
        now: 0,
        requests: [],
        outputs: [],
        changingState: 'new',
        deposited: 2_000_000_00n,
        due: [],
        seq: 0,
      };
      await fc.asyncModelRun(() => ({ model, real }), cmds);
    }),
    { numRuns: 200 },
  );
});
