import {
  addOutput,
  instructionFitsPort,
  type Money,
  type Output,
  type OutputAction,
  type Request,
  stepOutput,
} from '@concierge-ts/domain';
import { err, ok } from 'neverthrow';
import type { CreateOutputInput, ListOutputsQuery } from '../gateway/client.js';
import { conciergeError } from '../gateway/errors.js';
import { field } from '../gateway/field.js';
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

/**
 * The fields an output's creation may be refused at, made once (this runs once per
 * output) and frozen, as every refusal shares them.
 */
const AT = {
  request: Object.freeze(field.relationship('request')),
  portCode: Object.freeze({ attribute: Object.freeze(['port_code']) }),
  user: Object.freeze(field.relationship('user')),
  instruction: Object.freeze(field.relationship('withdrawal_instruction')),
} as const;
/** An output's amount and budget are top-level attributes. */
const TOP_LEVEL: readonly string[] = Object.freeze([]);

/**
 * Adds an output to a draft request, accepting; its checks are planned `checksAfterMs` later.
 *
 * Early returns rather than `safeTry`, unlike the other commands: this runs once per
 * output (a million in a large request), and each `yield*` of a Result makes and runs a
 * generator. Written with `safeTry`, the million-output lifecycle of `bench/` took 12%
 * more CPU time (medians of five runs); written this way, as much as before.
 */
export const createOutput = (
  p: ProviderContext,
  caller: UserRecord,
  input: CreateOutputInput,
): ServiceResult<OutputView> => {
  const request = ownRequest(p, caller, input.requestId, AT.request);
  if (request.isErr()) return err(request.error);
  const origin = activePort(p, request.value.portCode, AT.request);
  if (origin.isErr()) return err(origin.error);
  const destination = activePort(p, input.portCode, AT.portCode);
  if (destination.isErr()) return err(destination.error);
  const target = p.targets.parse(input, origin.value, destination.value, TOP_LEVEL);
  if (target.isErr()) return err(target.error);
  const payee = managedUser(p, caller, input.payeeId, AT.user);
  if (payee.isErr()) return err(payee.error);
  const instruction = ownInstruction(p, caller, input.withdrawalInstructionId, AT.instruction);
  if (instruction.isErr()) return err(instruction.error);
  // Its country, currency and the fields the port requires are known now (SPEC section
  // 7.1): an instruction that cannot pay to this port is refused at once, not rejected later.
  const fits = instructionFitsPort(instruction.value, destination.value, destination.value.instructionFields);
  if (fits.isErr()) return err(fromFieldError(fits.error, AT.instruction));
  const now = p.time.now();
  const id = p.ids.next('output');
  const change = applyDomain(
    p,
    addOutput(request.value, {
      id,
      requestId: request.value.id,
      payeeId: payee.value.id,
      withdrawalInstructionId: instruction.value.id,
      portCode: destination.value.code,
      target: target.value,
      now,
    }),
  );
  if (change.isErr()) return err(change.error);
  // Created accepting; the checks run later (SPEC sections 2 and 9).
  p.scheduler.schedule(now + p.timings.checksAfterMs, {
    kind: 'run_checks',
    requestId: request.value.id,
    outputIds: [id],
  });
  return ok(presentOutput(change.value.outputs[0] as Output, request.value.portCode));
};

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
