import type { InstructionCountry, InstructionField } from './body.js';

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
