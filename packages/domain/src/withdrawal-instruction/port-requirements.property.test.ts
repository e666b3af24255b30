import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parsePortCode } from '../port.js';
import { propertyTest, SPEC_PORT_CODES, unwrap } from '../testing/index.js';
import { type InstructionCountry, PAYMENT_METHOD_FIELDS } from './body.js';
import { instructionFitsPort, PORT_REQUIRED_FIELDS, requiredFieldsOf } from './port-requirements.js';
import { TEST_BIC, TEST_IDENTIFIERS, TEST_OUTCOMES } from './test-identifiers.js';
import { createWithdrawalInstruction, type WithdrawalInstruction } from './withdrawal-instruction.js';

const test = propertyTest(it);
const RUNS = { numRuns: 300 };

/**
 * SPEC section 4 (check 2) and 7.1: an instruction fits a destination port when its country
 * and currency are the port's and it has every field the port requires.
 */

const PORT_CODES = Object.keys(PORT_REQUIRED_FIELDS) as (keyof typeof PORT_REQUIRED_FIELDS)[];
const portOf = (code: string) => unwrap(parsePortCode(code));

/** Account details that pass every check, for any field a port may require. */
const ACCOUNT = { bank: 'Banco de Prueba', account_type: 'savings', bank_account_number: '000123456789' };

/** A body for a port: the country's test identifiers, the account details, and the port's country and currency. */
const bodyFor = (
  code: string,
  method: 'domestic_bank' | 'international_bank',
  outcome: (typeof TEST_OUTCOMES)[number],
) => {
  const port = portOf(code);
  return {
    ...ACCOUNT,
    ...TEST_IDENTIFIERS[outcome][port.country as InstructionCountry],
    payment_method: method,
    country: port.country,
    currency: port.currency.code,
  };
};

const instruction = (body: unknown): WithdrawalInstruction =>
  createWithdrawalInstruction({ id: 'w1', userId: 'u1', body })._unsafeUnwrap();

const arbPortCode = fc.constantFrom(...PORT_CODES);
const arbMethod = fc.constantFrom('domestic_bank' as const, 'international_bank' as const);
const arbOutcome = fc.constantFrom(...TEST_OUTCOMES);

describe('PORT_REQUIRED_FIELDS', () => {
  it("lists every port of the specification's catalog", () => {
    expect([...PORT_CODES].sort()).toEqual([...SPEC_PORT_CODES].sort());
  });

  it('requires the published examples: cbu and cuit for ar_ars, clabe for mx_mxn', () => {
    expect(PORT_REQUIRED_FIELDS.ar_ars).toEqual(['cbu', 'cuit']);
    expect(PORT_REQUIRED_FIELDS.mx_mxn).toEqual(['clabe']);
  });

  it('requires only fields a bank body may carry, so that a domestic_bank instruction can fit every port', () => {
    for (const code of PORT_CODES)
      for (const field of PORT_REQUIRED_FIELDS[code])
        expect(PAYMENT_METHOD_FIELDS.domestic_bank as readonly string[]).toContain(field);
  });

  it('a port the table does not list requires nothing; an inherited name is not a port', () => {
    expect(requiredFieldsOf('br_brl')).toEqual([]);
    expect(requiredFieldsOf('constructor')).toEqual([]);
    expect(requiredFieldsOf('ar_ars')).toEqual(['cbu', 'cuit']);
  });
});

describe('instructionFitsPort', () => {
  test.prop([arbPortCode, arbMethod, arbOutcome], RUNS)(
    "an instruction in the port's country and currency with every required field fits",
    (code, method, outcome) => {
      const wi = instruction(bodyFor(code, method, outcome));
      expect(instructionFitsPort(wi, portOf(code))._unsafeUnwrap()).toBe(wi);
    },
  );

  test.prop([arbPortCode, arbMethod, fc.nat()], RUNS)(
    'without one of the required fields it does not fit: refused at that field with missing_field',
    (code, method, pick) => {
      const required = PORT_REQUIRED_FIELDS[code];
      const missing = required[pick % required.length] as string;
      const { [missing]: _, ...body } = bodyFor(code, method, 'settles') as Record<string, string>;
      const error = instructionFitsPort(instruction(body), portOf(code))._unsafeUnwrapErr();
      expect(error).toEqual({
        type: 'InstructionMismatch',
        code: 'instruction_mismatch',
        portCode: code,
        field: ['body', missing],
        reason: 'missing_field',
        message: expect.any(String),
      });
    },
  );

  test.prop([arbPortCode, arbPortCode, arbMethod], RUNS)(
    "an instruction for another port's country, or currency, does not fit: refused at country or currency",
    (code, other, method) => {
      const port = portOf(code);
      const otherPort = portOf(other);
      fc.pre(otherPort.country !== port.country || otherPort.currency.code !== port.currency.code);
      const error = instructionFitsPort(
        instruction(bodyFor(other, method, 'settles')),
        port,
      )._unsafeUnwrapErr();
      const reason = otherPort.country !== port.country ? 'country_mismatch' : 'currency_mismatch';
      expect(error).toMatchObject({
        type: 'InstructionMismatch',
        portCode: code,
        field: ['body', reason === 'country_mismatch' ? 'country' : 'currency'],
        reason,
      });
    },
  );

  test.prop([arbPortCode, arbOutcome], RUNS)(
    'an instruction for OTHER fits no port of the catalog',
    (code, outcome) => {
      const wi = instruction({
        ...TEST_IDENTIFIERS[outcome].OTHER,
        bank_swift: TEST_BIC,
        payment_method: 'international_bank',
        country: 'OTHER',
        currency: portOf(code).currency.code,
      });
      expect(instructionFitsPort(wi, portOf(code))._unsafeUnwrapErr().reason).toBe('country_mismatch');
    },
  );

  test.prop([arbPortCode], RUNS)(
    'a third_party instruction fits only a port that requires no account field',
    (code) => {
      const port = portOf(code);
      const wi = instruction({
        payment_method: 'third_party',
        name: 'Ana',
        country: port.country,
        currency: port.currency.code,
      });
      expect(instructionFitsPort(wi, port).isOk()).toBe(requiredFieldsOf(code).length === 0);
      expect(instructionFitsPort(wi, port, []).isOk()).toBe(true);
    },
  );

  test.prop([arbPortCode, arbMethod], RUNS)(
    "a catalog's own required fields are followed instead of the default ones",
    (code, method) => {
      const wi = instruction(bodyFor(code, method, 'settles'));
      const strict = [...PORT_REQUIRED_FIELDS[code], 'phone' as const];
      expect(instructionFitsPort(wi, portOf(code), strict)._unsafeUnwrapErr()).toMatchObject({
        field: ['body', 'phone'],
        reason: 'missing_field',
      });
    },
  );

  it.each(TEST_OUTCOMES.flatMap((outcome) => PORT_CODES.map((code) => ({ outcome, code }))))(
    'the test identifiers for $outcome fit $code',
    ({ outcome, code }) => {
      const wi = instruction(bodyFor(code, 'domestic_bank', outcome));
      expect(instructionFitsPort(wi, portOf(code)).isOk()).toBe(true);
    },
  );
});
