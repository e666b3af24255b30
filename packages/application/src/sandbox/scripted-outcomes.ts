import {
  isFinalRequestState,
  type Output,
  type OutputAction,
  type OutputState,
  stepOutputs,
} from '@concierge-ts/domain';
import { err, ok } from 'neverthrow';
import type { ConciergeError } from '../gateway/errors.js';
import type { OutputProgress, ProviderContext, ServiceResult } from '../provider/context.js';
import { returnCostOf } from '../provider/outputs.js';
import type { ProgressMove } from '../provider/scheduler.js';
import { applyDomain, COMMIT_PART } from '../provider/unit-of-work.js';
import type { OutcomeScript } from './policy.js';

/**
 * Scripted outcomes (SPEC section 9): a working output whose instruction the policy gives
 * a script moves on by itself, on the sandbox clock: issued (`settling`) `issueAfterMs`
 * after work starts, then settled or failed `settleAfterMs` later, a failed one retried or
 * given up `retryAfterMs` later, as its script says. With the sandbox's magic values every
 * instruction has one (any account that is no test identifier settles); an output whose
 * instruction has none (`NO_MAGIC`) waits for the operator. The provider calls these
 * through its `OutputProgress` port.
 */
export const scriptedOutcomes: OutputProgress = {
  started: (p, outputs) => planFirstStep(p, outputs),
  progress: (p, requestId, moves) => progressOf(p, requestId, moves),
};

/** The outcome scripts of instructions, each read once per batch of outputs. */
type Scripts = Map<string, OutcomeScript | null>;

/** Plans the first step of outputs that (re)started working, when an outcome is scripted. */
const planFirstStep = (p: ProviderContext, outputs: readonly Output[]): void => {
  let scripts: Scripts | undefined;
  for (const output of outputs) {
    if (output.state !== 'working') continue;
    scripts ??= new Map();
    if (scriptOf(p, output, scripts) === null) continue;
    p.scheduler.schedule(p.time.now() + p.timings.issueAfterMs, {
      kind: 'progress',
      requestId: output.requestId,
      outputIds: [output.id],
      attempts: [output.attempts],
    });
  }
};

/**
 * The next step of a request's scripted outputs, due now: working → settling (issued),
 * then settled or failed, a failed one retried or given up. Each step plans the next.
 * Outputs of a request taking the same step move together. A refused part is skipped (its
 * outputs stay where they are) and the others go on; the first refusal is the answer.
 */
const progressOf = (
  p: ProviderContext,
  requestId: string,
  moves: readonly ProgressMove[],
): ServiceResult<void> => {
  const scripts: Scripts = new Map();
  // The ids of the outputs taking each action, in order, in parts of COMMIT_PART: the
  // outputs are read again a part at a time rather than kept, and no list grows to the
  // million outputs that may move at one instant.
  const byAction = new Map<OutputAction, string[][]>();
  for (const move of moves)
    move.outputIds.forEach((id, index) => {
      const output = p.repos.outputs.get(id);
      // A retried output ignores a step planned for an earlier attempt.
      if (!output || output.attempts !== move.attempts[index]) return;
      const action = nextScriptedAction(p, output, scripts);
      if (action === null) return;
      const parts = byAction.get(action);
      const last = parts?.[parts.length - 1];
      if (!parts) byAction.set(action, [[id]]);
      else if (last && last.length < COMMIT_PART) last.push(id);
      else parts.push([id]);
    });
  let failure: ConciergeError | undefined;
  for (const [action, parts] of byAction)
    for (const ids of parts) {
      const request = p.repos.requests.get(requestId);
      if (!request || isFinalRequestState(request.state))
        return failure === undefined ? ok(undefined) : err(failure);
      const part = outputsOf(p, ids);
      const moved = applyDomain(
        p,
        stepOutputs(request, part, action, p.time.now(), {
          reason: 'refused_by_receiving_bank',
          returnCostOf: (o) => returnCostOf(p, o, action),
        }),
      );
      if (moved.isErr()) {
        failure ??= moved.error;
        continue;
      }
      // A retried output is working again: the unit of work planned it. The others wait for their next step.
      const next = action === 'issue' ? p.timings.settleAfterMs : p.timings.retryAfterMs;
      if (action === 'issue' || action === 'fail')
        p.scheduler.schedule(p.time.now() + next, {
          kind: 'progress',
          requestId,
          outputIds: moved.value.outputs.map((output) => output.id),
          attempts: moved.value.outputs.map((output) => output.attempts),
        });
    }
  return failure === undefined ? ok(undefined) : err(failure);
};

/** The outputs of `ids` as stored now (an id that no longer exists is left out). */
const outputsOf = (p: ProviderContext, ids: readonly string[]): Output[] => {
  const outputs: Output[] = [];
  for (const id of ids) {
    const output = p.repos.outputs.get(id);
    if (output) outputs.push(output);
  }
  return outputs;
};

/** What a scripted output does next from where it is, or null (unscripted: the operator decides). */
const nextScriptedAction = (p: ProviderContext, output: Output, scripts: Scripts): OutputAction | null => {
  const script = scriptOf(p, output, scripts);
  if (script === null) return null;
  const state: OutputState = output.state;
  switch (state) {
    case 'working':
      return 'issue';
    case 'settling':
      return script === 'settle' || (script === 'fail_once_then_settle' && output.attempts >= 2)
        ? 'settle'
        : 'fail';
    case 'failed':
      return script === 'fail_until_returned' && output.attempts >= p.maxAttempts ? 'give_up' : 'retry';
    case 'accepting':
    case 'accepted':
    case 'rejected':
    case 'settled':
    case 'returned':
    case 'cancelled':
      return null;
    default:
      return state satisfies never;
  }
};

const scriptOf = (p: ProviderContext, output: Output, scripts: Scripts): OutcomeScript | null => {
  let script = scripts.get(output.withdrawalInstructionId);
  if (script === undefined) {
    const instruction = p.repos.withdrawalInstructions.get(output.withdrawalInstructionId);
    script = instruction ? p.policy.outcomeScript(instruction) : null;
    scripts.set(output.withdrawalInstructionId, script);
  }
  return script;
};
