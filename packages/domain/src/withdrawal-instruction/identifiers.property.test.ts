import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { propertyTest } from '../testing/index.js';
import { INSTRUCTION_COUNTRIES, type InstructionField, type WithdrawalInstructionBody } from './body.js';
import { checkIdentifier } from './identifiers.js';
import { OTHER_TEST_IDENTIFIERS, TEST_IDENTIFIERS, TEST_OUTCOMES } from './test-identifiers.js';
import { createWithdrawalInstruction } from './withdrawal-instruction.js';

const test = propertyTest(it);
const RUNS = { numRuns: 300 };

/**
 * SPEC section 5: every account identifier passes its country's check. The oracles below
 * compute each check digit from its published definition, apart from the libraries the
 * domain uses, so that a valid identifier here is valid by the rule and not by the code.
 */

/** Σ digit × weight, the weights repeating from the left. */
const weighted = (digits: string, weights: readonly number[]): number => {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) sum += Number(digits[i]) * (weights[i % weights.length] ?? 0);
  return sum;
};
const tenComplement = (sum: number): string => String((10 - (sum % 10)) % 10);

const oracle = {
  /** BCRA: bank and branch (7 digits) + check, account (13 digits) + check; each check (10 − Σ mod 10) mod 10. */
  cbu: (bankBranch: string, account: string): string =>
    bankBranch +
    tenComplement(weighted(bankBranch, [7, 1, 3, 9])) +
    account +
    tenComplement(weighted(account, [3, 9, 7, 1])),
  /** AFIP: 11 − Σ mod 11 over the type and the number, weights 5 4 3 2 7 6 5 4 3 2; 11 is 0 and 10 is written 9. */
  cuit: (typeAndNumber: string): string => {
    const check = 11 - (weighted(typeAndNumber, [5, 4, 3, 2, 7, 6, 5, 4, 3, 2]) % 11);
    return typeAndNumber + (check === 11 ? '0' : check === 10 ? '9' : String(check));
  },
  /** Banxico: bank, city and account (17 digits), check (10 − Σ mod 10) mod 10 with weights 3 7 1. */
  clabe: (seventeen: string): string => seventeen + tenComplement(weighted(seventeen, [3, 7, 1])),
  /** SII modulo 11: weights 2 to 7 from the right, check 11 − Σ mod 11; 11 is 0 and 10 is K. */
  rut: (number: string): string => {
    const check = 11 - (weighted([...number].reverse().join(''), [2, 3, 4, 5, 6, 7]) % 11);
    return number + (check === 11 ? '0' : check === 10 ? 'K' : String(check));
  },
  /** ABA: 3·d1 + 7·d2 + d3 + … + d9 is a multiple of 10. */
  routingNumber: (eight: string): string => eight + tenComplement(weighted(eight, [3, 7, 1])),
  /** ISO 13616: the check digits make (account, country, check digits) as a number, letters as 10 to 35, ≡ 1 mod 97. */
  iban: (country: string, bban: string): string => {
    const numeric = [...`${bban}${country}00`]
      .map((c) => (/[A-Z]/.test(c) ? String(c.charCodeAt(0) - 55) : c))
      .join('');
    return `${country}${String(98n - (BigInt(numeric) % 97n)).padStart(2, '0')}${bban}`;
  },
};

const CUIT_TYPES = ['20', '23', '24', '27', '30', '33', '34'];
/** A few bank codes (Banamex, BBVA, Santander, HSBC, Banorte, STP) and cities (Aguascalientes, Mexico City, Monterrey). */
const CLABE_BANKS = ['002', '012', '014', '021', '072', '646'];
const CLABE_CITIES = ['010', '180', '580'];

const digits = (length: number) =>
  fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: length, maxLength: length });
const letters = (length: number) =>
  fc.string({ unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZ'), minLength: length, maxLength: length });

const arbCbu = fc
  .tuple(digits(7), digits(13))
  .map(([bankBranch, account]) => oracle.cbu(bankBranch, account));
const arbCuit = fc.tuple(fc.constantFrom(...CUIT_TYPES), digits(8)).map(([type, n]) => oracle.cuit(type + n));
const arbClabe = fc
  .tuple(fc.constantFrom(...CLABE_BANKS), fc.constantFrom(...CLABE_CITIES), digits(11))
  .map(([bank, city, account]) => oracle.clabe(bank + city + account));
const arbRut = fc.integer({ min: 1_000_000, max: 99_999_999 }).map((n) => oracle.rut(String(n)));
const arbRoutingNumber = digits(8).map(oracle.routingNumber);
const arbIban = fc.oneof(
  digits(18).map((bban) => oracle.iban('DE', bban)),
  digits(16).map((bban) => oracle.iban('AT', bban)),
  fc.tuple(letters(4), digits(14)).map(([bank, rest]) => oracle.iban('GB', bank + rest)),
);

/** Replaces the digit at `at` (a position among the digits) by a different digit. */
const changeOneDigit = (value: string, at: number, by: number): string => {
  const positions = [...value].flatMap((c, i) => (/[0-9]/.test(c) ? [i] : []));
  const index = positions[at % positions.length] ?? 0;
  const changed = (Number(value[index]) + 1 + (by % 9)) % 10;
  return value.slice(0, index) + String(changed) + value.slice(index + 1);
};

/** A domestic body around one identifier, for the field path of a refusal. */
const bodyWith = (field: InstructionField, value: string, country: string, currency: string) => ({
  payment_method: field === 'iban' ? 'international_bank' : 'domestic_bank',
  country,
  currency,
  [field]: value,
});

const CASES = [
  { field: 'cbu', kind: 'cbu', arb: arbCbu, country: 'AR', currency: 'ARS' },
  { field: 'cuit', kind: 'cuit', arb: arbCuit, country: 'AR', currency: 'ARS' },
  { field: 'clabe', kind: 'clabe', arb: arbClabe, country: 'MX', currency: 'MXN' },
  { field: 'rut', kind: 'rut', arb: arbRut, country: 'CL', currency: 'CLP' },
  { field: 'routing_number', kind: 'routing_number', arb: arbRoutingNumber, country: 'US', currency: 'USD' },
  { field: 'iban', kind: 'iban', arb: arbIban, country: 'OTHER', currency: 'EUR' },
] as const;

describe('identifiers valid by their published rule are accepted', () => {
  for (const { field, kind, arb, country, currency } of CASES) {
    test.prop([arb], RUNS)(`${kind}: accepted, kept in compact form`, (value) => {
      expect(checkIdentifier(kind, value)._unsafeUnwrap()).toBe(value);
      const instruction = createWithdrawalInstruction({
        id: 'w1',
        userId: 'u1',
        body: bodyWith(field, value, country, currency),
      })._unsafeUnwrap();
      expect((instruction.body as Partial<Record<string, string>>)[field]).toBe(value);
    });
  }

  test.prop([digits(7), digits(13)], RUNS)(
    'a CBU whose check digits are 0 is accepted (stdnum 1.12.0 alone refuses it)',
    (bankBranch, account) => {
      // Make each block's weighted sum a multiple of 10 by choosing its last digit (weight 3, coprime to 10).
      const settle = (block: string, weights: readonly number[]) => {
        for (let d = 0; d <= 9; d++) {
          const candidate = block.slice(0, -1) + String(d);
          if (weighted(candidate, weights) % 10 === 0) return candidate;
        }
        return block;
      };
      const cbu = `${settle(bankBranch, [7, 1, 3, 9])}0${settle(account, [3, 9, 7, 1])}0`;
      expect(oracle.cbu(cbu.slice(0, 7), cbu.slice(8, 21))).toBe(cbu);
      expect(checkIdentifier('cbu', cbu).isOk()).toBe(true);
    },
  );

  test.prop([fc.integer({ min: 1_000_000, max: 99_999_999 }).map(String), fc.boolean()], RUNS)(
    'a RUT may be written with dots and a dash, and its check K in either case',
    (number, lower) => {
      const rut = oracle.rut(number);
      const check = rut.slice(-1);
      const dotted = number.replace(/\B(?=(\d{3})+(?!\d))/g, '.');
      const written = `${dotted}-${lower ? check.toLowerCase() : check}`;
      expect(checkIdentifier('rut', written)._unsafeUnwrap()).toBe(rut);
    },
  );

  it('a RUT whose check is K is accepted', () => {
    expect(checkIdentifier('rut', '10000013-K')._unsafeUnwrap()).toBe('10000013K');
    expect(oracle.rut('10000013')).toBe('10000013K');
  });

  test.prop([arbCbu, fc.constantFrom(' ', '-')], RUNS)(
    'spaces and dashes are separators: the compact form is kept',
    (cbu, separator) => {
      const written = `${cbu.slice(0, 8)}${separator}${cbu.slice(8)}`;
      expect(checkIdentifier('cbu', written)._unsafeUnwrap()).toBe(cbu);
    },
  );
});

describe('exactly the valid ones: a digit string of the right length is accepted when its check digits hold', () => {
  test.prop([digits(22)], RUNS)('CBU', (value) => {
    const valid = oracle.cbu(value.slice(0, 7), value.slice(8, 21)) === value;
    expect(checkIdentifier('cbu', value).isOk()).toBe(valid);
    if (!valid) expect(checkIdentifier('cbu', value)._unsafeUnwrapErr().reason).toBe('invalid_check_digit');
  });

  test.prop([fc.constantFrom(...CUIT_TYPES), digits(9)], RUNS)('CUIT', (type, rest) => {
    const value = type + rest;
    expect(checkIdentifier('cuit', value).isOk()).toBe(oracle.cuit(value.slice(0, 10)) === value);
  });

  test.prop([fc.constantFrom(...CLABE_BANKS), fc.constantFrom(...CLABE_CITIES), digits(12)], RUNS)(
    'CLABE',
    (bank, city, rest) => {
      const value = bank + city + rest;
      expect(checkIdentifier('clabe', value).isOk()).toBe(oracle.clabe(value.slice(0, 17)) === value);
    },
  );

  test.prop(
    [fc.integer({ min: 1_000_000, max: 99_999_999 }).map(String), fc.constantFrom(...'0123456789K')],
    RUNS,
  )('RUT', (number, check) => {
    expect(checkIdentifier('rut', number + check).isOk()).toBe(oracle.rut(number) === number + check);
  });

  test.prop([digits(9)], RUNS)('ABA routing number', (value) => {
    expect(checkIdentifier('routing_number', value).isOk()).toBe(
      oracle.routingNumber(value.slice(0, 8)) === value,
    );
  });

  test.prop([digits(2), digits(18)], RUNS)('IBAN', (check, bban) => {
    const value = `DE${check}${bban}`;
    expect(checkIdentifier('iban', value).isOk()).toBe(oracle.iban('DE', bban) === value);
  });
});

describe('any single-digit change to a valid identifier is refused, with the field path', () => {
  for (const { field, kind, arb, country, currency } of CASES) {
    // The CUIT's "10 is written 9" makes two sums share the check 9: only a check other than 9 catches every change.
    const valid = kind === 'cuit' ? arb.filter((cuit) => !cuit.endsWith('9')) : arb;
    test.prop([valid, fc.nat(), fc.nat()], RUNS)(`${kind}`, (value, at, by) => {
      const changed = changeOneDigit(value, at, by);
      expect(changed).not.toBe(value);
      const error = createWithdrawalInstruction({
        id: 'w1',
        userId: 'u1',
        body: bodyWith(field, changed, country, currency),
      })._unsafeUnwrapErr();
      expect(error).toMatchObject({
        type: 'InvalidField',
        entity: 'withdrawal_instruction',
        field: ['body', field],
      });
      // A changed bank, city or CUIT type may name one that does not exist; otherwise the check digit catches it.
      expect(['invalid_check_digit', 'invalid_component']).toContain(error.reason);
      if (kind === 'cbu' || kind === 'rut' || kind === 'routing_number' || kind === 'iban')
        expect(error.reason).toBe('invalid_check_digit');
    });
  }

  test.prop([arbRut, fc.constantFrom(...'0123456789K')], RUNS)(
    'RUT: any other check character, K included, is refused',
    (rut, check) => {
      fc.pre(check !== rut.slice(-1));
      const error = checkIdentifier('rut', rut.slice(0, -1) + check)._unsafeUnwrapErr();
      expect(error.reason).toBe('invalid_check_digit');
    },
  );
});

describe('malformed identifiers', () => {
  const KINDS = ['cbu', 'cuit', 'clabe', 'rut', 'routing_number', 'iban', 'bic'] as const;
  const REASONS = ['empty', 'invalid_format', 'invalid_length', 'invalid_component', 'invalid_check_digit'];

  test.prop([fc.constantFrom(...KINDS), fc.string({ maxLength: 200, unit: 'binary' })], { numRuns: 2_000 })(
    'never throw: any string is accepted in compact form or refused with a stable reason',
    (kind, value) => {
      const result = checkIdentifier(kind, value);
      if (result.isOk()) expect(result.value).toMatch(/^[0-9A-Z]+$/);
      else expect(REASONS).toContain(result.error.reason);
    },
  );

  const LENGTHS = { cbu: 22, cuit: 11, clabe: 18, routing_number: 9 } as const;
  test.prop(
    [
      fc.constantFrom('cbu', 'cuit', 'clabe', 'routing_number' as const),
      fc.integer({ min: 1, max: 40 }),
      fc.nat(),
    ],
    RUNS,
  )('a digit string of another length is refused with invalid_length', (kind, length, seed) => {
    fc.pre(length !== LENGTHS[kind]);
    const value = String(seed).padStart(length, '7').slice(0, length);
    expect(checkIdentifier(kind, value)._unsafeUnwrapErr().reason).toBe('invalid_length');
  });

  test.prop(
    [
      fc.constantFrom('cbu', 'cuit', 'clabe', 'routing_number' as const),
      arbCbu,
      fc.nat(),
      fc.constantFrom(...'aZ.+/_#'),
    ],
    RUNS,
  )(
    'a letter or a symbol among the digits is refused with invalid_format',
    (kind, digitsOnly, at, intruder) => {
      const index = at % digitsOnly.length;
      const value = digitsOnly.slice(0, index) + intruder + digitsOnly.slice(index + 1);
      expect(checkIdentifier(kind, value)._unsafeUnwrapErr().reason).toBe('invalid_format');
    },
  );

  it('an unknown CUIT type or CLABE bank is refused with invalid_component', () => {
    expect(checkIdentifier('cuit', oracle.cuit('2112345678'))._unsafeUnwrapErr().reason).toBe(
      'invalid_component',
    );
    expect(checkIdentifier('clabe', oracle.clabe('00118000000000001'))._unsafeUnwrapErr().reason).toBe(
      'invalid_component',
    );
    expect(checkIdentifier('iban', oracle.iban('ZZ', '000000000000000001'))._unsafeUnwrapErr().reason).toBe(
      'invalid_component',
    );
  });

  test.prop([arbIban], RUNS)('an IBAN cut short is refused with invalid_length', (iban) => {
    expect(checkIdentifier('iban', iban.slice(0, -1))._unsafeUnwrapErr().reason).toBe('invalid_length');
  });
});

describe('SWIFT/BIC', () => {
  const alphanumeric = (length: number) =>
    fc.string({
      unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'),
      minLength: length,
      maxLength: length,
    });
  const arbBic = fc
    .tuple(
      letters(4),
      fc.constantFrom('AR', 'CL', 'MX', 'US', 'PY', 'UY', 'DE', 'ES'),
      alphanumeric(2),
      fc.option(alphanumeric(3)),
    )
    .map(([bank, country, location, branch]) => `${bank}${country}${location}${branch ?? ''}`);

  test.prop([arbBic, fc.boolean()], RUNS)(
    '8 or 11 characters with a country code: accepted, in upper case',
    (bic, lower) => {
      expect(checkIdentifier('bic', lower ? bic.toLowerCase() : bic)._unsafeUnwrap()).toBe(bic);
    },
  );

  test.prop([fc.integer({ min: 1, max: 30 }), letters(30)], RUNS)(
    'any other length is refused with invalid_length',
    (length, text) => {
      fc.pre(length !== 8 && length !== 11);
      expect(checkIdentifier('bic', text.slice(0, length))._unsafeUnwrapErr().reason).toBe('invalid_length');
    },
  );

  it('the published example bank_swift "1234123412341234" is refused with invalid_length', () => {
    expect(checkIdentifier('bic', '1234123412341234')._unsafeUnwrapErr().reason).toBe('invalid_length');
    expect(checkIdentifier('bic', '12341234')._unsafeUnwrapErr().reason).toBe('invalid_format');
    expect(checkIdentifier('bic', 'DEUTXXFF')._unsafeUnwrapErr().reason).toBe('invalid_component');
  });
});

describe('TEST_IDENTIFIERS', () => {
  const KIND_OF: Partial<Record<InstructionField, Parameters<typeof checkIdentifier>[0]>> = {
    cbu: 'cbu',
    cuit: 'cuit',
    clabe: 'clabe',
    rut: 'rut',
    routing_number: 'routing_number',
    iban: 'iban',
  };
  const tables = [
    ...TEST_OUTCOMES.map((outcome) => [outcome, TEST_IDENTIFIERS[outcome]] as const),
    ['other', OTHER_TEST_IDENTIFIERS] as const,
  ];
  const rows = tables.flatMap(([outcome, table]) =>
    INSTRUCTION_COUNTRIES.flatMap((country) =>
      Object.entries(table[country]).map(([field, value]) => ({
        outcome,
        country,
        field: field as InstructionField,
        value,
      })),
    ),
  );

  it.each(rows)(
    '$outcome $country $field $value passes its check and the published rule',
    ({ field, value, country }) => {
      const kind = KIND_OF[field];
      const independently: Record<string, (v: string) => boolean> = {
        cbu: (v) => oracle.cbu(v.slice(0, 7), v.slice(8, 21)) === v,
        cuit: (v) => oracle.cuit(v.slice(0, 10)) === v,
        clabe: (v) => oracle.clabe(v.slice(0, 17)) === v,
        rut: (v) => oracle.rut(v.slice(0, -1)) === v,
        routing_number: (v) => oracle.routingNumber(v.slice(0, 8)) === v,
        iban: (v) => oracle.iban(v.slice(0, 2), v.slice(4)) === v,
      };
      if (kind) {
        expect(checkIdentifier(kind, value)._unsafeUnwrap()).toBe(value);
        expect(independently[field]?.(value)).toBe(true);
      }
      const body = createWithdrawalInstruction({
        id: 'w1',
        userId: 'u1',
        body: { payment_method: 'international_bank', country, currency: 'USD', [field]: value },
      })._unsafeUnwrap().body as WithdrawalInstructionBody & Partial<Record<string, string>>;
      expect(body[field]).toBe(value);
    },
  );

  it('one per outcome and country: no two outcomes share an identifier in a country', () => {
    for (const country of INSTRUCTION_COUNTRIES) {
      const fields = Object.keys(TEST_IDENTIFIERS.settles[country]) as InstructionField[];
      for (const field of fields) {
        const values = TEST_OUTCOMES.map(
          (outcome) =>
            (TEST_IDENTIFIERS[outcome][country] as Partial<Record<InstructionField, string>>)[field],
        );
        // The other identifiers are none of the outcomes' either.
        values.push((OTHER_TEST_IDENTIFIERS[country] as Partial<Record<InstructionField, string>>)[field]);
        expect(new Set(values).size).toBe(TEST_OUTCOMES.length + 1);
      }
    }
  });
});
