import type { OutcomeScript, SandboxPolicy, WithdrawalInstructionRecord } from '@concierge-ts/application';
import type { ComplianceStatus } from '@concierge-ts/domain';

/**
 * Magic values (SPEC section 9), like card-network test numbers: a test picks an
 * outcome by the data it sends, without operator calls.
 *
 * | what | value | outcome |
 * |---|---|---|
 * | user email, local part | contains `+pending` | compliance starts `pending` |
 * | user email, local part | contains `+rejected` | compliance starts `rejected` |
 * | user email | anything else | compliance starts `approved` |
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
  initialCompliance(email: string): ComplianceStatus {
    const local = email.split('@')[0] ?? '';
    if (local.includes('+rejected')) return 'rejected';
    if (local.includes('+pending')) return 'pending';
    return 'approved';
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
