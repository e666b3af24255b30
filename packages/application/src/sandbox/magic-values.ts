import type { ComplianceState } from '@concierge-ts/domain';
import type { WithdrawalInstructionRecord } from '../provider/ports.js';
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
 * | instruction account number | ends in `0000` | settles by itself once working |
 * | instruction account number | ends in `0002` | output rejected (`instruction_mismatch`) |
 * | instruction account number | ends in `0004` | fails once, then settles |
 * | instruction account number | ends in `0006` | fails until it is returned |
 * | instruction account number | anything else | waits for the operator |
 */
export const MAGIC_ACCOUNT_SUFFIXES = {
  settles: '0000',
  rejected: '0002',
  failsOnceThenSettles: '0004',
  failsUntilReturned: '0006',
} as const;

/** The account number of an instruction: `account_number`, else `cbu`, `clabe` or `iban`. */
export const accountNumberOf = (instruction: WithdrawalInstructionRecord): string =>
  instruction.body.account_number ??
  instruction.body.cbu ??
  instruction.body.clabe ??
  instruction.body.iban ??
  '';

export const MAGIC_VALUES: SandboxPolicy = {
  initialCompliance(email: string | null): ComplianceState {
    const local = (email ?? '').split('@')[0] ?? '';
    if (local.includes('+rejected')) return 'rejected';
    if (local.includes('+disabled')) return 'disabled';
    if (local.includes('+new')) return 'new';
    return 'enabled';
  },
  instructionVerdict(instruction) {
    return accountNumberOf(instruction).endsWith(MAGIC_ACCOUNT_SUFFIXES.rejected)
      ? 'instruction_mismatch'
      : null;
  },
  outcomeScript(instruction): OutcomeScript | null {
    const account = accountNumberOf(instruction);
    if (account.endsWith(MAGIC_ACCOUNT_SUFFIXES.settles)) return 'settle';
    if (account.endsWith(MAGIC_ACCOUNT_SUFFIXES.failsOnceThenSettles)) return 'fail_once_then_settle';
    if (account.endsWith(MAGIC_ACCOUNT_SUFFIXES.failsUntilReturned)) return 'fail_until_returned';
    return null;
  },
};
