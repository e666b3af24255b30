import fc, { type Arbitrary } from 'fast-check';
import { ok, type Result } from 'neverthrow';
import {
  acceptQuote,
  addOutput,
  type CancelTrigger,
  type Change,
  cancelRequest,
  DEFAULT_QUOTE_WINDOWS,
  draftRequest,
  dueTimeTrigger,
  type OutputAction,
  produceQuote,
  type QuoteWindows,
  requestQuote,
  startWorking,
  stepOutput,
} from '../aggregate.js';
import { applyMovement, type Balance, emptyBalance, type MoneyMovement } from '../balance.js';
import type { DomainError } from '../errors.js';
import { money } from '../money.js';
import { isFinalOutputState, OUTPUT_TRANSITIONS, type Output, type OutputTrigger } from '../output.js';
import type { Port } from '../port.js';
import { type OutputTarget, type PriceQuote, priceOutput } from '../pricing.js';
import { isFinalRequestState, type Request } from '../request.js';
import { arbPort, arbPriceQuote } from './arbitraries.js';
import { deepFreeze } from './freeze.js';

/**
 * A small world to drive the request aggregate with random operations: one payer with a
 * balance in the origin currency, a few requests, their outputs, a clock. Operations name
 * requests and outputs by position (taken modulo what exists), so every generated sequence
 * stays meaningful while it shrinks. Every entity kept in the world is deeply frozen.
 */

export interface ScenarioDestination {
  readonly port: Port;
  /** The pricing source's rate and fee for this destination. */
  readonly quote: PriceQuote;
}

export interface ScenarioConfig {
  readonly payerId: string;
  readonly origin: Port;
  readonly destinations: readonly ScenarioDestination[];
  readonly windows: QuoteWindows;
  readonly start: number;
}

export type ScenarioOperation =
  | { readonly kind: 'draft' }
  | {
      readonly kind: 'add_output';
      readonly request: number;
      readonly destination: number;
      readonly target: 'amount' | 'budget';
      readonly minor: bigint;
    }
  | { readonly kind: 'request_quote'; readonly request: number }
  | { readonly kind: 'produce_quote'; readonly request: number }
  | { readonly kind: 'accept_quote'; readonly request: number }
  | { readonly kind: 'deposit'; readonly minor: bigint }
  | { readonly kind: 'start_working'; readonly request: number }
  | { readonly kind: 'cancel'; readonly request: number; readonly trigger: CancelTrigger }
  /** A legal action for the output's state (among open outputs), chosen by `choice`. */
  | { readonly kind: 'step'; readonly output: number; readonly choice: number }
  /** Any action on any output, legal or not, with or without a reason. */
  | {
      readonly kind: 'raw_step';
      readonly output: number;
      readonly action: OutputAction;
      readonly reason: string | null;
    }
  | { readonly kind: 'advance'; readonly ms: number }
  /** Fires the time-based transition due for the request, if any. */
  | { readonly kind: 'due'; readonly request: number }
  /** The natural next step of the request's flow (see `progress`). */
  | {
      readonly kind: 'progress';
      readonly request: number;
      readonly choice: number;
      readonly minor: bigint;
    };

export interface ScenarioState {
  readonly now: number;
  /** In drafting order. */
  readonly requests: readonly Request[];
  /** In creation order. */
  readonly outputs: ReadonlyMap<string, Output>;
  readonly balance: Balance;
  /** Every deposit credited, counted by the world itself (not by the ledger). */
  readonly deposited: bigint;
}

export interface ScenarioStep {
  readonly operation: ScenarioOperation;
  readonly before: ScenarioState;
  readonly after: ScenarioState;
  /** What the domain answered, or null when the operation had nothing to act on. */
  readonly result: Result<Change, DomainError> | null;
  /** Movements of an accepted change that the ledger refused (there should be none). */
  readonly refusedMovements: readonly DomainError[];
}

const OUTPUT_ACTIONS: readonly OutputAction[] = [
  'pass_checks',
  'fail_checks',
  'issue',
  'provider_cancel',
  'settle',
  'fail',
  'retry',
  'give_up',
];

const CANCEL_TRIGGERS: readonly CancelTrigger[] = [
  'cancel',
  'expire_quote',
  'funds_deadline',
  'no_payable_outputs',
];

const REASONS: Partial<Record<OutputAction, string>> = {
  fail_checks: 'compliance_rejected',
  fail: 'bank_refused',
  provider_cancel: 'provider_cancelled',
};

/** Actions an operator may take on an output in its state, per the lifecycle table. */
export const legalActions = (output: Output): OutputAction[] => {
  const moves = OUTPUT_TRANSITIONS[output.state] as Partial<Record<OutputTrigger, unknown>>;
  return OUTPUT_ACTIONS.filter((action) => moves[action] !== undefined);
};

export const arbScenarioConfig = (): Arbitrary<ScenarioConfig> =>
  fc
    .record({
      origin: arbPort({ active: true }),
      destinations: fc.uniqueArray(fc.record({ port: arbPort({ active: true }), quote: arbPriceQuote() }), {
        minLength: 1,
        maxLength: 3,
        selector: (d) => d.port.code,
      }),
      windows: fc.oneof(
        fc.constant(DEFAULT_QUOTE_WINDOWS),
        fc.record({
          acceptQuoteMs: fc.integer({ min: 1, max: 3_600_000 }),
          provisionFundsMs: fc.integer({ min: 1, max: 86_400_000 }),
        }),
      ),
      start: fc.integer({ min: 0, max: 2_000_000_000_000 }),
    })
    .map((r) => ({ payerId: 'payer', ...r }));

const position = fc.nat({ max: 1_000 });
const smallMinor = fc.bigInt({ min: 1n, max: 5_000_000n });

/** One operation; `progress` and legal steps dominate so requests get far in their lifecycle. */
export const arbScenarioOperation = (): Arbitrary<ScenarioOperation> =>
  fc.oneof(
    { arbitrary: fc.constant({ kind: 'draft' as const }), weight: 1 },
    {
      arbitrary: fc.record({
        kind: fc.constant('add_output' as const),
        request: position,
        destination: position,
        target: fc.constantFrom('amount' as const, 'budget' as const),
        minor: smallMinor,
      }),
      weight: 1,
    },
    { arbitrary: fc.record({ kind: fc.constant('request_quote' as const), request: position }), weight: 1 },
    { arbitrary: fc.record({ kind: fc.constant('produce_quote' as const), request: position }), weight: 1 },
    { arbitrary: fc.record({ kind: fc.constant('accept_quote' as const), request: position }), weight: 1 },
    { arbitrary: fc.record({ kind: fc.constant('deposit' as const), minor: smallMinor }), weight: 1 },
    { arbitrary: fc.record({ kind: fc.constant('start_working' as const), request: position }), weight: 1 },
    {
      arbitrary: fc.record({
        kind: fc.constant('cancel' as const),
        request: position,
        trigger: fc.constantFrom(...CANCEL_TRIGGERS),
      }),
      weight: 1,
    },
    {
      arbitrary: fc.record({ kind: fc.constant('step' as const), output: position, choice: position }),
      weight: 6,
    },
    {
      arbitrary: fc.record({
        kind: fc.constant('raw_step' as const),
        output: position,
        action: fc.constantFrom(...OUTPUT_ACTIONS),
        reason: fc.option(fc.constantFrom('instruction_mismatch', 'bank_refused')),
      }),
      weight: 2,
    },
    {
      arbitrary: fc.record({
        kind: fc.constant('advance' as const),
        ms: fc.oneof(fc.integer({ min: 0, max: 120_000 }), fc.constantFrom(600_000, 3_600_000, 43_200_000)),
      }),
      weight: 1,
    },
    { arbitrary: fc.record({ kind: fc.constant('due' as const), request: position }), weight: 1 },
    {
      arbitrary: fc.record({
        kind: fc.constant('progress' as const),
        request: position,
        choice: position,
        minor: smallMinor,
      }),
      weight: 14,
    },
  );

export const arbScenarioOperations = (maxLength = 60): Arbitrary<ScenarioOperation[]> =>
  fc.array(arbScenarioOperation(), { minLength: 1, maxLength, size: 'max' });

/** A configuration and a sequence of operations to run on it. */
export const arbScenario = (maxLength = 60) =>
  fc.record({ config: arbScenarioConfig(), operations: arbScenarioOperations(maxLength) });

export const initialState = (config: ScenarioConfig): ScenarioState =>
  deepFreeze({
    now: config.start,
    requests: [],
    outputs: new Map(),
    balance: emptyBalance(config.payerId, config.origin.currency),
    deposited: 0n,
  });

/** The destination of an output (by its port code). */
export const destinationOf = (config: ScenarioConfig, output: Output): ScenarioDestination => {
  const found = config.destinations.find((d) => d.port.code === output.portCode);
  if (!found)
    throw new Error(`output ${output.id} goes to ${output.portCode}, not a destination of the scenario`);
  return found;
};

/** The price the scenario's pricing source gives an output. */
export const scenarioPrice = (config: ScenarioConfig, output: Output) => {
  const destination = destinationOf(config, output);
  return priceOutput(output.target, destination.quote, config.origin.currency, destination.port.currency);
};

export const outputsOf = (state: ScenarioState, requestId: string): Output[] =>
  [...state.outputs.values()].filter((o) => o.requestId === requestId);

const pick = <T>(items: readonly T[], index: number): T | undefined =>
  items.length === 0 ? undefined : items[index % items.length];

interface Outcome {
  readonly result: Result<Change, DomainError> | null;
  readonly state: ScenarioState;
}

/** Applies an accepted change to the world: request, outputs, money. */
const applyChange = (state: ScenarioState, change: Change, refused: DomainError[]): ScenarioState => {
  const requests = state.requests.map((r) => (r.id === change.request.id ? change.request : r));
  if (!requests.some((r) => r.id === change.request.id)) requests.push(change.request);
  const outputs = new Map(state.outputs);
  for (const output of change.outputs) outputs.set(output.id, output);
  let balance = state.balance;
  for (const movement of change.movements) {
    const applied = applyMovement(balance, movement);
    if (applied.isOk()) balance = applied.value;
    else refused.push(applied.error);
  }
  return deepFreeze({ ...state, requests, outputs, balance });
};

const deposit = (config: ScenarioConfig, state: ScenarioState, minor: bigint, refused: DomainError[]) => {
  const movement: MoneyMovement = {
    kind: 'deposit',
    payerId: config.payerId,
    amount: money(minor, config.origin.currency),
  };
  const applied = applyMovement(state.balance, movement);
  if (applied.isErr()) {
    refused.push(applied.error);
    return state;
  }
  return deepFreeze({ ...state, balance: applied.value, deposited: state.deposited + minor });
};

const available = (state: ScenarioState) =>
  money(state.balance.available, { code: state.balance.currency, exponent: state.balance.scale });

const addTo = (
  config: ScenarioConfig,
  state: ScenarioState,
  request: Request,
  destinationIndex: number,
  kind: 'amount' | 'budget',
  minor: bigint,
) => {
  const destination = pick(config.destinations, destinationIndex)!;
  const target: OutputTarget =
    kind === 'amount'
      ? { kind, amount: money(minor, destination.port.currency) }
      : { kind, budget: money(minor, config.origin.currency) };
  return addOutput(request, {
    id: `o${state.outputs.size + 1}`,
    requestId: request.id,
    payeeId: `payee${destinationIndex % 3}`,
    withdrawalInstructionId: `wi${destinationIndex % 3}`,
    portCode: destination.port.code,
    target,
    now: state.now,
  });
};

const etaFor = (config: ScenarioConfig, state: ScenarioState, request: Request) =>
  state.now +
  Math.max(0, ...outputsOf(state, request.id).map((o) => destinationOf(config, o).port.quoteDelayMs));

const step = (
  config: ScenarioConfig,
  state: ScenarioState,
  request: Request,
  output: Output,
  action: OutputAction,
  reason: string | null,
) =>
  stepOutput(request, output, action, state.now, {
    ...(reason === null ? {} : { reason }),
    ...(action === 'give_up' ? { returnCost: destinationOf(config, output).port.returnCost } : {}),
  });

const requestOf = (state: ScenarioState, output: Output): Request => {
  const request = state.requests.find((r) => r.id === output.requestId);
  if (!request) throw new Error(`output ${output.id} has no request`);
  return request;
};

const stepLegally = (
  config: ScenarioConfig,
  state: ScenarioState,
  output: Output,
  choice: number,
): Result<Change, DomainError> | null => {
  const action = pick(legalActions(output), choice);
  if (!action) return null;
  return step(config, state, requestOf(state, output), output, action, REASONS[action] ?? null);
};

/** The natural next step of a request: what an integrator, the provider or the clock does next. */
const progress = (
  config: ScenarioConfig,
  state: ScenarioState,
  request: Request,
  choice: number,
  minor: bigint,
  refused: DomainError[],
): Outcome => {
  const outputs = outputsOf(state, request.id);
  const now = state.now;
  const same = (result: Result<Change, DomainError> | null): Outcome => ({ result, state });
  switch (request.state) {
    case 'draft': {
      const pending = outputs.filter((o) => o.state === 'accepting');
      if (outputs.length === 0 || choice % 4 === 0)
        return same(addTo(config, state, request, choice, choice % 3 === 0 ? 'budget' : 'amount', minor));
      if (pending.length > 0 && choice % 4 === 1)
        return same(stepLegally(config, state, pick(pending, choice)!, choice >> 2));
      return same(requestQuote(request, now, etaFor(config, state, request), config.windows));
    }
    case 'quote_requested':
      if (choice % 5 === 0) {
        const open = outputs.filter((o) => o.state === 'accepting');
        if (open.length > 0) return same(stepLegally(config, state, pick(open, choice)!, choice >> 3));
      }
      return same(produceQuote(request, outputs, (o) => scenarioPrice(config, o), now, config.windows));
    case 'quoted':
      if (request.acceptQuoteBefore !== null && now >= request.acceptQuoteBefore)
        return same(cancelRequest(request, outputs, 'expire_quote', now));
      return same(acceptQuote(request, now));
    case 'quote_accepted': {
      const total = request.totalToSpend?.amount ?? 0n;
      const shortfall = total - state.balance.available;
      const funded = shortfall > 0n ? deposit(config, state, shortfall, refused) : state;
      return { result: startWorking(request, outputs, available(funded), now), state: funded };
    }
    case 'working': {
      const open = outputs.filter((o) => !isFinalOutputState(o.state));
      const output = pick(open, choice);
      return same(output ? stepLegally(config, state, output, choice >> 4) : null);
    }
    case 'finished':
    case 'cancelled':
      return same(null);
  }
};

const perform = (
  config: ScenarioConfig,
  state: ScenarioState,
  operation: ScenarioOperation,
  refused: DomainError[],
): Outcome => {
  const now = state.now;
  const same = (result: Result<Change, DomainError> | null): Outcome => ({ result, state });
  const requestAt = (index: number) => pick(state.requests, index);
  const all = [...state.outputs.values()];
  switch (operation.kind) {
    case 'draft': {
      const change = draftRequest({
        id: `r${state.requests.length + 1}`,
        ownerId: 'master',
        payerId: config.payerId,
        portCode: config.origin.code,
        now,
      });
      return same(ok(change));
    }
    case 'add_output': {
      const request = requestAt(operation.request);
      return same(
        request
          ? addTo(config, state, request, operation.destination, operation.target, operation.minor)
          : null,
      );
    }
    case 'request_quote': {
      const request = requestAt(operation.request);
      return same(
        request ? requestQuote(request, now, etaFor(config, state, request), config.windows) : null,
      );
    }
    case 'produce_quote': {
      const request = requestAt(operation.request);
      return same(
        request
          ? produceQuote(
              request,
              outputsOf(state, request.id),
              (o) => scenarioPrice(config, o),
              now,
              config.windows,
            )
          : null,
      );
    }
    case 'accept_quote': {
      const request = requestAt(operation.request);
      return same(request ? acceptQuote(request, now) : null);
    }
    case 'deposit':
      return { result: null, state: deposit(config, state, operation.minor, refused) };
    case 'start_working': {
      const request = requestAt(operation.request);
      return same(
        request ? startWorking(request, outputsOf(state, request.id), available(state), now) : null,
      );
    }
    case 'cancel': {
      const request = requestAt(operation.request);
      return same(
        request ? cancelRequest(request, outputsOf(state, request.id), operation.trigger, now) : null,
      );
    }
    case 'step': {
      const open = all.filter((o) => !isFinalOutputState(o.state));
      const output = pick(open, operation.output);
      return same(output ? stepLegally(config, state, output, operation.choice) : null);
    }
    case 'raw_step': {
      const output = pick(all, operation.output);
      return same(
        output
          ? step(config, state, requestOf(state, output), output, operation.action, operation.reason)
          : null,
      );
    }
    case 'advance':
      return { result: null, state: deepFreeze({ ...state, now: now + operation.ms }) };
    case 'due': {
      const request = requestAt(operation.request);
      if (!request) return same(null);
      const due = dueTimeTrigger(request, now);
      const outputs = outputsOf(state, request.id);
      if (due === null) return same(null);
      if (due === 'produce_quote')
        return same(produceQuote(request, outputs, (o) => scenarioPrice(config, o), now, config.windows));
      return same(cancelRequest(request, outputs, due, now));
    }
    case 'progress': {
      const open = state.requests.filter((r) => !isFinalRequestState(r.state));
      const request = pick(open.length > 0 ? open : state.requests, operation.request);
      if (!request) {
        return perform(config, state, { kind: 'draft' }, refused);
      }
      return progress(config, state, request, operation.choice, operation.minor, refused);
    }
  }
};

/** Runs one operation: the domain's answer and the world before and after. */
export const runOperation = (
  config: ScenarioConfig,
  before: ScenarioState,
  operation: ScenarioOperation,
): ScenarioStep => {
  const refused: DomainError[] = [];
  const outcome = perform(config, before, operation, refused);
  const result = outcome.result;
  const after = result?.isOk() ? applyChange(outcome.state, result.value, refused) : outcome.state;
  return { operation, before, after, result, refusedMovements: refused };
};

/** Runs a whole sequence, returning every step (the last `after` is the final world). */
export const runScenario = (
  config: ScenarioConfig,
  operations: readonly ScenarioOperation[],
): ScenarioStep[] => {
  const steps: ScenarioStep[] = [];
  let state = initialState(config);
  for (const operation of operations) {
    const done = runOperation(config, state, operation);
    steps.push(done);
    state = done.after;
  }
  return steps;
};

/** The world after a sequence. */
export const finalState = (config: ScenarioConfig, steps: readonly ScenarioStep[]): ScenarioState =>
  steps.at(-1)?.after ?? initialState(config);

/**
 * A request and its outputs, reached by driving the aggregate with random operations: a
 * consistent request in any state of its lifecycle (all states come up), with its world.
 */
export const arbRequestWithOutputs = (maxOperations = 40) =>
  fc.record({ scenario: arbScenario(maxOperations), which: position }).map(({ scenario, which }) => {
    const steps = runScenario(scenario.config, [{ kind: 'draft' }, ...scenario.operations]);
    const world = finalState(scenario.config, steps);
    const request = pick(world.requests, which)!;
    return { config: scenario.config, world, request, outputs: outputsOf(world, request.id) };
  });
