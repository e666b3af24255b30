import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parsePortCode } from '../port.js';
import { propertyTest, unwrap } from '../testing/index.js';
import { instructionFitsPort, PORT_REQUIRED_FIELDS } from './port-requirements.js';
import {
  OTHER_TEST_IDENTIFIERS,
  type SandboxPortCode,
  TEST_IDENTIFIERS,
  TEST_OUTCOMES,
  testInstructionBody,
  testOutcomeOf,
} from './test-identifiers.js';
import { createWithdrawalInstruction } from './withdrawal-instruction.js';

const test = propertyTest(it);
const RUNS = { numRuns: 200 };

const PORT_CODES = Object.keys(PORT_REQUIRED_FIELDS) as SandboxPortCode[];
const arbPortCode = fc.constantFrom(...PORT_CODES);
const arbOutcome = fc.constantFrom(...TEST_OUTCOMES, 'other' as const);

describe('testInstructionBody', () => {
  test.prop([arbPortCode, arbOutcome], RUNS)(
    'passes every check unchanged and fits its port',
    (code, outcome) => {
      const body = testInstructionBody(code, outcome);
      const created = createWithdrawalInstruction({ id: 'w1', userId: 'u1', body })._unsafeUnwrap();
      expect(created.body).toEqual(body);
      expect(instructionFitsPort(created, unwrap(parsePortCode(code))).isOk()).toBe(true);
    },
  );

  test.prop([arbPortCode, arbOutcome], RUNS)(
    "carries its country's identifiers for the outcome, which testOutcomeOf reads back",
    (code, outcome) => {
      const body: Readonly<Record<string, string>> = testInstructionBody(code, outcome);
      const country = code.slice(0, 2).toUpperCase() as keyof typeof OTHER_TEST_IDENTIFIERS;
      const row: Readonly<Record<string, string>> =
        outcome === 'other' ? OTHER_TEST_IDENTIFIERS[country] : TEST_IDENTIFIERS[outcome][country];
      for (const [field, value] of Object.entries(row)) expect(body[field]).toBe(value);
      expect(testOutcomeOf(body)).toBe(outcome === 'other' ? null : outcome);
    },
  );
});

describe('testOutcomeOf', () => {
  it('needs every identifier of a row: a CBU of one row with the CUIT of another is no outcome', () => {
    const settles = testInstructionBody('ar_ars', 'settles');
    expect(testOutcomeOf(settles)).toBe('settles');
    expect(testOutcomeOf({ ...settles, cuit: TEST_IDENTIFIERS.rejected.AR.cuit })).toBeNull();
    expect(testOutcomeOf({ ...settles, cuit: OTHER_TEST_IDENTIFIERS.AR.cuit })).toBeNull();
  });

  it("reads identifiers in their country only: Mexico's test CLABE in a Chilean body is no outcome", () => {
    const chilean = { ...testInstructionBody('cl_clp', 'other'), clabe: TEST_IDENTIFIERS.rejected.MX.clabe };
    expect(testOutcomeOf(chilean)).toBeNull();
    expect(testOutcomeOf({ ...chilean, country: 'MX' })).toBe('rejected');
  });

  it('a body without a known country, or an inherited name for one, is no outcome', () => {
    expect(testOutcomeOf({ payment_method: 'domestic_bank' })).toBeNull();
    expect(testOutcomeOf({ country: 'toString', cbu: TEST_IDENTIFIERS.settles.AR.cbu })).toBeNull();
  });
});
