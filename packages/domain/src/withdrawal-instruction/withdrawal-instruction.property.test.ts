import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { propertyTest } from '../testing/index.js';
import {
  BODY_HEAD_FIELDS,
  INSTRUCTION_COUNTRIES,
  INSTRUCTION_FIELD_RULES,
  type InstructionField,
  PAYMENT_METHOD_FIELDS,
  PAYMENT_METHODS,
  type PaymentMethod,
} from './body.js';
import { TEST_BIC, TEST_IDENTIFIERS } from './test-identifiers.js';
import {
  createWithdrawalInstruction,
  INSTRUCTION_LABEL_MAX_LENGTH,
  WITHDRAWAL_INSTRUCTION_SCHEMA,
} from './withdrawal-instruction.js';

const test = propertyTest(it);
const RUNS = { numRuns: 300 };

/** SPEC sections 5 and 7.1: a withdrawal instruction's body has the published shape of its payment method. */

const CONTROL = /(?![\t\n\r])\p{Cc}/u;
/** Text a field takes: not blank, no control characters, at most `maxLength` code points (a grapheme may hold several). */
const arbText = (maxLength: number) =>
  fc
    .string({ minLength: 1, maxLength: Math.min(maxLength, 60), unit: 'grapheme' })
    .filter((text) => text.trim() !== '' && !CONTROL.test(text) && [...text].length <= maxLength);

const settles = TEST_IDENTIFIERS.settles;
/** A valid value for every field: text, account numbers and, for identifiers, test identifiers that pass their checks. */
const arbFieldValue = (field: InstructionField): fc.Arbitrary<string> => {
  const rule = INSTRUCTION_FIELD_RULES[field];
  switch (rule.kind) {
    case 'text':
      return arbText(rule.maxLength);
    case 'account_number':
      return fc
        .string({ unit: fc.constantFrom(...'0123456789ABCXYZ'), minLength: 1, maxLength: rule.maxLength })
        .filter((s) => s.length > 0);
    case 'identifier': {
      const values: Record<typeof rule.identifier, readonly string[]> = {
        cbu: [settles.AR.cbu, TEST_IDENTIFIERS.rejected.AR.cbu],
        cuit: [settles.AR.cuit],
        clabe: [settles.MX.clabe],
        rut: [settles.CL.rut],
        routing_number: [settles.US.routing_number],
        iban: [settles.OTHER.iban],
        bic: [TEST_BIC, 'TESTARBA'],
      };
      return fc.constantFrom(...values[rule.identifier]);
    }
    default: {
      const unreachable: never = rule;
      return unreachable;
    }
  }
};

const arbCurrency = fc.constantFrom('ARS', 'CLP', 'MXN', 'PYG', 'USD', 'UYU', 'EUR', 'usd', 'ars');

/** A valid body of a method: its head and any subset of its fields, each valid. */
const arbBodyOf = (method: PaymentMethod) =>
  fc.record(
    {
      payment_method: fc.constant(method),
      country: fc.constantFrom(...INSTRUCTION_COUNTRIES),
      currency: arbCurrency,
      ...Object.fromEntries(PAYMENT_METHOD_FIELDS[method].map((field) => [field, arbFieldValue(field)])),
    },
    { requiredKeys: ['payment_method', 'country', 'currency'] },
  ) as fc.Arbitrary<Record<string, string>>;

const arbBody = fc.constantFrom(...PAYMENT_METHODS).chain(arbBodyOf);

const create = (body: unknown, label?: string | null) =>
  createWithdrawalInstruction({ id: 'w1', userId: 'u1', label, body });

describe('createWithdrawalInstruction', () => {
  test.prop([arbBody, fc.option(arbText(INSTRUCTION_LABEL_MAX_LENGTH), { nil: undefined })], RUNS)(
    'a body of the published shape is accepted: same fields, text as given, country and currency in upper case',
    (body, label) => {
      const instruction = create(body, label)._unsafeUnwrap();
      expect(instruction).toMatchObject({ id: 'w1', userId: 'u1', label: label ?? null });
      expect(instruction.body).toEqual({
        ...body,
        country: body.country?.toUpperCase(),
        currency: body.currency?.toUpperCase(),
      });
    },
  );

  test.prop([arbBody], RUNS)(
    'the instruction shares nothing with its input: changing the input later changes nothing',
    (body) => {
      const instruction = create(body)._unsafeUnwrap();
      const before = structuredClone(instruction);
      body.country = 'changed';
      body.name = 'changed';
      expect(instruction).toEqual(before);
    },
  );

  test.prop([arbBody, fc.constantFrom(...PAYMENT_METHOD_FIELDS.international_bank)], RUNS)(
    'a field given as null is a field not given',
    (body, field) => {
      fc.pre(
        (PAYMENT_METHOD_FIELDS[body.payment_method as PaymentMethod] as readonly string[]).includes(field),
      );
      const instruction = create({ ...body, [field]: null })._unsafeUnwrap();
      expect(Object.hasOwn(instruction.body, field)).toBe(false);
    },
  );

  test.prop(
    [
      arbBody,
      fc.oneof(
        fc.string({ maxLength: 30 }),
        fc.constantFrom(
          'iban',
          'bank_swift',
          'cbu',
          'clabe',
          'schema',
          'label',
          '__proto__',
          'constructor',
          'CBU',
        ),
      ),
      fc.string(),
    ],
    RUNS,
  )(
    'a field that is not one of its method is refused with its path and unknown_field',
    (body, key, value) => {
      const allowed = new Set<string>([
        ...BODY_HEAD_FIELDS,
        ...PAYMENT_METHOD_FIELDS[body.payment_method as PaymentMethod],
      ]);
      fc.pre(!allowed.has(key));
      const withUnknown = JSON.parse(JSON.stringify({ ...body, [key]: value })) as unknown; // as the wire gives it: __proto__ is a key
      expect(create(withUnknown)._unsafeUnwrapErr()).toMatchObject({
        type: 'InvalidField',
        code: 'invalid_field',
        entity: 'withdrawal_instruction',
        field: ['body', key],
        reason: 'unknown_field',
      });
    },
  );

  it('a third_party body has no bank fields; a domestic_bank body has no international ones', () => {
    const head = { country: 'AR', currency: 'ARS' };
    expect(
      create({ ...head, payment_method: 'third_party', cbu: settles.AR.cbu })._unsafeUnwrapErr(),
    ).toMatchObject({ field: ['body', 'cbu'], reason: 'unknown_field' });
    expect(
      create({ ...head, payment_method: 'domestic_bank', bank_swift: TEST_BIC })._unsafeUnwrapErr(),
    ).toMatchObject({ field: ['body', 'bank_swift'], reason: 'unknown_field' });
    expect(create({ ...head, payment_method: 'international_bank', bank_swift: TEST_BIC }).isOk()).toBe(true);
  });

  test.prop([arbBody, fc.constantFrom(...BODY_HEAD_FIELDS)], RUNS)(
    'payment_method, country and currency are required: one missing is refused at its path',
    (body, missing) => {
      const { [missing]: _, ...rest } = body;
      const error = create(rest)._unsafeUnwrapErr();
      expect(error).toMatchObject({ field: ['body', missing], reason: 'missing_field' });
    },
  );

  test.prop(
    [
      arbBody,
      fc.constantFrom(...BODY_HEAD_FIELDS),
      fc.constantFrom('bank_transfer', 'AR ', 'ARG', 'XXX', 'peso', '', 'Domestic_Bank', 'BR'),
    ],
    RUNS,
  )(
    'a payment method, country or currency not in the published lists is refused at its path',
    (body, field, value) => {
      const error = create({ ...body, [field]: value })._unsafeUnwrapErr();
      expect(error).toMatchObject({ field: ['body', field], reason: 'unsupported_value' });
    },
  );

  test.prop(
    [
      arbBody,
      fc.constantFrom(...PAYMENT_METHOD_FIELDS.international_bank, ...BODY_HEAD_FIELDS),
      fc.oneof(fc.integer(), fc.boolean(), fc.array(fc.string()), fc.object(), fc.double()),
    ],
    RUNS,
  )('a field that is not a string is refused at its path with invalid_type', (body, field, value) => {
    fc.pre(
      (BODY_HEAD_FIELDS as readonly string[]).includes(field) ||
        (PAYMENT_METHOD_FIELDS[body.payment_method as PaymentMethod] as readonly string[]).includes(field),
    );
    const error = create({ ...body, [field]: value })._unsafeUnwrapErr();
    expect(error).toMatchObject({ field: ['body', field], reason: 'invalid_type' });
  });

  const TEXT_FIELDS = PAYMENT_METHOD_FIELDS.international_bank.filter(
    (field) => INSTRUCTION_FIELD_RULES[field].kind !== 'identifier',
  );

  test.prop(
    [arbBodyOf('international_bank'), fc.constantFrom(...TEXT_FIELDS), fc.integer({ min: 1, max: 2_000 })],
    RUNS,
  )(
    'text longer than its field allows is refused at its path with too_long; blank text with empty',
    (body, field, extra) => {
      const rule = INSTRUCTION_FIELD_RULES[field];
      const max = rule.kind === 'identifier' ? 0 : rule.maxLength;
      expect(create({ ...body, [field]: '7'.repeat(max + extra) })._unsafeUnwrapErr()).toMatchObject({
        field: ['body', field],
        reason: 'too_long',
      });
      expect(create({ ...body, [field]: ' '.repeat(extra % 4) })._unsafeUnwrapErr()).toMatchObject({
        field: ['body', field],
        reason: 'empty',
      });
    },
  );

  test.prop([arbBodyOf('domestic_bank'), fc.constantFrom('12/34', 'ñandú', '12.34', '#1', '-12')], RUNS)(
    'an account number holds letters, digits, spaces and dashes only',
    (body, number) => {
      expect(create({ ...body, bank_account_number: number })._unsafeUnwrapErr()).toMatchObject({
        field: ['body', 'bank_account_number'],
        reason: 'invalid_format',
      });
    },
  );

  test.prop([arbBody, fc.integer({ min: INSTRUCTION_LABEL_MAX_LENGTH + 1, max: 1_000 })], RUNS)(
    'a label longer than 100 characters is refused at label; no label is null',
    (body, length) => {
      expect(create(body, 'x'.repeat(length))._unsafeUnwrapErr()).toMatchObject({
        field: ['label'],
        reason: 'too_long',
      });
      expect(create(body, null)._unsafeUnwrap().label).toBeNull();
    },
  );

  test.prop([fc.oneof(fc.anything(), fc.string(), fc.array(fc.anything()))], RUNS)(
    'a body that is not an object is refused at body with invalid_type',
    (body) => {
      fc.pre(typeof body !== 'object' || body === null || Array.isArray(body));
      expect(create(body)._unsafeUnwrapErr()).toMatchObject({ field: ['body'], reason: 'invalid_type' });
    },
  );

  const arbMalformedBody = fc.oneof(
    fc.anything(),
    fc.dictionary(
      fc.oneof(
        fc.constantFrom(...BODY_HEAD_FIELDS, ...PAYMENT_METHOD_FIELDS.international_bank),
        fc.string(),
      ),
      fc.oneof(fc.anything(), fc.string({ unit: 'binary' }), fc.constantFrom(...PAYMENT_METHODS)),
    ),
    arbBody.chain((body) =>
      fc
        .dictionary(fc.constantFrom(...Object.keys(body)), fc.anything())
        .map((broken) => ({ ...body, ...broken })),
    ),
  );

  test.prop([arbMalformedBody, fc.anything()], { numRuns: 1_000 })(
    'malformed input never throws: an instruction, or a refusal at label, body or a field of it, with a stable reason',
    (body, label) => {
      const result = create(body, label as string);
      if (result.isOk()) return;
      const { field, reason } = result.error as { field: readonly string[]; reason: string };
      expect(['label', 'body']).toContain(field[0]);
      expect(field.length).toBeLessThanOrEqual(2);
      expect([
        'missing_field',
        'unknown_field',
        'invalid_type',
        'empty',
        'too_long',
        'unsupported_value',
        'invalid_format',
        'invalid_length',
        'invalid_component',
        'invalid_check_digit',
      ]).toContain(reason);
    },
  );
});

describe('the published examples', () => {
  // bitex-js fixtures/funding/create_withdrawal_instructions.json (recorded from the real API, 2018-12).
  const WI_CREATE = {
    name: 'John Doe',
    city: 'Buenos Aires',
    phone: '12341234',
    cuit: '12341234',
    address: 'My Address 123',
    bank: 'hsbc',
    bank_account_number: '12341234',
    cbu: '1234123412341234',
    account_type: 'savings',
    currency: 'ARS',
    country: 'AR',
    payment_method: 'domestic_bank',
  };
  // bitex-js fixtures/funding/get_withdrawal_instructions.json, first item.
  const WI_LIST = {
    name: 'nico',
    city: 'caba',
    phone: '12341234',
    address: 'calle falsa 123',
    postal_code: '1234',
    bank_account_number: '1234123412341234',
    account_type: 'savings',
    bank: 'lalala bank',
    bank_swift: '1234123412341234',
    bank_city: 'santiago',
    bank_address: 'calle falsa 321',
    bank_postal_code: '1234',
    currency: 'CLP',
    payment_method: 'international_bank',
    country: 'OTHER',
  };
  // The 2019 guide's output example (concierge/outputs.md), an included instruction.
  const OUTPUT_EXAMPLE = {
    payment_method: 'international_bank',
    country: 'US',
    account_type: 'checking',
    name: 'bob',
    city: 'buenos aires',
    bank: 'standard chartered',
    currency: 'USD',
  };

  it('have the published shape: with identifiers that pass their checks, each is accepted as it is', () => {
    expect(create(OUTPUT_EXAMPLE)._unsafeUnwrap().body).toEqual(OUTPUT_EXAMPLE);
    const wiCreate = { ...WI_CREATE, cbu: settles.AR.cbu, cuit: settles.AR.cuit };
    expect(create(wiCreate, 'Local Bank')._unsafeUnwrap().body).toEqual(wiCreate);
    const wiList = { ...WI_LIST, bank_swift: TEST_BIC };
    expect(create(wiList, 'internacional')._unsafeUnwrap().body).toEqual(wiList);
  });

  it('carry placeholder identifiers that SPEC section 5 refuses, each at its field', () => {
    expect(create(WI_CREATE)._unsafeUnwrapErr()).toMatchObject({
      field: ['body', 'cbu'],
      reason: 'invalid_length',
    });
    expect(create({ ...WI_CREATE, cbu: settles.AR.cbu })._unsafeUnwrapErr()).toMatchObject({
      field: ['body', 'cuit'],
      reason: 'invalid_length',
    });
    expect(create(WI_LIST)._unsafeUnwrapErr()).toMatchObject({
      field: ['body', 'bank_swift'],
      reason: 'invalid_length',
    });
  });

  it('responses carry schema "bitex"', () => {
    expect(WITHDRAWAL_INSTRUCTION_SCHEMA).toBe('bitex');
  });
});
