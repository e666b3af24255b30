import { err, ok, safeTry } from 'neverthrow';
import type { CreateWithdrawalInstructionInput, ListWithdrawalInstructionsQuery } from '../gateway/client.js';
import { conciergeError } from '../gateway/errors.js';
import { pageOf } from '../gateway/page.js';
import type { Page, WithdrawalInstructionView } from '../gateway/views.js';
import type { ProviderContext, ServiceResult } from './context.js';
import { MAX_TEXT, unprocessable } from './input.js';
import type { UserRecord, WithdrawalInstructionRecord } from './ports.js';
import { presentInstruction } from './present.js';
import { managedUser } from './users.js';

/** The withdrawal instructions resource (SPEC section 1): how to reach a payee's account. */

export const createWithdrawalInstruction = (
  p: ProviderContext,
  caller: UserRecord,
  input: CreateWithdrawalInstructionInput,
): ServiceResult<WithdrawalInstructionView> =>
  safeTry(function* () {
    const user = yield* managedUser(p, caller, input.userId, '/data/relationships/user');
    const label = yield* labelOf(input.label);
    const body = yield* bodyOf(input.body);
    const record: WithdrawalInstructionRecord = {
      id: p.ids.next('instruction'),
      userId: user.id,
      masterId: caller.id,
      label,
      body,
      createdAt: p.time.now(),
    };
    p.repos.withdrawalInstructions.save(record);
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

/** An instruction of one of the caller's users (404 otherwise, or 422 at `pointer` when it is a reference). */
export const ownInstruction = (
  p: ProviderContext,
  caller: UserRecord,
  id: unknown,
  pointer?: string,
): ServiceResult<WithdrawalInstructionRecord> => {
  const instruction = typeof id === 'string' ? p.repos.withdrawalInstructions.get(id) : undefined;
  if (instruction && instruction.masterId === caller.id) return ok(instruction);
  return err(
    pointer
      ? conciergeError.unprocessable(
          'unknown_withdrawal_instruction',
          `withdrawal instruction ${String(id)} does not exist or is not yours`,
          pointer,
        )
      : conciergeError.notFound('withdrawal_instruction', String(id)),
  );
};

const labelOf = (label: unknown): ServiceResult<string> =>
  typeof label !== 'string' || label.trim() === '' || label.length > 100
    ? unprocessable(
        'invalid_attribute',
        'label must be text of 1 to 100 characters',
        '/data/attributes/label',
      )
    : ok(label);

const REQUIRED_BODY_FIELDS: readonly [string, RegExp, string][] = [
  ['payment_method', /^.{1,64}$/, 'a payment method such as "bank_transfer"'],
  ['country', /^[A-Za-z]{2}$/, 'an ISO 3166-1 alpha-2 country such as "CL"'],
  ['currency', /^[A-Za-z]{3}$/, 'an ISO 4217 currency such as "CLP"'],
];

/** An object of at most 50 text fields, with a payment method, a country and a currency; copied. */
const bodyOf = (body: unknown): ServiceResult<Readonly<Record<string, string>>> => {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    return unprocessable(
      'invalid_attribute',
      'body must be an object of text fields',
      '/data/attributes/body',
    );
  const entries = Object.entries(body);
  if (entries.length > 50)
    return unprocessable(
      'invalid_attribute',
      'body has too many fields (50 at most)',
      '/data/attributes/body',
    );
  for (const [key, value] of entries)
    if (typeof value !== 'string' || value.length > MAX_TEXT)
      return unprocessable(
        'invalid_attribute',
        `expected text of at most ${MAX_TEXT} characters`,
        `/data/attributes/body/${key}`,
      );
  const fields = body as Readonly<Record<string, string>>;
  for (const [key, pattern, expected] of REQUIRED_BODY_FIELDS)
    if (typeof fields[key] !== 'string' || !pattern.test(fields[key] as string))
      return unprocessable(
        'invalid_attribute',
        `body.${key} must be ${expected}`,
        `/data/attributes/body/${key}`,
      );
  return ok({ ...fields });
};
