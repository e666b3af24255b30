import { err, ok, type Result } from 'neverthrow';
import { currencyOf } from '../currency.js';
import { type FieldError, type FieldRefusal, invalidField, showValue } from '../errors.js';
import { checkText } from '../text.js';
import {
  BODY_HEAD_FIELDS,
  INSTRUCTION_COUNTRIES,
  INSTRUCTION_FIELD_RULES,
  type InstructionCountry,
  type InstructionField,
  PAYMENT_METHOD_FIELDS,
  PAYMENT_METHODS,
  type PaymentMethod,
  type WithdrawalInstructionBody,
} from './body.js';
import { checkIdentifier } from './identifiers.js';

/** Every withdrawal instruction the service answers with carries `schema: "bitex"` (SPEC section 7.1). */
export const WITHDRAWAL_INSTRUCTION_SCHEMA = 'bitex';

export const INSTRUCTION_LABEL_MAX_LENGTH = 100;

/** How to reach a payee's bank account; belongs to one user and may be reused (SPEC section 1). */
export interface WithdrawalInstruction {
  readonly id: string;
  /** The user it belongs to. */
  readonly userId: string;
  /** Published responses show `label: null` when none was given. */
  readonly label: string | null;
  readonly body: WithdrawalInstructionBody;
}

export interface NewWithdrawalInstruction {
  /** From the service's id source: the domain makes no ids. */
  readonly id: string;
  readonly userId: string;
  readonly label?: string | null | undefined;
  /** The `body` attribute as received: anything, checked here. */
  readonly body: unknown;
}

const ALLOWED_FIELDS: Readonly<Record<PaymentMethod, ReadonlySet<string>>> = {
  domestic_bank: new Set([...BODY_HEAD_FIELDS, ...PAYMENT_METHOD_FIELDS.domestic_bank]),
  international_bank: new Set([...BODY_HEAD_FIELDS, ...PAYMENT_METHOD_FIELDS.international_bank]),
  third_party: new Set([...BODY_HEAD_FIELDS, ...PAYMENT_METHOD_FIELDS.third_party]),
};

const refuse = (field: readonly string[], reason: FieldRefusal, why: string) =>
  err(invalidField('withdrawal_instruction', field, reason, why));

const isPlainObject = (value: unknown): value is Readonly<Record<string, unknown>> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** A field given as `null` is a field not given, as JSON:API clients send absent optional attributes. */
const given = (body: Readonly<Record<string, unknown>>, key: string): unknown =>
  Object.hasOwn(body, key) ? body[key] : undefined;

const oneOf = <T extends string>(
  body: Readonly<Record<string, unknown>>,
  key: string,
  allowed: readonly T[],
  normalize: (value: string) => string = (value) => value,
): Result<T, FieldError> => {
  const value = given(body, key);
  const path = ['body', key];
  if (value === undefined || value === null) return refuse(path, 'missing_field', 'it is required');
  if (typeof value !== 'string')
    return refuse(path, 'invalid_type', `${showValue(value)}: expected a string`);
  const normalized = normalize(value);
  return (allowed as readonly string[]).includes(normalized)
    ? ok(normalized as T)
    : refuse(path, 'unsupported_value', `${showValue(value)}: expected one of ${allowed.join(', ')}`);
};

const checkField = (field: InstructionField, value: unknown): Result<string, FieldError> => {
  const path = ['body', field];
  if (typeof value !== 'string')
    return refuse(path, 'invalid_type', `${showValue(value)}: expected a string`);
  const rule = INSTRUCTION_FIELD_RULES[field];
  switch (rule.kind) {
    case 'text':
      return checkText(value, rule.maxLength).orElse((e) =>
        refuse(path, e.reason, `${showValue(value)}: ${e.why}`),
      );
    case 'account_number':
      return checkText(value, rule.maxLength)
        .andThen((text) =>
          /^[A-Za-z0-9][A-Za-z0-9 -]*$/.test(text)
            ? ok(text)
            : err({ reason: 'invalid_format' as const, why: 'expected letters, digits, spaces and dashes' }),
        )
        .orElse((e) => refuse(path, e.reason, `${showValue(value)}: ${e.why}`));
    case 'identifier':
      return checkIdentifier(rule.identifier, value).orElse((e) =>
        refuse(path, e.reason, `${showValue(value)}: ${e.why}`),
      );
    default: {
      const unreachable: never = rule;
      return unreachable;
    }
  }
};

/**
 * Checks a body against the published shape of its `payment_method` (SPEC sections 5 and
 * 7.1) and gives back the checked body. Country and currency are kept in upper case,
 * identifiers in their compact form, text as given; fields given as null are left out. A
 * refusal names the field (`['body', 'cbu']`) and the check that failed. Never throws.
 */
export const checkInstructionBody = (body: unknown): Result<WithdrawalInstructionBody, FieldError> => {
  if (!isPlainObject(body))
    return refuse(['body'], 'invalid_type', `${showValue(body)}: expected an object with a payment_method`);
  const method = oneOf(body, 'payment_method', PAYMENT_METHODS);
  if (method.isErr()) return err(method.error);
  const allowed = ALLOWED_FIELDS[method.value];
  const unknown = Object.keys(body).find((key) => !allowed.has(key));
  if (unknown !== undefined)
    return refuse(
      ['body', unknown],
      'unknown_field',
      `not a field of a ${method.value} body, whose fields are ${[...allowed].join(', ')}`,
    );
  const country = oneOf<InstructionCountry>(body, 'country', INSTRUCTION_COUNTRIES, (c) => c.toUpperCase());
  if (country.isErr()) return err(country.error);
  const currency = given(body, 'currency');
  if (currency === undefined || currency === null)
    return refuse(['body', 'currency'], 'missing_field', 'it is required');
  if (typeof currency !== 'string')
    return refuse(['body', 'currency'], 'invalid_type', `${showValue(currency)}: expected a string`);
  if (!/^[A-Za-z]{3}$/.test(currency) || currencyOf(currency).isErr())
    return refuse(
      ['body', 'currency'],
      'unsupported_value',
      `${showValue(currency)}: expected an ISO 4217 currency code such as ARS`,
    );
  const checked: Record<string, string> = {
    payment_method: method.value,
    country: country.value,
    currency: currency.toUpperCase(),
  };
  for (const field of PAYMENT_METHOD_FIELDS[method.value]) {
    const value = given(body, field);
    if (value === undefined || value === null) continue;
    const result = checkField(field, value);
    if (result.isErr()) return err(result.error);
    checked[field] = result.value;
  }
  return ok(checked as WithdrawalInstructionBody);
};

/** Builds a withdrawal instruction from input that may come from the wire (SPEC section 5). Never throws. */
export const createWithdrawalInstruction = (
  input: NewWithdrawalInstruction,
): Result<WithdrawalInstruction, FieldError> => {
  const { label } = input;
  let checkedLabel: string | null = null;
  if (label !== undefined && label !== null) {
    const checked = checkText(label, INSTRUCTION_LABEL_MAX_LENGTH);
    if (checked.isErr())
      return refuse(['label'], checked.error.reason, `${showValue(label)}: ${checked.error.why}`);
    checkedLabel = checked.value;
  }
  return checkInstructionBody(input.body).map((body) => ({
    id: input.id,
    userId: input.userId,
    label: checkedLabel,
    body,
  }));
};
