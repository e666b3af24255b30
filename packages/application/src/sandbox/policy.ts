import type { ComplianceState, RejectionReason } from '@concierge-ts/domain';
import type { WithdrawalInstructionRecord } from '../provider/ports.js';

/** What a withdrawal instruction's account makes the sandbox do on its own. */
export type OutcomeScript = 'settle' | 'fail_once_then_settle' | 'fail_until_returned';

/**
 * Sandbox behaviour beyond the real service (SPEC section 9, magic values). The real
 * service's behaviour is `NO_MAGIC`.
 */
export interface SandboxPolicy {
  /** A new managed user's compliance state; `email` is null when it was created without one. */
  initialCompliance(email: string | null): ComplianceState;
  /** A forced rejection for outputs paid to this instruction, if any. */
  instructionVerdict(instruction: WithdrawalInstructionRecord): RejectionReason | null;
  /** What happens to a working output paid to this instruction without an operator. */
  outcomeScript(instruction: WithdrawalInstructionRecord): OutcomeScript | null;
}

export const NO_MAGIC: SandboxPolicy = {
  initialCompliance: () => 'enabled',
  instructionVerdict: () => null,
  outcomeScript: () => null,
};
