import { err, ok, type Result } from 'neverthrow';
import { type FieldError, invalidField, showValue } from '../errors.js';
import { checkText } from '../text.js';

/**
 * A user's `compliance_state`, with the published names (SPEC section 1): `new` (just
 * created, under review), `enabled` (may be paid and may pay), `disabled` (temporarily
 * suspended: their payments wait), `rejected` (permanently suspended).
 */
export const COMPLIANCE_STATES = ['new', 'enabled', 'disabled', 'rejected'] as const;
export type ComplianceState = (typeof COMPLIANCE_STATES)[number];

export const isComplianceState = (value: unknown): value is ComplianceState =>
  typeof value === 'string' && (COMPLIANCE_STATES as readonly string[]).includes(value);

/**
 * What a payee's compliance state does to a payment to them (SPEC section 4, check 1):
 * it proceeds, it waits until the state changes, or it is refused (`compliance_rejected`).
 */
export type CompliancePaymentVerdict = 'proceed' | 'wait' | 'refuse';

export const COMPLIANCE_PAYMENT_VERDICTS = {
  new: 'wait',
  enabled: 'proceed',
  disabled: 'wait',
  rejected: 'refuse',
} as const satisfies Record<ComplianceState, CompliancePaymentVerdict>;

export const compliancePaymentVerdict = (state: ComplianceState): CompliancePaymentVerdict =>
  COMPLIANCE_PAYMENT_VERDICTS[state];

/** The longest email address there is (RFC 5321: a 256-octet path less its angle brackets). */
export const EMAIL_MAX_LENGTH = 254;
export const USER_NAME_MAX_LENGTH = 200;

/** A person or company managed by a master user (SPEC section 1). Balances are kept apart. */
export interface User {
  readonly id: string;
  readonly email: string | null;
  readonly name: string | null;
  readonly complianceState: ComplianceState;
}

export interface NewUser {
  /** From the service's id source: the domain makes no ids. */
  readonly id: string;
  /** Optional: the published guide creates a user with no attributes. */
  readonly email?: string | null | undefined;
  readonly name?: string | null | undefined;
  /** Decided by whoever creates the user (the sandbox, from magic emails). */
  readonly complianceState: ComplianceState;
}

// RFC 5322 dot-atom for the local part; a domain of at least two DNS labels whose last one
// is not all digits (an address at an IP literal is not a plausible payee's).
const LOCAL_PART = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
const DOMAIN_LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

type EmailRefusal = {
  readonly reason: 'invalid_type' | 'empty' | 'too_long' | 'invalid_format';
  why: string;
};

/** A plausible email address, at most 254 characters; kept as given. Never throws. */
export const checkEmail = (value: unknown): Result<string, EmailRefusal> => {
  if (typeof value !== 'string') return err({ reason: 'invalid_type', why: 'expected a string' });
  if (value === '') return err({ reason: 'empty', why: 'it must not be empty' });
  if (value.length > EMAIL_MAX_LENGTH)
    return err({ reason: 'too_long', why: `at most ${EMAIL_MAX_LENGTH} characters` });
  const format = (why: string) => err({ reason: 'invalid_format' as const, why });
  const at = value.lastIndexOf('@');
  if (at < 0) return format('expected an address such as payee@example.com');
  const local = value.slice(0, at);
  const domain = value.slice(at + 1);
  if (local.length > 64 || !LOCAL_PART.test(local)) return format('the part before @ is not a mailbox name');
  const labels = domain.split('.');
  const last = domain.slice(domain.lastIndexOf('.') + 1);
  if (labels.length < 2 || !labels.every((label) => DOMAIN_LABEL.test(label)) || /^\d+$/.test(last))
    return format('the part after @ is not a domain name');
  return ok(value);
};

/** Builds a user from input that may come from the wire: a refusal names the attribute and the check. */
export const createUser = (input: NewUser): Result<User, FieldError> => {
  const { email, name, complianceState } = input;
  let checkedEmail: string | null = null;
  if (email !== undefined && email !== null) {
    const checked = checkEmail(email);
    if (checked.isErr())
      return err(
        invalidField('user', ['email'], checked.error.reason, `${showValue(email)}: ${checked.error.why}`),
      );
    checkedEmail = checked.value;
  }
  let checkedName: string | null = null;
  if (name !== undefined && name !== null) {
    const checked = checkText(name, USER_NAME_MAX_LENGTH);
    if (checked.isErr())
      return err(
        invalidField('user', ['name'], checked.error.reason, `${showValue(name)}: ${checked.error.why}`),
      );
    checkedName = checked.value;
  }
  if (!isComplianceState(complianceState))
    return err(
      invalidField(
        'user',
        ['compliance_state'],
        typeof complianceState === 'string' ? 'unsupported_value' : 'invalid_type',
        `${showValue(complianceState)}: expected one of ${COMPLIANCE_STATES.join(', ')}`,
      ),
    );
  return ok({ id: input.id, email: checkedEmail, name: checkedName, complianceState });
};
