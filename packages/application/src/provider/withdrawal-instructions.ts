import {
  createWithdrawalInstruction as checkInstruction,
  type FieldError,
  instructionEvent,
  isFinalOutputState,
  isFinalRequestState,
} from '@concierge-ts/domain';
import { err, ok, safeTry } from 'neverthrow';
import type { CreateWithdrawalInstructionInput, ListWithdrawalInstructionsQuery } from '../gateway/client.js';
import { type ConciergeError, conciergeError } from '../gateway/errors.js';
import { type Field, field } from '../gateway/field.js';
import { pageOf } from '../gateway/page.js';
import type { Page, WithdrawalInstructionView } from '../gateway/views.js';
import type { ProviderContext, ServiceResult } from './context.js';
import type { UserRecord, WithdrawalInstructionRecord } from './ports.js';
import { presentInstruction } from './present.js';
import { managedUser } from './users.js';

/**
 * The withdrawal instructions resource (SPEC sections 1, 5 and 7.1): how to reach a
 * user's bank account, with the published body of its payment method, every account
 * identifier checked by its country's rule (the domain's `createWithdrawalInstruction`).
 */

/**
 * What the service takes to create an instruction: a client's input, or what the HTTP
 * API received, whose attributes may be of any JSON type (the domain judges each one, so
 * both answer the same refusal at the same field).
 */
export interface WithdrawalInstructionDraft {
  readonly userId?: string | undefined;
  readonly label?: unknown;
  readonly body?: unknown;
}

/**
 * A refusal of the domain's, as the API answers it: 422 at the field
 * (the attribute `['body', 'cbu']`) with the check that failed as its code; an instruction
 * that does not fit a port at `mismatchAt` (the output's relationship to it).
 */
export const fromFieldError = (error: FieldError, mismatchAt: Field): ConciergeError => {
  switch (error.type) {
    case 'InvalidField':
      return conciergeError.unprocessable(error.reason, error.message, field.attribute(...error.field));
    case 'InstructionMismatch':
      return conciergeError.unprocessable(error.code, error.message, mismatchAt);
    default:
      return error satisfies never;
  }
};

/**
 * Creates an instruction for one of the caller's users, or the caller itself when no user
 * is named (the published client creates them so). Publishes `withdrawal_instruction_created`.
 */
export const createWithdrawalInstruction = (
  p: ProviderContext,
  caller: UserRecord,
  input: CreateWithdrawalInstructionInput | WithdrawalInstructionDraft,
): ServiceResult<WithdrawalInstructionView> =>
  safeTry(function* () {
    const user =
      input.userId === undefined
        ? caller
        : yield* managedUser(p, caller, input.userId, field.relationship('user'));
    if (input.body === undefined || input.body === null)
      return err(
        conciergeError.unprocessable(
          'missing_field',
          'body: it is required, an object with payment_method, country, currency and the fields of that method',
          field.attribute('body'),
        ),
      );
    const checked = yield* checkInstruction({
      id: '',
      userId: user.id,
      label: input.label as string | null | undefined,
      body: input.body,
    }).mapErr((e) => fromFieldError(e, field.relationship('withdrawal_instruction')));
    const now = p.time.now();
    const record: WithdrawalInstructionRecord = {
      ...checked,
      // The id is given once the input is known good: a refused one uses none.
      id: p.ids.next('instruction'),
      masterId: caller.id,
      createdAt: now,
    };
    p.repos.withdrawalInstructions.save(record);
    p.events.publish([
      { event: instructionEvent('created', record.id, now), ownerId: caller.id, instruction: record },
    ]);
    return ok(presentInstruction(record));
  });

export const getWithdrawalInstruction = (
  p: ProviderContext,
  caller: UserRecord,
  id: string,
): ServiceResult<WithdrawalInstructionView> => ownInstruction(p, caller, id).map(presentInstruction);

export const listWithdrawalInstructions = (
  p: ProviderContext,
  caller: UserRecord,
  query: ListWithdrawalInstructionsQuery = {},
): ServiceResult<Page<WithdrawalInstructionView>> => {
  const all = p.repos.withdrawalInstructions.listByMaster(caller.id);
  const filtered = query.userId === undefined ? all : all.filter((i) => i.userId === query.userId);
  return pageOf(filtered, query.page, presentInstruction);
};

/**
 * Deletes an instruction of the caller's and publishes `withdrawal_instruction_destroyed`.
 * An instruction that an output still on its way pays to (any state but a final one:
 * accepting in a draft, working, failed and waiting for a retry...) is refused with 409
 * `instruction_in_use`, naming the output: deleting it would leave a payment with no
 * account to go to. Outputs already final keep its id.
 */
export const deleteWithdrawalInstruction = (
  p: ProviderContext,
  caller: UserRecord,
  id: string,
): ServiceResult<void> =>
  ownInstruction(p, caller, id).andThen((instruction) => {
    const live = liveOutputPayingTo(p, caller, instruction.id);
    if (live !== undefined)
      return err(
        conciergeError.conflict(
          'instruction_in_use',
          `withdrawal instruction ${instruction.id} pays output ${live.outputId} (${live.state}), which is not final: it can be deleted once that output is settled, returned, rejected or cancelled`,
        ),
      );
    p.repos.withdrawalInstructions.delete(instruction.id);
    // The event keeps the instruction as it was: it is gone from the API now.
    p.events.publish([
      { event: instructionEvent('destroyed', instruction.id, p.time.now()), ownerId: caller.id, instruction },
    ]);
    return ok(undefined);
  });

/**
 * The first output not in a final state that pays to an instruction, among the caller's
 * requests that are not final (a final request has final outputs only). Read on delete
 * only: no index of outputs by instruction is kept for a call this rare.
 */
const liveOutputPayingTo = (
  p: ProviderContext,
  caller: UserRecord,
  instructionId: string,
): { readonly outputId: string; readonly state: string } | undefined => {
  for (const request of p.repos.requests.listByOwner(caller.id)) {
    if (isFinalRequestState(request.state)) continue;
    for (const output of p.repos.outputs.listByRequest(request.id))
      if (output.withdrawalInstructionId === instructionId && !isFinalOutputState(output.state))
        return { outputId: output.id, state: output.state };
  }
  return undefined;
};

/** An instruction of one of the caller's users, or its own (404 otherwise, or 422 at `at` when it is a reference). */
export const ownInstruction = (
  p: ProviderContext,
  caller: UserRecord,
  id: unknown,
  at?: Field,
): ServiceResult<WithdrawalInstructionRecord> => {
  const instruction = typeof id === 'string' ? p.repos.withdrawalInstructions.get(id) : undefined;
  if (instruction && instruction.masterId === caller.id) return ok(instruction);
  return err(
    at
      ? conciergeError.unprocessable(
          'unknown_withdrawal_instruction',
          `withdrawal instruction ${String(id)} does not exist or is not yours`,
          at,
        )
      : conciergeError.notFound('withdrawal_instruction', String(id)),
  );
};
