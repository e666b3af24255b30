import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { complianceEvent } from '../events.js';
import { propertyTest } from '../testing/index.js';
import {
  COMPLIANCE_STATES,
  type ComplianceState,
  compliancePaymentVerdict,
  createUser,
  EMAIL_MAX_LENGTH,
  USER_NAME_MAX_LENGTH,
} from './user.js';

const test = propertyTest(it);
const RUNS = { numRuns: 300 };

/** SPEC sections 1 and 4: a user, its published compliance states, and what they do to payments. */

const arbState = fc.constantFrom(...COMPLIANCE_STATES);
const arbEmail = fc.emailAddress().filter((email) => email.length <= EMAIL_MAX_LENGTH);
const CONTROL = /(?![\t\n\r])\p{Cc}/u;
const arbName = fc
  .string({ minLength: 1, maxLength: USER_NAME_MAX_LENGTH, unit: 'grapheme' })
  .filter((name) => name.trim() !== '' && !CONTROL.test(name) && [...name].length <= USER_NAME_MAX_LENGTH);

describe('compliance states', () => {
  it('are the published ones, in the published order (users/states_summary.md)', () => {
    expect(COMPLIANCE_STATES).toEqual(['new', 'enabled', 'disabled', 'rejected']);
  });

  test.prop([arbState], RUNS)(
    'enabled lets payments proceed, rejected refuses them, new and disabled keep them waiting',
    (state) => {
      const expected = { enabled: 'proceed', rejected: 'refuse', new: 'wait', disabled: 'wait' } as const;
      expect(compliancePaymentVerdict(state)).toBe(expected[state]);
    },
  );

  test.prop([arbState, arbState, fc.nat()], RUNS)(
    'a change to disabled is a user_disabled event, a change to enabled a user_enabled one (SPEC section 8); nothing else is',
    (from, to, at) => {
      const event = complianceEvent(from, to, 'u1', at);
      if (from !== to && (to === 'disabled' || to === 'enabled')) {
        expect(event).toEqual({ eventType: `user_${to}`, resource: 'user', resourceId: 'u1', at });
      } else expect(event).toBeNull();
    },
  );
});

describe('createUser', () => {
  test.prop([fc.string(), arbState], RUNS)(
    'a user with no attributes (as the published guide creates one) has no email and no name',
    (id, complianceState) => {
      expect(createUser({ id, complianceState })._unsafeUnwrap()).toEqual({
        id,
        email: null,
        name: null,
        complianceState,
      });
      expect(createUser({ id, email: null, name: null, complianceState }).isOk()).toBe(true);
    },
  );

  test.prop([arbEmail, fc.option(arbName, { nil: undefined }), arbState], RUNS)(
    'a plausible email and a name are kept as given, with the state it was created in',
    (email, name, complianceState) => {
      const user = createUser({ id: 'u1', email, name, complianceState })._unsafeUnwrap();
      expect(user).toEqual({ id: 'u1', email, name: name ?? null, complianceState });
    },
  );

  test.prop([fc.string({ maxLength: 300 }).filter((s) => !s.includes('@'))], RUNS)(
    'text without an @ is not an email address: refused at email',
    (email) => {
      const error = createUser({ id: 'u1', email, complianceState: 'new' })._unsafeUnwrapErr();
      expect(error).toMatchObject({
        type: 'InvalidField',
        code: 'invalid_field',
        entity: 'user',
        field: ['email'],
      });
      expect(['invalid_format', 'empty', 'too_long']).toContain(error.reason);
    },
  );

  test.prop(
    [
      fc.constantFrom(
        'payee@',
        '@example.com',
        'payee@example',
        'payee@@example.com',
        'pay ee@example.com',
        'payee@exa_mple.com',
        '.payee@example.com',
        'pay..ee@example.com',
        'payee@-example.com',
        'payee@example.123',
        ' payee@example.com',
      ),
    ],
    RUNS,
  )('an implausible address is refused at email with invalid_format', (email) => {
    const error = createUser({ id: 'u1', email, complianceState: 'new' })._unsafeUnwrapErr();
    expect(error).toMatchObject({ field: ['email'], reason: 'invalid_format' });
  });

  test.prop([fc.integer({ min: EMAIL_MAX_LENGTH + 1, max: 2_000 })], RUNS)(
    'an address longer than 254 characters is refused at email with too_long',
    (length) => {
      const email = `${'a'.repeat(length - '@example.com'.length)}@example.com`;
      const error = createUser({ id: 'u1', email, complianceState: 'new' })._unsafeUnwrapErr();
      expect(error).toMatchObject({ field: ['email'], reason: 'too_long' });
    },
  );

  test.prop([fc.integer({ min: 1, max: 64 }), fc.integer({ min: 1, max: 60 })], RUNS)(
    'an address of at most 254 characters with a 64-character local part at most is accepted',
    (localLength, labelLength) => {
      const email = `${'a'.repeat(localLength)}@${'b'.repeat(labelLength)}.example.com`;
      expect(createUser({ id: 'u1', email, complianceState: 'new' }).isOk()).toBe(true);
    },
  );

  test.prop([fc.integer({ min: USER_NAME_MAX_LENGTH + 1, max: 1_000 })], RUNS)(
    'a name longer than its limit is refused at name with too_long; a blank one with empty',
    (length) => {
      expect(
        createUser({ id: 'u1', name: 'é'.repeat(length), complianceState: 'new' })._unsafeUnwrapErr(),
      ).toMatchObject({ field: ['name'], reason: 'too_long' });
      expect(
        createUser({ id: 'u1', name: ' '.repeat(length % 5), complianceState: 'new' })._unsafeUnwrapErr(),
      ).toMatchObject({ field: ['name'], reason: 'empty' });
    },
  );

  it('counts characters, not UTF-16 units: 200 emoji make a name of 200 characters', () => {
    expect(createUser({ id: 'u1', name: '🙂'.repeat(200), complianceState: 'new' }).isOk()).toBe(true);
    expect(
      createUser({ id: 'u1', name: '🙂'.repeat(201), complianceState: 'new' })._unsafeUnwrapErr(),
    ).toMatchObject({ field: ['name'], reason: 'too_long' });
  });

  test.prop([fc.anything(), fc.anything(), fc.anything()], RUNS)(
    'malformed input never throws: it is a user or a refusal that names email, name or compliance_state',
    (email, name, complianceState) => {
      const result = createUser({
        id: 'u1',
        email: email as string,
        name: name as string,
        complianceState: complianceState as ComplianceState,
      });
      if (result.isOk()) {
        expect(COMPLIANCE_STATES).toContain(result.value.complianceState);
        return;
      }
      expect(result.error.type).toBe('InvalidField');
      expect([['email'], ['name'], ['compliance_state']]).toContainEqual(result.error.field);
    },
  );

  test.prop([fc.string().filter((s) => !(COMPLIANCE_STATES as readonly string[]).includes(s))], RUNS)(
    'a compliance state that is not a published one is refused at compliance_state',
    (state) => {
      const error = createUser({ id: 'u1', complianceState: state as ComplianceState })._unsafeUnwrapErr();
      expect(error).toMatchObject({ field: ['compliance_state'], reason: 'unsupported_value' });
    },
  );
});
