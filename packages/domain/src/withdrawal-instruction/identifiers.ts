import { ValidationErrorsBIC, ValidationErrorsIBAN, validateBIC, validateIBAN } from 'ibantools';
import { err, ok, Result } from 'neverthrow';
import { stdnum } from 'stdnum';
import type { FieldRefusal } from '../errors.js';
import type { IdentifierKind } from './body.js';

/**
 * The account identifiers of SPEC section 5, each checked by its country's rule: stdnum
 * for Argentina's CBU/CVU and CUIT/CUIL, Mexico's CLABE and Chile's RUT, ibantools for
 * IBAN and SWIFT/BIC. Every check here is pure and never throws.
 */

export type IdentifierRefusal = Extract<
  FieldRefusal,
  'empty' | 'invalid_format' | 'invalid_length' | 'invalid_component' | 'invalid_check_digit'
>;

export interface IdentifierProblem {
  readonly reason: IdentifierRefusal;
  readonly why: string;
}

/** What each identifier is, as a refusal says it. */
export const IDENTIFIER_DESCRIPTIONS: Readonly<Record<IdentifierKind, string>> = {
  cbu: 'a CBU or CVU (Argentina): 22 digits with two check digits',
  cuit: 'a CUIT or CUIL (Argentina): 11 digits, a known type and a check digit',
  clabe: 'a CLABE (Mexico): 18 digits, a known bank and city code and a check digit',
  rut: 'a RUT (Chile): 7 or 8 digits and a check digit, 0 to 9 or K',
  routing_number: 'an ABA routing number (US): 9 digits with a checksum',
  iban: "an IBAN: a country code, two check digits (mod 97) and that country's account number",
  bic: 'a SWIFT/BIC: 8 or 11 letters and digits, with a country code',
};

/** Longer input is refused before any library sees it: no identifier here has half as many characters. */
const MAX_INPUT_LENGTH = 64;

const problem = (kind: IdentifierKind, reason: IdentifierRefusal, what: string): IdentifierProblem => ({
  reason,
  why: `${what}: expected ${IDENTIFIER_DESCRIPTIONS[kind]}`,
});

const WHAT: Readonly<Record<IdentifierRefusal, string>> = {
  empty: 'empty',
  invalid_format: 'characters it never has',
  invalid_length: 'wrong length',
  invalid_component: 'a part of it does not exist',
  invalid_check_digit: 'wrong check digit',
};

const refuse = (kind: IdentifierKind, reason: IdentifierRefusal): Result<string, IdentifierProblem> =>
  err(problem(kind, reason, WHAT[reason]));

/** stdnum's errors are classes; their names are its stable codes. Any other (InvalidFormat) is a format error. */
const STDNUM_REASONS: ReadonlyMap<string | undefined, IdentifierRefusal> = new Map([
  ['InvalidLength', 'invalid_length'],
  ['InvalidComponent', 'invalid_component'],
  ['InvalidChecksum', 'invalid_check_digit'],
]);

interface StdnumValidator {
  validate(value: string): { readonly isValid: boolean; readonly error?: { readonly name: string } };
}

/** A library that throws on some input it was not built for is a refusal, never an exception. */
const safely = <T>(run: () => T): T | undefined => Result.fromThrowable(run)().unwrapOr(undefined);

/** stdnum types its table as any country and any number; these four are there (the tests check them). */
const STDNUM_VALIDATORS: Readonly<Record<'cbu' | 'cuit' | 'clabe' | 'rut', StdnumValidator | undefined>> = {
  cbu: stdnum.AR?.cbu,
  cuit: stdnum.AR?.cuit,
  clabe: stdnum.MX?.clabe,
  rut: stdnum.CL?.rut,
};

const byStdnum = (
  kind: 'cbu' | 'cuit' | 'clabe' | 'rut',
  compact: string,
  correct: (compact: string) => boolean = () => false,
): Result<string, IdentifierProblem> => {
  const outcome = safely(() => STDNUM_VALIDATORS[kind]?.validate(compact));
  if (outcome === undefined) return refuse(kind, 'invalid_format');
  if (outcome.isValid) return ok(compact);
  const reason = STDNUM_REASONS.get(outcome.error?.name) ?? 'invalid_format';
  if (reason === 'invalid_check_digit' && correct(compact)) return ok(compact);
  return refuse(kind, reason);
};

/**
 * One block of a CBU by the BCRA rule: its last digit is (10 − Σ digit × weight mod 10)
 * mod 10, weights 3, 1, 7, 9 repeating from the right. Written here only to correct
 * stdnum 1.12.0, whose `10 − sum` lacks the final `mod 10` and so refuses every CBU with a
 * check digit 0, about one in five (fixed upstream in koblas/stdnum-js#167, not in a
 * release yet). It is consulted only after stdnum refused a checksum; remove it once a
 * stdnum release carries the fix.
 */
const cbuBlockHolds = (block: string): boolean => {
  const weights = [3, 1, 7, 9];
  let sum = 0;
  for (let i = block.length - 2, w = 0; i >= 0; i--, w++) sum += Number(block[i]) * (weights[w % 4] ?? 0);
  return (10 - (sum % 10)) % 10 === Number(block[block.length - 1]);
};

/** Consulted only once stdnum has found 22 digits (it checks the length and the digits before the checksum). */
const cbuCheckDigitsHold = (cbu: string): boolean =>
  cbuBlockHolds(cbu.slice(0, 8)) && cbuBlockHolds(cbu.slice(8));

/**
 * An ABA routing number's checksum: 3·d1 + 7·d2 + d3 + 3·d4 + 7·d5 + d6 + 3·d7 + 7·d8 + d9
 * is a multiple of 10. Written here because stdnum (JavaScript) has no US routing number,
 * and the rule is one line.
 */
const routingChecksumHolds = (digits: string): boolean => {
  const weights = [3, 7, 1];
  let sum = 0;
  for (let i = 0; i < digits.length; i++) sum += Number(digits[i]) * (weights[i % 3] ?? 0);
  return sum % 10 === 0;
};

const DIGITS = /^[0-9]+$/;
const RUT_CHARACTERS = /^[0-9]+[0-9K]$/;
const ALPHANUMERIC = /^[A-Z0-9]+$/;

/** The checks of ibantools, from the most basic to the check digits: the first that failed is reported. */
const IBAN_REASONS: readonly (readonly [ValidationErrorsIBAN, IdentifierRefusal])[] = [
  [ValidationErrorsIBAN.NoIBANProvided, 'empty'],
  [ValidationErrorsIBAN.NoIBANCountry, 'invalid_component'],
  [ValidationErrorsIBAN.WrongBBANLength, 'invalid_length'],
  [ValidationErrorsIBAN.WrongBBANFormat, 'invalid_format'],
  [ValidationErrorsIBAN.ChecksumNotNumber, 'invalid_format'],
  [ValidationErrorsIBAN.QRIBANNotAllowed, 'invalid_component'],
  [ValidationErrorsIBAN.WrongIBANChecksum, 'invalid_check_digit'],
  [ValidationErrorsIBAN.WrongAccountBankBranchChecksum, 'invalid_check_digit'],
];

const BIC_REASONS: readonly (readonly [ValidationErrorsBIC, IdentifierRefusal])[] = [
  [ValidationErrorsBIC.NoBICProvided, 'empty'],
  [ValidationErrorsBIC.WrongBICFormat, 'invalid_format'],
  [ValidationErrorsBIC.NoBICCountry, 'invalid_component'],
];

const firstReason = <C>(
  codes: readonly C[],
  order: readonly (readonly [C, IdentifierRefusal])[],
): IdentifierRefusal => order.find(([code]) => codes.includes(code))?.[1] ?? 'invalid_format';

/** The compact form each identifier is checked and kept in: separators out, letters upper case. */
const compactOf = (kind: IdentifierKind, value: string): string => {
  switch (kind) {
    case 'cbu':
    case 'cuit':
    case 'clabe':
    case 'routing_number':
      return value.replace(/[ -]/g, '');
    case 'rut':
      // Written 12.345.678-K in Chile.
      return value.replace(/[ .-]/g, '').toUpperCase();
    case 'iban':
    case 'bic':
      return value.replace(/[ -]/g, '').toUpperCase();
    default: {
      const unreachable: never = kind;
      return unreachable;
    }
  }
};

/**
 * Checks an identifier by its country's rule and gives back its compact form (spaces and
 * dashes removed, dots too for a RUT, letters in upper case). A refusal says which check
 * failed: `invalid_format`, `invalid_length`, `invalid_component` or `invalid_check_digit`.
 */
export const checkIdentifier = (kind: IdentifierKind, value: string): Result<string, IdentifierProblem> => {
  if (value.trim() === '') return refuse(kind, 'empty');
  if (value.length > MAX_INPUT_LENGTH) return refuse(kind, 'invalid_length');
  const compact = compactOf(kind, value);
  switch (kind) {
    case 'cbu':
      if (!DIGITS.test(compact)) return refuse(kind, 'invalid_format');
      return byStdnum(kind, compact, cbuCheckDigitsHold);
    case 'cuit':
    case 'clabe':
      if (!DIGITS.test(compact)) return refuse(kind, 'invalid_format');
      return byStdnum(kind, compact);
    case 'rut':
      if (!RUT_CHARACTERS.test(compact)) return refuse(kind, 'invalid_format');
      return byStdnum(kind, compact);
    case 'routing_number':
      if (!DIGITS.test(compact)) return refuse(kind, 'invalid_format');
      if (compact.length !== 9) return refuse(kind, 'invalid_length');
      return routingChecksumHolds(compact) ? ok(compact) : refuse(kind, 'invalid_check_digit');
    case 'iban': {
      if (!ALPHANUMERIC.test(compact)) return refuse(kind, 'invalid_format');
      const outcome = safely(() => validateIBAN(compact));
      if (outcome?.valid) return ok(compact);
      return refuse(kind, firstReason(outcome?.errorCodes ?? [], IBAN_REASONS));
    }
    case 'bic': {
      if (!ALPHANUMERIC.test(compact)) return refuse(kind, 'invalid_format');
      if (compact.length !== 8 && compact.length !== 11) return refuse(kind, 'invalid_length');
      // ISO 9362's layout (bank, country, location, branch), so that a misplaced digit is a format error.
      if (!/^[A-Z]{6}[A-Z0-9]{2}(?:[A-Z0-9]{3})?$/.test(compact)) return refuse(kind, 'invalid_format');
      const outcome = safely(() => validateBIC(compact));
      if (outcome?.valid) return ok(compact);
      return refuse(kind, firstReason(outcome?.errorCodes ?? [], BIC_REASONS));
    }
    default: {
      const unreachable: never = kind;
      return unreachable;
    }
  }
};
