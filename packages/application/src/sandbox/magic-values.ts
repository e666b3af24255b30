import {
  type ComplianceState,
  INSTRUCTION_COUNTRIES,
  type InstructionCountry,
  TEST_IDENTIFIERS,
  type TestOutcome,
  testOutcomeOf,
} from '@concierge-ts/domain';
import type { OutcomeScript, SandboxPolicy } from './policy.js';

/**
 * Magic values (SPEC section 9), like card-network test numbers: a test picks an
 * outcome by the data it sends, without operator calls.
 *
 * | what | value | outcome |
 * |---|---|---|
 * | user email, local part | contains `+new` | `compliance_state` starts `new` |
 * | user email, local part | contains `+disabled` | `compliance_state` starts `disabled` |
 * | user email, local part | contains `+rejected` | `compliance_state` starts `rejected` |
 * | user email | anything else, or none | `compliance_state` starts `enabled` |
 * | instruction identifiers | a row of `TEST_IDENTIFIERS` for its country | that row's outcome |
 * | instruction identifiers | anything else (they passed their checks) | settles by itself |
 *
 * The test identifiers are documented account identifiers that pass their country's
 * checks (the domain's `TEST_IDENTIFIERS`); an instruction names an outcome when its body
 * carries every identifier of that outcome's row for its country.
 */
export const MAGIC_VALUES: SandboxPolicy = {
  initialCompliance(email: string | null): ComplianceState {
    // Only the local part counts; a user created without an email starts enabled.
    const local = email?.split('@')[0];
    if (local?.includes('+rejected')) return 'rejected';
    if (local?.includes('+disabled')) return 'disabled';
    if (local?.includes('+new')) return 'new';
    return 'enabled';
  },
  instructionVerdict(instruction) {
    return testOutcomeOf(instruction.body) === 'rejected' ? 'instruction_mismatch' : null;
  },
  outcomeScript(instruction): OutcomeScript {
    const outcome = testOutcomeOf(instruction.body);
    switch (outcome) {
      case 'fails_once':
        return 'fail_once_then_settle';
      case 'fails_until_returned':
        return 'fail_until_returned';
      // A rejected one never works, unless the operator accepts it: then it settles.
      case 'rejected':
      case 'settles':
      case null:
        return 'settle';
      default:
        return outcome satisfies never;
    }
  },
};

/** What each outcome does, as the magic table says it. */
export const MAGIC_OUTCOMES: Readonly<Record<TestOutcome | 'any_other', string>> = {
  settles: 'settles by itself once working: issued 10 minutes into work, settled 1 hour later',
  rejected:
    'the output is rejected (instruction_mismatch) when its checks run, 2 seconds after it is created',
  fails_once:
    'fails 1 hour 10 minutes into work, is retried 10 minutes later, then settles (2 hours 30 minutes in)',
  fails_until_returned:
    'fails at every attempt and is retried until it is returned: after 3 attempts, 4 hours in',
  any_other: 'any other identifier that passes its checks settles by itself, as settles does',
};

/** The countries of the magic table: those of the sandbox's ports (no port pays to OTHER). */
const MAGIC_COUNTRIES = INSTRUCTION_COUNTRIES.filter(
  (country): country is Exclude<InstructionCountry, 'OTHER'> => country !== 'OTHER',
);

/** The magic values as `GET /sandbox/magic` serves them: plain JSON. */
export interface MagicTable {
  /** Per country, per outcome, the body fields that pick it. */
  readonly withdrawal_instructions: Readonly<
    Record<string, Readonly<Record<TestOutcome, Readonly<Record<string, string>>>>>
  >;
  readonly outcomes: Readonly<Record<TestOutcome | 'any_other', string>>;
  /** What a new user's email, its local part containing the key, makes its `compliance_state`. */
  readonly emails: Readonly<Record<'+new' | '+disabled' | '+rejected', ComplianceState>>;
}

/** The table of magic values (SPEC section 9), built from the domain's test identifiers. */
export const magicTable = (): MagicTable => {
  const byCountry: Record<string, Record<TestOutcome, Readonly<Record<string, string>>>> = {};
  for (const country of MAGIC_COUNTRIES) {
    const row = (outcome: TestOutcome): Readonly<Record<string, string>> => ({
      ...TEST_IDENTIFIERS[outcome][country],
    });
    byCountry[country] = {
      settles: row('settles'),
      rejected: row('rejected'),
      fails_once: row('fails_once'),
      fails_until_returned: row('fails_until_returned'),
    };
  }
  return {
    withdrawal_instructions: byCountry,
    outcomes: MAGIC_OUTCOMES,
    emails: { '+new': 'new', '+disabled': 'disabled', '+rejected': 'rejected' },
  };
};
