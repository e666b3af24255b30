import type { BodyOf, InstructionCountry, InstructionField } from './body.js';
import { PORT_REQUIRED_FIELDS } from './port-requirements.js';

/** What a sandbox payment to a test account does (SPEC section 4: the output lifecycle after `working`). */
export const TEST_OUTCOMES = ['settles', 'rejected', 'fails_once', 'fails_until_returned'] as const;
export type TestOutcome = (typeof TEST_OUTCOMES)[number];

/**
 * Test identifiers: for each outcome and each country, account identifiers that pass every
 * check of SPEC section 5 and belong to no real account, so that a sandbox can use them as
 * magic values (one per outcome and country, all distinct).
 *
 * The pattern is the same everywhere: zeros, then the outcome's number (1 settles,
 * 2 rejected, 3 fails once then settles, 4 fails until returned), then the check digits.
 *
 * - AR: CBU of bank 000 (none has that code), branch 000n, account 000000000000n; CUIT of
 *   type 20 and DNI 0000000n.
 * - MX: CLABE of Banamex (002) in Mexico City (180), account 0000000000n.
 * - CL: RUT 1000000n (written 10.000.00n-d).
 * - US: routing number 1100000n (checksum digit last).
 * - OTHER: a German IBAN with bank code 00000000 and account 000000000n.
 * - PY, UY: no national identifier with a check digit; the account number 00000000n.
 *
 * Each value is in the compact form a checked instruction keeps.
 */
export const TEST_IDENTIFIERS = {
  settles: {
    AR: { cbu: '0000001700000000000017', cuit: '20000000019' },
    MX: { clabe: '002180000000000012' },
    CL: { rut: '100000016' },
    US: { routing_number: '110000013' },
    OTHER: { iban: 'DE09000000000000000001' },
    PY: { bank_account_number: '000000001' },
    UY: { bank_account_number: '000000001' },
  },
  rejected: {
    AR: { cbu: '0000002400000000000024', cuit: '20000000028' },
    MX: { clabe: '002180000000000025' },
    CL: { rut: '100000024' },
    US: { routing_number: '110000026' },
    OTHER: { iban: 'DE79000000000000000002' },
    PY: { bank_account_number: '000000002' },
    UY: { bank_account_number: '000000002' },
  },
  fails_once: {
    AR: { cbu: '0000003100000000000031', cuit: '20000000036' },
    MX: { clabe: '002180000000000038' },
    CL: { rut: '100000032' },
    US: { routing_number: '110000039' },
    OTHER: { iban: 'DE52000000000000000003' },
    PY: { bank_account_number: '000000003' },
    UY: { bank_account_number: '000000003' },
  },
  fails_until_returned: {
    AR: { cbu: '0000004800000000000048', cuit: '20000000044' },
    MX: { clabe: '002180000000000041' },
    CL: { rut: '100000040' },
    US: { routing_number: '110000042' },
    OTHER: { iban: 'DE25000000000000000004' },
    PY: { bank_account_number: '000000004' },
    UY: { bank_account_number: '000000004' },
  },
} as const satisfies Record<
  TestOutcome,
  Record<InstructionCountry, Readonly<Partial<Record<InstructionField, string>>>>
>;

/** A SWIFT/BIC of valid form, for test instructions that need one. */
export const TEST_BIC = 'TESTDEFFXXX';

/**
 * For each country, identifiers that pass every check and are none of `TEST_IDENTIFIERS`:
 * what any real account looks like to a sandbox, whose payments settle by themselves on
 * the default schedule (SPEC section 9). The CBU, CUIT, CLABE and RUT have check digits
 * computed by their rules; the routing number is the Federal Reserve's published example
 * (JPMorgan Chase), the IBAN the German example of ISO 13616.
 */
export const OTHER_TEST_IDENTIFIERS = {
  AR: { cbu: '2850590940904181352016', cuit: '20123456786' },
  MX: { clabe: '002180701234567895' },
  CL: { rut: '123456785' },
  US: { routing_number: '021000021' },
  OTHER: { iban: 'DE89370400440532013000' },
  PY: { bank_account_number: '1234567890' },
  UY: { bank_account_number: '1234567890' },
} as const satisfies Record<InstructionCountry, Readonly<Partial<Record<InstructionField, string>>>>;

/**
 * Which test outcome a body's identifiers name: the outcome of the row of its country in
 * `TEST_IDENTIFIERS` whose every identifier the body carries, the same; null for any
 * other body (a real account, or test identifiers of different rows mixed).
 */
export const testOutcomeOf = (body: Readonly<Record<string, string | undefined>>): TestOutcome | null => {
  const country = body.country;
  if (country === undefined || !Object.hasOwn(OTHER_TEST_IDENTIFIERS, country)) return null;
  for (const outcome of TEST_OUTCOMES) {
    const row: Readonly<Record<string, string>> = TEST_IDENTIFIERS[outcome][country as InstructionCountry];
    let all = true;
    for (const field in row)
      if (body[field] !== row[field]) {
        all = false;
        break;
      }
    if (all) return outcome;
  }
  return null;
};

/** A port of the sandbox's catalog, by code. */
export type SandboxPortCode = keyof typeof PORT_REQUIRED_FIELDS;

export const isSandboxPortCode = (code: string): code is SandboxPortCode =>
  Object.hasOwn(PORT_REQUIRED_FIELDS, code);

/** Bank details that pass every check, for the fields a port requires besides its identifiers. */
const TEST_ACCOUNT = {
  name: 'Ana Pérez',
  bank: 'Banco de Prueba',
  account_type: 'savings',
  bank_account_number: '000123456789',
} as const;

/**
 * A `domestic_bank` body that can pay to `port` and picks an outcome in a sandbox: the
 * test identifiers of the port's country for `outcome` (`TEST_IDENTIFIERS`), or with
 * `'other'` identifiers of no test row (`OTHER_TEST_IDENTIFIERS`: it settles by itself,
 * as any real account), plus a holder's name and bank details. It passes every check of
 * SPEC section 5 and has every field the port requires.
 */
export const testInstructionBody = (
  port: SandboxPortCode,
  outcome: TestOutcome | 'other' = 'settles',
): BodyOf<'domestic_bank'> => {
  const [country = '', currency = ''] = port.toUpperCase().split('_');
  const code = country as 'AR' | 'CL' | 'MX' | 'PY' | 'US' | 'UY';
  return {
    payment_method: 'domestic_bank',
    country: code,
    currency,
    ...TEST_ACCOUNT,
    ...(outcome === 'other' ? OTHER_TEST_IDENTIFIERS[code] : TEST_IDENTIFIERS[outcome][code]),
  };
};
