import {
  addOutput,
  instructionFitsPort,
  type Money,
  type Output,
  type OutputAction,
  type Request,
  stepOutput,
} from '@concierge-ts/domain';
import { type Err, err, ok, safeTry } from 'neverthrow';
import type { CreateOutputInput, ListOutputsQuery } from '../gateway/client.js';
import { type ConciergeError, conciergeError } from '../gateway/errors.js';
import { pageOf } from '../gateway/page.js';
import type { OutputView, Page } from '../gateway/views.js';
import type { ProviderContext, ServiceResult } from './context.js';
import { activePort } from './port-catalog.js';
import type { UserRecord } from './ports.js';
import { presentOutput } from './present.js';
import { ownRequest } from './requests.js';
import { applyDomain } from './unit-of-work.js';
import { managedUser } from './users.js';
import { fromFieldError, ownInstruction } from './withdrawal-instructions.js';

/**
 * The outputs resource (SPEC sections 2 and 4): one payment inside a request. Created
 * `accepting`; the acceptance checks run later (`checks.ts`), and what follows is the
 * timed moves' and the operator's.
 */

/** Adds an output to a draft request, accepting; its checks are planned `checksAfterMs` later. */
export const createOutput = (
  p: ProviderContext,
  caller: UserRecord,
  input: CreateOutputInput,
): ServiceResult<OutputView> => safeTry(() => creatingOutput(p, caller, input));

// A generator function of its own, not a `function*` written inside `safeTry`: this runs
// for every output (a million in a large request), and a generator function made afresh
// on each call costs more than a microsecond on Node 20, several times the rest of it.
function* creatingOutput(
  p: ProviderContext,
  caller: UserRecord,
  input: CreateOutputInput,
): Generator<Err<never, ConciergeError>, ServiceResult<OutputView>> {
  const request = yield* ownRequest(p, caller, input.requestId, '/data/relationships/request');
  const origin = yield* activePort(p, request.portCode, '/data/relationships/request');
  const destination = yield* activePort(p, input.portCode, '/data/attributes/port_code');
  const target = yield* p.targets.parse(input, origin, destination, '/data/attributes');
  const payee = yield* managedUser(p, caller, input.payeeId, '/data/relationships/user');
  const instruction = yield* ownInstruction(
    p,
    caller,
    input.withdrawalInstructionId,
    '/data/relationships/withdrawal_instruction',
  );
  // Its country, currency and the fields the port requires are known now (SPEC section
  // 7.1): an instruction that cannot pay to this port is refused at once, not rejected later.
  yield* instructionFitsPort(instruction, destination, {
    [destination.code]: destination.instructionFields,
  }).mapErr((e) => fromFieldError(e, '/data/relationships/withdrawal_instruction'));
  const now = p.time.now();
  const id = p.ids.next('output');
  const change = yield* applyDomain(
    p,
    addOutput(request, {
      id,
      requestId: request.id,
      payeeId: payee.id,
      withdrawalInstructionId: instruction.id,
      portCode: destination.code,
      target,
      now,
    }),
  );
  // Created accepting; the checks run later (SPEC sections 2 and 9).
  p.scheduler.schedule(now + p.timings.checksAfterMs, {
    kind: 'run_checks',
    requestId: request.id,
    outputIds: [id],
  });
  return ok(presentOutput(change.outputs[0] as Output, request.portCode));
}

export const getOutput = (p: ProviderContext, caller: UserRecord, id: string): ServiceResult<OutputView> =>
  ownOutput(p, caller, id).map(({ output, request }) => presentOutput(output, request.portCode));

export const listOutputs = (
  p: ProviderContext,
  caller: UserRecord,
  query: ListOutputsQuery = {},
): ServiceResult<Page<OutputView>> => {
  const requests =
    query.requestId === undefined
      ? p.repos.requests.listByOwner(caller.id)
      : [p.repos.requests.get(query.requestId)].filter(
          (r): r is Request => r !== undefined && r.ownerId === caller.id,
        );
  const outputs = p.repos.outputs;
  function* all(): Generator<{ output: Output; origin: string }> {
    for (const request of requests) {
      const list =
        query.state === undefined
          ? outputs.listByRequest(request.id)
          : outputs.listByRequestAndState(request.id, query.state);
      for (const output of list) yield { output, origin: request.portCode };
    }
  }
  return pageOf(all(), query.page, ({ output, origin }) => presentOutput(output, origin));
};

/** An output of one of the caller's requests, with its request (404 otherwise). */
export const ownOutput = (
  p: ProviderContext,
  caller: UserRecord,
  id: unknown,
): ServiceResult<{ output: Output; request: Request }> => {
  const output = typeof id === 'string' ? p.repos.outputs.get(id) : undefined;
  const request = output ? p.repos.requests.get(output.requestId) : undefined;
  return output && request && request.ownerId === caller.id
    ? ok({ output, request })
    : err(conciergeError.notFound('concierge_request_output', String(id)));
};

/** Moves one output of `request` by `action` now (a check's verdict, an operator's action) and stores it. */
export const moveOutput = (
  p: ProviderContext,
  request: Request,
  output: Output,
  action: OutputAction,
  reason?: string,
): ServiceResult<void> => {
  const returnCost = returnCostOf(p, output, action);
  return applyDomain(
    p,
    stepOutput(request, output, action, p.time.now(), {
      ...(reason === undefined ? {} : { reason }),
      ...(returnCost === undefined ? {} : { returnCost }),
    }),
  ).map(() => undefined);
};

/** What giving an output up costs (its destination port's return cost); nothing for any other action. */
export const returnCostOf = (p: ProviderContext, output: Output, action: OutputAction): Money | undefined =>
  action === 'give_up' ? p.ports.get(output.portCode)?.returnCost : undefined;
