import { describe, expect, it } from 'vitest';
import { type ComplianceState, createUser } from './user.js';

/**
 * SPEC section 1 (a user's email, name and compliance state) and section 5 (a refusal names
 * the attribute and the check that failed). The addresses below follow RFC 5321 and 5322:
 * a mailbox name of at most 64 characters, a path of at most 254, a domain whose top-level
 * label is not all digits (RFC 3696 section 2).
 */

const emailRefusal = (email: string) => {
  const error = createUser({ id: 'u1', email, complianceState: 'new' })._unsafeUnwrapErr();
  return { field: error.field, reason: error.type === 'InvalidField' ? error.reason : error.type };
};
const emailKept = (email: string) =>
  createUser({ id: 'u1', email, complianceState: 'new' })._unsafeUnwrap().email;

describe('email', () => {
  it('an empty email is empty', () => {
    expect(emailRefusal('')).toEqual({ field: ['email'], reason: 'empty' });
  });

  it('an address of 254 characters is accepted; of 255, too long', () => {
    const at254 = `${'a'.repeat(64)}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(61)}`;
    const at255 = `${'a'.repeat(64)}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(62)}`;
    expect(at254).toHaveLength(254);
    expect(emailKept(at254)).toBe(at254);
    expect(emailRefusal(at255)).toEqual({ field: ['email'], reason: 'too_long' });
  });

  it('a domain name without a mailbox and an @ is not an address', () => {
    expect(emailRefusal('payee.example.com')).toEqual({ field: ['email'], reason: 'invalid_format' });
  });

  it('a mailbox name has 1 to 64 characters', () => {
    expect(emailKept(`${'a'.repeat(64)}@example.com`)).toBe(`${'a'.repeat(64)}@example.com`);
    expect(emailRefusal(`${'a'.repeat(65)}@example.com`)).toEqual({
      field: ['email'],
      reason: 'invalid_format',
    });
    expect(emailRefusal('@example.com')).toEqual({ field: ['email'], reason: 'invalid_format' });
  });

  it('a top-level label may hold digits but not only digits', () => {
    expect(emailKept('payee@example.a1')).toBe('payee@example.a1');
    expect(emailKept('payee@example.1a')).toBe('payee@example.1a');
    expect(emailRefusal('payee@192.168.0.1')).toEqual({ field: ['email'], reason: 'invalid_format' });
    expect(emailRefusal('payee@example.123')).toEqual({ field: ['email'], reason: 'invalid_format' });
  });
});

describe('compliance_state', () => {
  it('a state that is not text is the wrong type; text that is not a published state is unsupported', () => {
    const refusal = (complianceState: unknown) =>
      createUser({ id: 'u1', complianceState: complianceState as ComplianceState })._unsafeUnwrapErr();
    expect(refusal(5)).toMatchObject({ field: ['compliance_state'], reason: 'invalid_type' });
    expect(refusal(null)).toMatchObject({ field: ['compliance_state'], reason: 'invalid_type' });
    expect(refusal('suspended')).toMatchObject({ field: ['compliance_state'], reason: 'unsupported_value' });
  });
});
