import { recount } from '../counters.js';
import type { DomainEvent } from '../events.js';
import { OUTPUT_STATES, type Output, type OutputState } from '../output.js';
import { REQUEST_STATES, type RequestState } from '../request.js';
import type { ScenarioConfig, ScenarioState, ScenarioStep } from './scenario.js';
import { destinationOf, outputsOf } from './scenario.js';
import {
  SPEC_FINAL_OUTPUT_STATES,
  SPEC_FINAL_REQUEST_STATES,
  SPEC_OUTPUT_MOVES,
  SPEC_REQUEST_MOVES,
  specStep,
} from './spec.js';

// SPEC's final states and moves (testing/spec.ts), never the domain's own sets and tables.
const isFinalOutputState = (state: OutputState): boolean => SPEC_FINAL_OUTPUT_STATES.includes(state);
const isFinalRequestState = (state: RequestState): boolean => SPEC_FINAL_REQUEST_STATES.includes(state);

/**
 * Invariants of SPEC sections 3, 4 and 8, checked from scratch on a scenario's world. Each
 * returns the list of violations, empty when the invariant holds, so a failing property says
 * what broke.
 */

const ceilDiv = (numerator: bigint, denominator: bigint): bigint =>
  (numerator + denominator - 1n) / denominator;

/** Counters equal a recount of the outputs and add up to outputs_total. */
export const counterViolations = (state: ScenarioState): string[] => {
  const violations: string[] = [];
  for (const request of state.requests) {
    const outputs = outputsOf(state, request.id);
    const counted = recount(outputs.map((o) => o.state));
    const c = request.counters;
    for (const key of [...OUTPUT_STATES, 'total'] as const) {
      if (c[key] !== counted[key])
        violations.push(
          `request ${request.id}: outputs_${key} is ${c[key]}, a recount gives ${counted[key]}`,
        );
    }
    const sum = OUTPUT_STATES.reduce((n, s) => n + c[s], 0);
    if (sum !== c.total)
      violations.push(`request ${request.id}: counters add up to ${sum}, outputs_total is ${c.total}`);
    if (c.total !== outputs.length)
      violations.push(`request ${request.id}: outputs_total is ${c.total} for ${outputs.length} outputs`);
  }
  return violations;
};

/** What money should be where, recounted from the outputs (never from the ledger). */
export interface MoneyRecount {
  /** Budgets of priced, non-final outputs of working requests. */
  readonly inFlight: bigint;
  /** Budgets of settled outputs. */
  readonly spent: bigint;
  /** Return costs of returned outputs, in the origin currency, capped at their budgets. */
  readonly returnCosts: bigint;
}

/** The return cost of a returned output in the origin currency: ⌈cost ÷ rate⌉, at most its budget. */
export const expectedReturnCost = (config: ScenarioConfig, output: Output): bigint => {
  const price = output.price;
  if (!price) return 0n;
  const cost = destinationOf(config, output).port.returnCost;
  // cost/10^d ÷ rate/10^8, in origin minor units (10^o).
  const inOrigin = ceilDiv(
    cost.amount * 10n ** 8n * 10n ** BigInt(price.budget.scale),
    price.rate.units * 10n ** BigInt(cost.scale),
  );
  // biome-ignore lint/complexity/useMathMinMax: bigints, which Math.min does not take
  return inOrigin < price.budget.amount ? inOrigin : price.budget.amount;
};

export const recountMoney = (config: ScenarioConfig, state: ScenarioState): MoneyRecount => {
  let inFlight = 0n;
  let spent = 0n;
  let returnCosts = 0n;
  const stateOf = new Map(state.requests.map((r) => [r.id, r.state]));
  for (const output of state.outputs.values()) {
    const budget = output.price?.budget.amount ?? 0n;
    if (stateOf.get(output.requestId) === 'working' && output.price && !isFinalOutputState(output.state))
      inFlight += budget;
    if (output.state === 'settled') spent += budget;
    if (output.state === 'returned') returnCosts += expectedReturnCost(config, output);
  }
  return { inFlight, spent, returnCosts };
};

/**
 * Money is conserved (SPEC section 4): deposited = available + in flight + spent + return
 * costs, with in flight, spent and return costs recounted from the outputs, deposits counted by
 * the world; and the ledger agrees with the recount.
 */
export const conservationViolations = (config: ScenarioConfig, state: ScenarioState): string[] => {
  const violations: string[] = [];
  const b = state.balance;
  const r = recountMoney(config, state);
  const accounted = b.available + r.inFlight + r.spent + r.returnCosts;
  if (state.deposited !== accounted)
    violations.push(
      `deposited ${state.deposited} ≠ available ${b.available} + in flight ${r.inFlight} + spent ${r.spent} + return costs ${r.returnCosts} = ${accounted}`,
    );
  if (b.deposited !== state.deposited)
    violations.push(`ledger deposited ${b.deposited} ≠ ${state.deposited}`);
  if (b.inFlight !== r.inFlight) violations.push(`ledger in flight ${b.inFlight} ≠ recount ${r.inFlight}`);
  if (b.spent !== r.spent) violations.push(`ledger spent ${b.spent} ≠ recount ${r.spent}`);
  if (b.returnCosts !== r.returnCosts)
    violations.push(`ledger return costs ${b.returnCosts} ≠ recount ${r.returnCosts}`);
  if (b.available < 0n) violations.push(`available ${b.available} is negative`);
  if (b.deposited !== b.available + b.inFlight + b.spent + b.returnCosts)
    violations.push('the ledger does not add up: deposited ≠ available + in flight + spent + return costs');
  return violations;
};

const requestStep = (from: RequestState, to: RequestState): boolean => specStep(SPEC_REQUEST_MOVES, from, to);
const outputStep = (from: OutputState, to: OutputState): boolean => specStep(SPEC_OUTPUT_MOVES, from, to);

const REQUEST_PREFIX = 'concierge_request_';
const OUTPUT_PREFIX = 'concierge_request_output_';

/** SPEC section 8's names of the documents' events. */
const RECEIPT_CREATED = 'concierge_request_receipt_created';
const CREDIT_NOTE_CREATED = 'concierge_request_credit_note_created';
const DOCUMENT_TYPES: ReadonlySet<string> = new Set([RECEIPT_CREATED, CREDIT_NOTE_CREATED]);

/**
 * Events of one step (SPEC section 8): every state change of the request and of each output
 * emits exactly one event named after the new state, in an order that follows the lifecycle
 * tables from the old state to the new one; nothing that kept its state emits one; every
 * event is stamped with the time of the step and carries its resource in the state it
 * announces. The receipt is issued with the debit, the credit note with the first money
 * given back after it (SPEC section 7), each once.
 */
export const eventViolations = (step: ScenarioStep): string[] => {
  const result = step.result;
  if (!result || result.isErr()) return [];
  const change = result.value;
  const violations: string[] = [];
  const events: readonly DomainEvent[] = change.events;
  for (const event of events)
    if (event.at !== step.before.now)
      violations.push(`event ${event.eventType} at ${event.at}, not ${step.before.now}`);

  // The request.
  const previous = step.before.requests.find((r) => r.id === change.request.id);
  const requestEvents = events.filter((e) => e.resource === 'request' && !DOCUMENT_TYPES.has(e.eventType));
  if (requestEvents.some((e) => e.resourceId !== change.request.id))
    violations.push('an event names another request');
  let requestState: RequestState | undefined = previous?.state;
  for (const event of requestEvents) {
    const state = event.eventType.slice(REQUEST_PREFIX.length) as RequestState;
    if (!event.eventType.startsWith(REQUEST_PREFIX) || !REQUEST_STATES.includes(state)) {
      violations.push(`bad request event type ${event.eventType}`);
      continue;
    }
    if (
      event.resource === 'request' &&
      (event.request.id !== event.resourceId || event.request.state !== state)
    )
      violations.push(`event ${event.eventType} carries request ${event.request.id} ${event.request.state}`);
    const legal = requestState === undefined ? state === 'draft' : requestStep(requestState, state);
    if (!legal) violations.push(`request event ${event.eventType} after ${requestState ?? 'nothing'}`);
    requestState = state;
  }
  if (requestState !== change.request.state)
    violations.push(`request events end at ${requestState}, the request is ${change.request.state}`);

  // The documents.
  const count = (type: string) => events.filter((e) => e.eventType === type).length;
  const debits = change.movements.filter((m) => m.kind === 'debit').length;
  if (count(RECEIPT_CREATED) !== debits)
    violations.push(`${count(RECEIPT_CREATED)} receipt events for ${debits} debits`);
  const credits = change.movements.some((m) => m.kind === 'refund' || m.kind === 'return');
  const notes = credits && (previous?.creditNoteIssuedAt ?? null) === null ? 1 : 0;
  if (count(CREDIT_NOTE_CREATED) !== notes)
    violations.push(`${count(CREDIT_NOTE_CREATED)} credit note events, ${notes} expected`);
  for (const event of events)
    if (
      event.resource === 'request' &&
      (event.eventType === RECEIPT_CREATED
        ? event.request.receiptIssuedAt !== event.at
        : event.eventType === CREDIT_NOTE_CREATED && event.request.creditNoteIssuedAt !== event.at)
    )
      violations.push(`event ${event.eventType} carries a request that does not say it was issued then`);

  // The outputs.
  const changed = new Map(change.outputs.map((o) => [o.id, o]));
  for (const event of events)
    if (event.resource === 'output') {
      if (!changed.has(event.resourceId))
        violations.push(
          `event ${event.eventType} for output ${event.resourceId}, which the change does not hold`,
        );
      if (
        event.output.id !== event.resourceId ||
        event.eventType !== `${OUTPUT_PREFIX}${event.output.state}` ||
        event.output.updatedAt !== event.at
      )
        violations.push(`event ${event.eventType} carries output ${event.output.id} ${event.output.state}`);
    }
  for (const output of change.outputs) {
    let state: OutputState | undefined = step.before.outputs.get(output.id)?.state;
    for (const event of events) {
      if (event.resource !== 'output' || event.resourceId !== output.id) continue;
      const next = event.eventType.slice(OUTPUT_PREFIX.length) as OutputState;
      if (!event.eventType.startsWith(OUTPUT_PREFIX) || !OUTPUT_STATES.includes(next)) {
        violations.push(`bad output event type ${event.eventType}`);
        continue;
      }
      const legal = state === undefined ? next === 'accepting' : outputStep(state, next);
      if (!legal)
        violations.push(`output ${output.id}: event ${event.eventType} after ${state ?? 'nothing'}`);
      state = next;
    }
    if (state !== output.state)
      violations.push(`output ${output.id}: events end at ${state}, it is ${output.state}`);
    const last = events.findLast((e) => e.resource === 'output' && e.resourceId === output.id);
    if (last?.resource === 'output' && last.output !== output)
      violations.push(`output ${output.id}: its last event does not carry the version the change stores`);
  }
  return violations;
};

/** A working request is finished exactly when all its outputs are final (SPEC sections 2 and 3). */
export const finishViolations = (step: ScenarioStep): string[] => {
  const violations: string[] = [];
  for (const request of step.after.requests) {
    const before = step.before.requests.find((r) => r.id === request.id);
    const allFinal = outputsOf(step.after, request.id).every((o) => isFinalOutputState(o.state));
    if (before?.state === 'working' && (request.state === 'finished') !== allFinal)
      violations.push(
        `request ${request.id} was working and is ${request.state}, while its outputs are ${allFinal ? '' : 'not '}all final`,
      );
    if (request.state === 'finished' && before?.state !== 'finished' && before?.state !== 'working')
      violations.push(`request ${request.id} finished from ${before?.state}`);
    if (request.state === 'finished' && !allFinal)
      violations.push(`request ${request.id} is finished with open outputs`);
    if (request.state === 'working' && allFinal)
      violations.push(`request ${request.id} is working with every output final`);
  }
  return violations;
};

/** Nothing in a final state changes again (SPEC sections 3 and 4). */
export const absorbingViolations = (step: ScenarioStep): string[] => {
  const violations: string[] = [];
  for (const before of step.before.requests) {
    const after = step.after.requests.find((r) => r.id === before.id);
    if (isFinalRequestState(before.state) && after !== before)
      violations.push(`request ${before.id} was ${before.state} and changed to ${after?.state}`);
  }
  for (const [id, before] of step.before.outputs) {
    const after = step.after.outputs.get(id);
    if (isFinalOutputState(before.state) && after !== before)
      violations.push(`output ${id} was ${before.state} and changed to ${after?.state}`);
  }
  return violations;
};

/**
 * Once a request works, no output waits in accepted (SPEC section 4: the accepted outputs start
 * working with the request, and one accepted later starts at once); before, none is working.
 */
export const workingViolations = (state: ScenarioState): string[] => {
  const violations: string[] = [];
  for (const request of state.requests) {
    const outputs = outputsOf(state, request.id);
    const started = request.state === 'working' || request.state === 'finished';
    for (const output of outputs) {
      if (started && output.state === 'accepted')
        violations.push(`output ${output.id} is accepted in a ${request.state} request`);
      if (!started && ['working', 'settling', 'settled', 'failed', 'returned'].includes(output.state))
        violations.push(`output ${output.id} is ${output.state} in a ${request.state} request`);
    }
  }
  return violations;
};
