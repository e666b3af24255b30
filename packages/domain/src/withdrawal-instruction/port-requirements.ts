import { err, ok, type Result } from 'neverthrow';
import type { FieldError, InstructionMismatchError, InstructionMismatchReason } from '../errors.js';
import type { Port } from '../port.js';
import type { InstructionField } from './body.js';
import type { WithdrawalInstruction } from './withdrawal-instruction.js';

/**
 * The fields a withdrawal instruction must carry to be paid at each port, besides a
 * matching `country` and `currency` (SPEC section 7.1: data a catalog serves with its ports,
 * so a client can check a payee before sending anything). A port not listed requires none.
 *
 * - Argentina pays to a CBU (or CVU) and names the holder's CUIT or CUIL, in pesos or dollars.
 * - Mexico pays to a CLABE, which alone identifies bank and account.
 * - Chile pays to a bank account: the holder's RUT, the bank, the account type and number.
 * - Paraguay and Uruguay have no national account identifier: bank, account type and number.
 * - The United States pays by ACH: routing number and account number.
 */
export const PORT_REQUIRED_FIELDS = {
  ar_ars: ['cbu', 'cuit'],
  ar_usd: ['cbu', 'cuit'],
  cl_clp: ['rut', 'bank', 'account_type', 'bank_account_number'],
  mx_mxn: ['clabe'],
  uy_uyu: ['bank', 'account_type', 'bank_account_number'],
  py_pyg: ['bank', 'account_type', 'bank_account_number'],
  py_usd: ['bank', 'account_type', 'bank_account_number'],
  us_usd: ['routing_number', 'bank_account_number'],
} as const satisfies PortRequirements;

/** Required fields per port code: `PORT_REQUIRED_FIELDS`, or a catalog's own table. */
export type PortRequirements = Readonly<Record<string, readonly InstructionField[]>>;

/** The fields a port requires (none for a port the table does not list). */
export const requiredFieldsOf = (
  portCode: string,
  requirements: PortRequirements = PORT_REQUIRED_FIELDS,
): readonly InstructionField[] =>
  (Object.hasOwn(requirements, portCode) ? requirements[portCode] : undefined) ?? [];

const mismatch = (
  port: Pick<Port, 'code'>,
  field: InstructionField | 'country' | 'currency',
  reason: InstructionMismatchReason,
  why: string,
): Result<never, FieldError> => {
  const error: InstructionMismatchError = {
    type: 'InstructionMismatch',
    code: 'instruction_mismatch',
    portCode: port.code,
    field: ['body', field],
    reason,
    message: `the instruction does not fit port ${port.code}: ${why}`,
  };
  return err(error);
};

/**
 * Whether an instruction can be used to pay at a destination port: its `country` and
 * `currency` are the port's, and it has every field the port requires (SPEC section 4,
 * check 2, and section 7.1): `required`, a catalog's port's `instructionFields`, by
 * default this table's. Ownership (the instruction belongs to the payee) is the caller's
 * to check. Gives back the instruction.
 */
export const instructionFitsPort = (
  instruction: WithdrawalInstruction,
  port: Pick<Port, 'code' | 'country' | 'currency'>,
  required: readonly InstructionField[] = requiredFieldsOf(port.code),
): Result<WithdrawalInstruction, FieldError> => {
  const { body } = instruction;
  if (body.country !== port.country)
    return mismatch(
      port,
      'country',
      'country_mismatch',
      `its country is ${body.country}, the port's ${port.country}`,
    );
  if (body.currency !== port.currency.code)
    return mismatch(
      port,
      'currency',
      'currency_mismatch',
      `its currency is ${body.currency}, the port's ${port.currency.code}`,
    );
  const fields: Readonly<Partial<Record<string, string>>> = body;
  const missing = required.find((field) => fields[field] === undefined);
  if (missing !== undefined)
    return mismatch(port, missing, 'missing_field', `${port.code} requires ${missing}, which it lacks`);
  return ok(instruction);
};
