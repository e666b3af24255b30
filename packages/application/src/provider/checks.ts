import {
  acceptanceChecks,
  amountInDestination,
  type CheckVerdict,
  findActivePort,
  type Output,
  type OutputPrice,
  type Request,
  stepOutputs,
} from '@concierge-ts/domain';
import { err, ok } from 'neverthrow';
import type { ConciergeError } from '../gateway/errors.js';
import type { ProviderContext, ServiceResult } from './context.js';
import { moveOutput } from './outputs.js';
import type { CheckMove } from './scheduler.js';
import { applyDomain, COMMIT_PART } from './unit-of-work.js';

/**
 * The acceptance checks (SPEC section 4) that move an `accepting` output to `accepted` or
 * `rejected`: run `checksAfterMs` after the output's creation (a timed move), and again
 * for the outputs of a payee whose compliance state changed.
 */

/**
 * The checks of a request's outputs that are still accepting, due now: those that pass
 * move together, part by part; failures one by one with their reason; those whose payee
 * is `new` or `disabled` wait for its compliance state to change. An output that cannot be
 * checked stays accepting and the others go on; the first such failure is the answer.
 */
export const runChecksOf = (
  p: ProviderContext,
  requestId: string,
  moves: readonly CheckMove[],
): ServiceResult<void> => {
  let failure: ConciergeError | undefined;
  const passed: Output[] = [];
  for (const move of moves)
    for (const id of move.outputIds) {
      const output = p.repos.outputs.get(id);
      const request = p.repos.requests.get(requestId);
      if (!request || output?.state !== 'accepting') continue;
      const verdict = verdictFor(p, request, output);
      if (verdict.isErr()) {
        // The pricing source failed: the output stays accepting, checked again on its next review.
        failure ??= verdict.error;
        continue;
      }
      switch (verdict.value.kind) {
        case 'pass':
          passed.push(output);
          break;
        case 'fail': {
          const rejected = moveOutput(p, request, output, 'fail_checks', verdict.value.reason);
          if (rejected.isErr()) failure ??= rejected.error;
          break;
        }
        case 'wait':
          break;
        default:
          verdict.value satisfies never;
      }
      if (passed.length === COMMIT_PART) {
        const accepted = passChecks(p, requestId, passed.splice(0));
        if (accepted.isErr()) failure ??= accepted.error;
      }
    }
  const accepted = passed.length > 0 ? passChecks(p, requestId, passed) : ok(undefined);
  if (accepted.isErr()) failure ??= accepted.error;
  return failure === undefined ? ok(undefined) : err(failure);
};

/**
 * Accepts outputs that passed their checks, together. Each was read accepting in this
 * turn and nothing else moved it since, so the domain has no reason to refuse the step.
 */
const passChecks = (
  p: ProviderContext,
  requestId: string,
  outputs: readonly Output[],
): ServiceResult<void> => {
  const request = p.repos.requests.get(requestId);
  if (!request) return ok(undefined);
  return applyDomain(p, stepOutputs(request, outputs, 'pass_checks', p.time.now())).map(() => undefined);
};

/** Runs the checks of one output, if it is still accepting, and applies the verdict. */
export const runChecks = (p: ProviderContext, outputId: string): ServiceResult<void> => {
  const output = p.repos.outputs.get(outputId);
  const request = output && p.repos.requests.get(output.requestId);
  if (!output || !request || output.state !== 'accepting') return ok(undefined);
  return verdictFor(p, request, output).andThen((verdict) => {
    switch (verdict.kind) {
      case 'wait':
        return ok(undefined);
      case 'pass':
        return moveOutput(p, request, output, 'pass_checks');
      case 'fail':
        return moveOutput(p, request, output, 'fail_checks', verdict.reason);
      default:
        return verdict satisfies never;
    }
  });
};

/** The checks' verdict for an output of `request`, new or accepting. */
const verdictFor = (
  p: ProviderContext,
  request: Request,
  output: Pick<Output, 'payeeId' | 'withdrawalInstructionId' | 'portCode' | 'target'> & {
    readonly price?: OutputPrice | null;
  },
): ServiceResult<CheckVerdict> => {
  const payee = p.repos.users.get(output.payeeId);
  const instruction = p.repos.withdrawalInstructions.get(output.withdrawalInstructionId);
  const catalog = p.catalog.catalog();
  const origin = findActivePort(catalog, request.portCode);
  const port = findActivePort(catalog, output.portCode);
  if (!payee || !instruction || origin.isErr() || port.isErr())
    return ok({ kind: 'fail', reason: 'instruction_mismatch' });
  // A sandbox magic value may reject the instruction whatever it holds (SPEC section 9).
  const forced = p.policy.instructionVerdict(instruction);
  if (forced) return ok({ kind: 'fail', reason: forced });
  let amount = output.price?.amount;
  if (!amount) {
    const quote = p.pricing.quote(origin.value, port.value);
    if (quote.isErr()) return err(quote.error);
    amount = amountInDestination(output.target, quote.value, port.value.currency);
  }
  return ok(
    acceptanceChecks({
      payee: { id: payee.id, complianceState: payee.complianceState },
      instruction: {
        userId: instruction.userId,
        country: instruction.body.country ?? '',
        currency: instruction.body.currency ?? '',
      },
      port: port.value,
      amount,
    }),
  );
};
