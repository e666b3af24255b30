import fc from 'fast-check';
import type { Result } from 'neverthrow';
import { describe, expect, it } from 'vitest';
import {
  acceptQuote,
  addOutput,
  type CancelTrigger,
  type Change,
  cancelRequest,
  draftRequest,
  dueTimeTrigger,
  type OutputAction,
  produceQuote,
  requestQuote,
  startWorking,
  stepOutput,
} from './aggregate.js';
import { applyMovement, type Balance, emptyBalance } from './balance.js';
import { recount } from './counters.js';
import type { DomainError } from './errors.js';
import { money } from './money.js';
import type { Output, OutputState } from './output.js';
import type { Request, RequestState } from './request.js';
import { arbScenarioConfig, deepFreeze, type ScenarioConfig, scenarioPrice } from './testing/index.js';

/**
 * Model-based test of one request and its outputs (fast-check `fc.commands` + `fc.modelRun`).
 * The model is SPEC sections 3 and 4 written out by hand, without the domain's tables: the
 * request's state, each output's state, the clock and the deadlines. Every command runs in
 * every state: where the model says a command is illegal, the domain must refuse it with the
 * exact error code and change nothing.
 */

const TEN_MINUTES = 10 * 60_000;
const TWELVE_HOURS = 12 * 3_600_000;

interface Model {
  request: RequestState;
  outputs: OutputState[];
  now: number;
  eta: number | null;
  acceptBefore: number | null;
  provisionBefore: number | null;
  cancellationReason: string | null;
}

/** The system under test: the domain's values, replaced by each accepted change. */
class Real {
  request: Request;
  outputs: Output[] = [];
  balance: Balance;
  deposited = 0n;
  now: number;

  constructor(readonly config: ScenarioConfig) {
    this.now = config.start;
    this.request = deepFreeze(
      draftRequest({
        id: 'r1',
        ownerId: 'm',
        payerId: config.payerId,
        portCode: config.origin.code,
        now: this.now,
      }).request,
    );
    this.balance = emptyBalance(config.payerId, config.origin.currency);
  }

  apply(change: Change): void {
    this.request = deepFreeze(change.request);
    for (const output of change.outputs) {
      const at = this.outputs.findIndex((o) => o.id === output.id);
      if (at === -1) this.outputs.push(deepFreeze(output));
      else this.outputs[at] = deepFreeze(output);
    }
    for (const movement of change.movements)
      this.balance = applyMovement(this.balance, movement)._unsafeUnwrap();
  }

  deposit(minor: bigint): void {
    this.balance = applyMovement(this.balance, {
      kind: 'deposit',
      payerId: this.config.payerId,
      amount: money(minor, this.config.origin.currency),
    })._unsafeUnwrap();
    this.deposited += minor;
  }
}

type Expected =
  | { readonly ok: true; readonly apply: (m: Model) => void }
  | { readonly ok: false; readonly code: string };

const refused = (code: string): Expected => ({ ok: false, code });
const INVALID = refused('invalid_transition');

const FINAL: ReadonlySet<OutputState> = new Set(['rejected', 'settled', 'returned', 'cancelled']);

/** The request follows its outputs: no payable output left while quoting, or all final while working. */
const cascade = (m: Model): void => {
  const quoting = m.request === 'quote_requested' || m.request === 'quoted' || m.request === 'quote_accepted';
  if (quoting && m.outputs.length > 0 && m.outputs.every((s) => s === 'rejected')) {
    m.request = 'cancelled';
    m.cancellationReason = 'no_payable_outputs';
  }
  if (m.request === 'working' && m.outputs.every((s) => FINAL.has(s))) m.request = 'finished';
};

const cancelAll = (m: Model, reason: string): void => {
  m.request = 'cancelled';
  m.cancellationReason = reason;
  m.outputs = m.outputs.map((s) => (s === 'accepting' || s === 'accepted' ? 'cancelled' : s));
};

/** SPEC section 4, by hand: what each operator action does from each state. */
const OUTPUT_MOVES: Record<OutputAction, readonly [OutputState, OutputState]> = {
  pass_checks: ['accepting', 'accepted'],
  fail_checks: ['accepting', 'rejected'],
  issue: ['working', 'settling'],
  provider_cancel: ['working', 'cancelled'],
  settle: ['settling', 'settled'],
  fail: ['settling', 'failed'],
  retry: ['failed', 'working'],
  give_up: ['failed', 'returned'],
};

/** What came up across all runs: each command's outcome and each state reached (so nothing is vacuous). */
const outcomes = new Set<string>();

/** Runs the domain's answer against the model's expectation, then compares the whole state. */
const check = (
  m: Model,
  r: Real,
  expected: Expected,
  result: Result<Change, DomainError>,
  label: string,
): void => {
  outcomes.add(`${label.replace(/\(.*\)/, '')} ${m.request} -> ${expected.ok ? 'ok' : expected.code}`);
  const before = { request: r.request, outputs: [...r.outputs] };
  if (expected.ok) {
    if (result.isErr())
      throw new Error(`${label}: expected success, got ${result.error.code}: ${result.error.message}`);
    r.apply(result.value);
    expected.apply(m);
  } else {
    if (result.isOk()) throw new Error(`${label}: expected ${expected.code}, but it succeeded`);
    expect(result.error.code, label).toBe(expected.code);
    expect(r.request).toBe(before.request);
    expect(r.outputs).toEqual(before.outputs);
  }
  expect(r.request.state, label).toBe(m.request);
  expect(
    r.outputs.map((o) => o.state),
    label,
  ).toEqual(m.outputs);
  expect(r.request.cancellationReason, label).toBe(m.cancellationReason);
  const counted = recount(r.outputs.map((o) => o.state));
  expect(r.request.counters, label).toEqual(counted);
  const b = r.balance;
  expect(b.deposited, label).toBe(b.available + b.inFlight + b.spent + b.returnCosts);
  expect(r.balance.available >= 0n, label).toBe(true);
  expect(r.balance.deposited, label).toBe(r.deposited);
  outcomes.add(`state ${m.request}${m.cancellationReason ? ` ${m.cancellationReason}` : ''}`);
  for (const s of m.outputs) outcomes.add(`output ${s}`);
};

type Cmd = fc.Command<Model, Real>;

class AddOutput implements Cmd {
  constructor(
    readonly destination: number,
    readonly budget: boolean,
    readonly minor: bigint,
  ) {}
  check = () => true;
  run(m: Model, r: Real) {
    const d = r.config.destinations[this.destination % r.config.destinations.length]!;
    const result = addOutput(r.request, {
      id: `o${r.outputs.length + 1}`,
      requestId: r.request.id,
      payeeId: 'p',
      withdrawalInstructionId: 'w',
      portCode: d.port.code,
      target: this.budget
        ? { kind: 'budget', budget: money(this.minor, r.config.origin.currency) }
        : { kind: 'amount', amount: money(this.minor, d.port.currency) },
      now: r.now,
    });
    const expected: Expected =
      m.request === 'draft' ? { ok: true, apply: (model) => model.outputs.push('accepting') } : INVALID;
    check(m, r, expected, result, this.toString());
  }
  toString = () => `addOutput(${this.budget ? 'budget' : 'amount'} ${this.minor})`;
}

class Step implements Cmd {
  constructor(
    readonly position: number,
    readonly action: OutputAction,
  ) {}
  check = (m: Readonly<Model>) => m.outputs.length > 0;
  run(m: Model, r: Real) {
    const i = this.position % m.outputs.length;
    const output = r.outputs[i]!;
    const [from, to] = OUTPUT_MOVES[this.action];
    const expected: Expected =
      m.outputs[i] === from
        ? {
            ok: true,
            apply: (model) => {
              model.outputs[i] = to === 'accepted' && model.request === 'working' ? 'working' : to;
              cascade(model);
            },
          }
        : INVALID;
    const d = r.config.destinations.find((x) => x.port.code === output.portCode)!;
    const result = stepOutput(r.request, output, this.action, r.now, {
      reason: 'because',
      returnCost: d.port.returnCost,
    });
    check(m, r, expected, result, this.toString());
  }
  toString = () => `${this.action}(output #${this.position})`;
}

/** An action the model allows for the output's state, chosen by position: drives outputs far. */
class LegalStep implements Cmd {
  constructor(
    readonly position: number,
    readonly choice: number,
  ) {}
  private legal = (m: Readonly<Model>) =>
    ACTIONS.filter((a) => OUTPUT_MOVES[a][0] === m.outputs[this.position % m.outputs.length]);
  check = (m: Readonly<Model>) => m.outputs.length > 0 && this.legal(m).length > 0;
  run(m: Model, r: Real) {
    const actions = this.legal(m);
    new Step(this.position, actions[this.choice % actions.length]!).run(m, r);
  }
  toString = () => `legalStep(output #${this.position}, ${this.choice})`;
}

class RequestQuote implements Cmd {
  constructor(readonly delay: number) {}
  check = () => true;
  run(m: Model, r: Real) {
    const expected: Expected =
      m.request !== 'draft'
        ? INVALID
        : m.outputs.some((s) => s !== 'rejected')
          ? {
              ok: true,
              apply: (model) => {
                model.request = 'quote_requested';
                model.eta = model.now + this.delay;
              },
            }
          : refused('no_payable_outputs');
    check(m, r, expected, requestQuote(r.request, r.now, r.now + this.delay), this.toString());
  }
  toString = () => `requestQuote(eta +${this.delay})`;
}

const produce = (r: Real) =>
  produceQuote(r.request, r.outputs, (o) => scenarioPrice(r.config, o), r.now, {
    acceptQuoteMs: TEN_MINUTES,
    provisionFundsMs: TWELVE_HOURS,
  });

const quoted = (model: Model) => {
  model.request = 'quoted';
  model.acceptBefore = model.now + TEN_MINUTES;
  model.provisionBefore = model.now + TWELVE_HOURS;
};

class ProduceQuote implements Cmd {
  check = () => true;
  run(m: Model, r: Real) {
    const expected: Expected = m.request === 'quote_requested' ? { ok: true, apply: quoted } : INVALID;
    const payable = r.outputs
      .filter((o) => o.state === 'accepting' || o.state === 'accepted')
      .map((o) => o.id);
    check(m, r, expected, produce(r), this.toString());
    if (expected.ok) {
      // Every output that was accepting or accepted is priced; total_to_spend is their sum.
      const priced = r.outputs.filter((o) => o.price !== null);
      expect(priced.map((o) => o.id)).toEqual(payable);
      expect(r.request.totalToSpend?.amount).toBe(priced.reduce((n, o) => n + o.price!.budget.amount, 0n));
    }
  }
  toString = () => 'produceQuote';
}

class AcceptQuote implements Cmd {
  check = () => true;
  run(m: Model, r: Real) {
    const expected: Expected =
      m.request !== 'quoted'
        ? INVALID
        : m.now < m.acceptBefore!
          ? {
              ok: true,
              apply: (model) => {
                model.request = 'quote_accepted';
              },
            }
          : refused('quote_expired');
    check(m, r, expected, acceptQuote(r.request, r.now), this.toString());
  }
  toString = () => 'acceptQuote';
}

class Cancel implements Cmd {
  constructor(readonly trigger: CancelTrigger) {}
  check = () => true;
  run(m: Model, r: Real) {
    const expected = ((): Expected => {
      switch (this.trigger) {
        case 'cancel':
          return m.request === 'draft' || m.request === 'quote_requested' || m.request === 'quoted'
            ? { ok: true, apply: (model) => cancelAll(model, 'cancelled_by_user') }
            : INVALID;
        case 'expire_quote':
          if (m.request !== 'quoted') return INVALID;
          return m.now >= m.acceptBefore!
            ? { ok: true, apply: (model) => cancelAll(model, 'quote_not_accepted') }
            : refused('quote_not_expired');
        case 'funds_deadline':
          if (m.request !== 'quote_accepted') return INVALID;
          return m.now >= m.provisionBefore!
            ? { ok: true, apply: (model) => cancelAll(model, 'payment_not_received') }
            : refused('deadline_not_reached');
        case 'prune_draft':
          return m.request === 'draft'
            ? { ok: true, apply: (model) => cancelAll(model, 'draft_was_pruned') }
            : INVALID;
        case 'no_payable_outputs':
          if (m.request !== 'quote_requested' && m.request !== 'quoted' && m.request !== 'quote_accepted')
            return INVALID;
          // Reachable only if the cascade failed to run: with a payable output it must be refused.
          return refused('no_payable_outputs');
      }
    })();
    check(m, r, expected, cancelRequest(r.request, r.outputs, this.trigger, r.now), this.toString());
  }
  toString = () => `cancel(${this.trigger})`;
}

class StartWorking implements Cmd {
  constructor(readonly fund: boolean) {}
  check = () => true;
  run(m: Model, r: Real) {
    const expected: Expected =
      m.request !== 'quote_accepted'
        ? INVALID
        : this.fund
          ? {
              ok: true,
              apply: (model) => {
                model.request = 'working';
                model.outputs = model.outputs.map((s) => (s === 'accepted' ? 'working' : s));
                cascade(model);
              },
            }
          : refused('insufficient_funds');
    if (this.fund && r.request.state === 'quote_accepted') {
      const shortfall = r.request.totalToSpend!.amount - r.balance.available;
      if (shortfall > 0n) r.deposit(shortfall);
    }
    const available = money(r.balance.available, r.config.origin.currency);
    // Outputs rejected since the quote were debited with the rest and are refunded at once.
    const refunds = r.outputs
      .filter((o) => o.state === 'rejected' && o.price)
      .reduce((n, o) => n + o.price!.budget.amount, 0n);
    check(m, r, expected, startWorking(r.request, r.outputs, available, r.now), this.toString());
    if (expected.ok) expect(r.balance.available).toBe(refunds);
  }
  toString = () => `startWorking(${this.fund ? 'funded' : 'unfunded'})`;
}

class Advance implements Cmd {
  constructor(readonly ms: number) {}
  check = () => true;
  run(m: Model, r: Real) {
    m.now += this.ms;
    r.now += this.ms;
  }
  toString = () => `advance(${this.ms} ms)`;
}

/** Jumps to just before, at or just after a deadline (the boundaries matter most). */
class AdvanceTo implements Cmd {
  constructor(
    readonly deadline: 'eta' | 'accept' | 'provision',
    readonly offset: -1 | 0 | 1,
  ) {}
  check = (m: Readonly<Model>) => {
    const at = { eta: m.eta, accept: m.acceptBefore, provision: m.provisionBefore }[this.deadline];
    return at !== null && at + this.offset >= m.now;
  };
  run(m: Model, r: Real) {
    const at = { eta: m.eta, accept: m.acceptBefore, provision: m.provisionBefore }[this.deadline]!;
    m.now = at + this.offset;
    r.now = m.now;
  }
  toString = () => `advanceTo(${this.deadline} ${this.offset >= 0 ? '+' : ''}${this.offset})`;
}

/** The clock's own transitions, as the sandbox fires them. */
class FireDue implements Cmd {
  check = () => true;
  run(m: Model, r: Real) {
    const due = dueTimeTrigger(r.request, r.now);
    const expectedDue =
      m.request === 'quote_requested' && m.now >= m.eta!
        ? 'produce_quote'
        : m.request === 'quoted' && m.now >= m.acceptBefore!
          ? 'expire_quote'
          : m.request === 'quote_accepted' && m.now >= m.provisionBefore!
            ? 'funds_deadline'
            : null;
    expect(due).toBe(expectedDue);
    if (due === 'produce_quote') check(m, r, { ok: true, apply: quoted }, produce(r), this.toString());
    else if (due === 'expire_quote')
      check(
        m,
        r,
        { ok: true, apply: (model) => cancelAll(model, 'quote_not_accepted') },
        cancelRequest(r.request, r.outputs, due, r.now),
        this.toString(),
      );
    else if (due === 'funds_deadline')
      check(
        m,
        r,
        { ok: true, apply: (model) => cancelAll(model, 'payment_not_received') },
        cancelRequest(r.request, r.outputs, due, r.now),
        this.toString(),
      );
  }
  toString = () => 'fireDue';
}

/** The natural next step of the flow from the model's state (legal, so runs get far). */
class Progress implements Cmd {
  constructor(readonly choice: number) {}
  private next(m: Readonly<Model>): Cmd | undefined {
    switch (m.request) {
      case 'draft':
        return m.outputs.length === 0 || this.choice % 3 === 0
          ? new AddOutput(this.choice, this.choice % 2 === 0, BigInt(1 + this.choice * 997))
          : m.outputs.some((s) => s === 'accepting') && this.choice % 3 === 1
            ? new LegalStep(this.choice, 0) // pass the checks
            : new RequestQuote(0);
      case 'quote_requested':
        return new ProduceQuote();
      case 'quoted':
        // Sometimes the integrator is late: wait until the deadline, then try anyway or let it expire.
        if (this.choice % 5 === 0) return new AdvanceTo('accept', ((this.choice % 3) - 1) as -1 | 0 | 1);
        return m.now < m.acceptBefore! || this.choice % 2 === 0 ? new AcceptQuote() : new FireDue();
      case 'quote_accepted':
        // Sometimes the funds do not come in time.
        if (this.choice % 5 === 0) return new AdvanceTo('provision', ((this.choice % 3) - 1) as -1 | 0 | 1);
        return m.now < m.provisionBefore! || this.choice % 2 === 0 ? new StartWorking(true) : new FireDue();
      case 'working': {
        const open = m.outputs.flatMap((s, i) => (FINAL.has(s) ? [] : [i]));
        const position = open[this.choice % open.length];
        return position === undefined ? undefined : new LegalStep(position, this.choice >> 2);
      }
      default:
        return undefined;
    }
  }
  check = (m: Readonly<Model>) => {
    const next = this.next(m);
    return next?.check(m) ?? false;
  };
  run(m: Model, r: Real) {
    this.next(m)!.run(m, r);
  }
  toString = () => `progress(${this.choice})`;
}

const ACTIONS = Object.keys(OUTPUT_MOVES) as OutputAction[];

const commands = [
  fc
    .tuple(fc.nat({ max: 9 }), fc.boolean(), fc.bigInt({ min: 1n, max: 10n ** 7n }))
    .map(([d, b, minor]) => new AddOutput(d, b, minor)),
  fc.tuple(fc.nat({ max: 9 }), fc.constantFrom(...ACTIONS)).map(([p, a]) => new Step(p, a)),
  fc.tuple(fc.nat({ max: 9 }), fc.constantFrom(...ACTIONS)).map(([p, a]) => new Step(p, a)),
  ...[1, 2, 3, 4].map(() =>
    fc.tuple(fc.nat({ max: 9 }), fc.nat({ max: 9 })).map(([p, c]) => new LegalStep(p, c)),
  ),
  fc.constantFrom(0, 1, 3_600_000).map((delay) => new RequestQuote(delay)),
  fc.constant(new ProduceQuote()),
  fc.constant(new AcceptQuote()),
  fc
    .constantFrom<CancelTrigger>(
      'cancel',
      'expire_quote',
      'funds_deadline',
      'prune_draft',
      'no_payable_outputs',
    )
    .map((t) => new Cancel(t)),
  fc.boolean().map((fund) => new StartWorking(fund)),
  fc
    .oneof(fc.integer({ min: 0, max: 120_000 }), fc.constantFrom(TEN_MINUTES, TWELVE_HOURS))
    .map((ms) => new Advance(ms)),
  fc
    .tuple(
      fc.constantFrom('eta' as const, 'accept' as const, 'provision' as const),
      fc.constantFrom(-1 as const, 0 as const, 1 as const),
    )
    .map(([d, o]) => new AdvanceTo(d, o)),
  fc.constant(new FireDue()),
  ...[1, 2, 3, 4, 5, 6].map(() => fc.nat({ max: 99 }).map((c) => new Progress(c))),
];

describe('a request and its outputs against a model of SPEC sections 3 and 4', () => {
  it('every command, legal or not, does what the model says, and illegal ones are refused with the exact error code', () => {
    const check = () =>
      fc.assert(
        fc.property(
          arbScenarioConfig(),
          fc.commands(commands, { maxCommands: 60, size: 'max' }),
          (config, cmds) => {
            const setup = () => ({
              model: {
                request: 'draft' as RequestState,
                outputs: [],
                now: config.start,
                eta: null,
                acceptBefore: null,
                provisionBefore: null,
                cancellationReason: null,
              } satisfies Model,
              real: new Real(config),
            });
            fc.modelRun(setup, cmds);
          },
        ),
        { numRuns: 300 },
      );
    // Legal and illegal commands both came up, with every refusal code and every end. The
    // commands are random: a rare outcome missed by one round of 300 runs is looked for in
    // more rounds (each one checking the model again), up to ten.
    const wanted = [
      'addOutput draft -> ok',
      'addOutput quoted -> invalid_transition',
      'acceptQuote draft -> invalid_transition',
      'acceptQuote quoted -> ok',
      'acceptQuote quoted -> quote_expired',
      'cancel working -> invalid_transition',
      'cancel quote_accepted -> invalid_transition',
      'cancel quoted -> ok',
      'requestQuote draft -> no_payable_outputs',
      'settle working -> invalid_transition',
      'settle working -> ok',
      'give_up working -> ok',
      'retry working -> ok',
      'provider_cancel working -> ok',
      'startWorking quote_accepted -> insufficient_funds',
      'startWorking quote_accepted -> ok',
      'cancel quoted -> quote_not_expired',
      'cancel quote_accepted -> deadline_not_reached',
      'fireDue quoted -> ok',
      'fireDue quote_accepted -> ok',
      'state finished',
      'state cancelled no_payable_outputs',
      'state cancelled quote_not_accepted',
      'state cancelled payment_not_received',
      'state cancelled cancelled_by_user',
      'output returned',
    ];
    check();
    for (let round = 1; round < 10 && wanted.some((o) => !outcomes.has(o)); round += 1) check();
    for (const outcome of wanted) expect([...outcomes]).toContain(outcome);
  });
});
