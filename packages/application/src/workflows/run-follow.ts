import { currencyOf, type OutputState } from '@concierge-ts/domain';
import { ok, type ResultAsync, safeTry } from 'neverthrow';
import { listAll } from './list-all.js';
import type { PayoutError } from './payout-error.js';
import type { ChunkRecord, RowRecord, RunRecord } from './payout-journal.js';
import { FINAL_ROW_STATES, type RowState } from './payout-run.js';
import { rowFromOutput } from './run-chunk.js';
import { minorUnits, moneyString, portCurrencyCode } from './run-money.js';
import { type PhaseResult, progress, type StepScope, serviceFailed, waitFor } from './run-scope.js';

/** Output states that are final, with the row state each one gives. */
const FINAL: readonly (OutputState & RowState)[] = ['settled', 'rejected', 'returned', 'cancelled'];

/** Accepted builds (each has its request) whose rows are not all final yet. */
export const buildsToFollow = (scope: StepScope): ChunkRecord[] =>
  scope.chunks.filter(
    (c) =>
      c.stage === 'accepted' &&
      scope.rows.some((r) => r.requestId === c.requestId && !FINAL_ROW_STATES.has(r.state)),
  );

/**
 * Follows accepted requests to their outputs' final states (SPEC 10.2.5): one read of
 * each request (its counters by state), and a list by state (`filter[request_id]`,
 * `filter[state]`, the largest page size) only where a counter says more outputs reached
 * a final state than the journal knows. Never one read per output. Also says how much
 * the payer must deposit while an accepted request waits for funds.
 */
export const follow = (scope: StepScope): ResultAsync<PhaseResult, PayoutError> =>
  safeTry(async function* () {
    const { client } = scope.ctx;
    const builds = buildsToFollow(scope);
    if (builds.length === 0) return ok({ step: 'follow', next: 'done', waitMs: 0 } as PhaseResult);
    const at = scope.at();
    const rows: RowRecord[] = [];
    const chunks: ChunkRecord[] = [];
    let fundsLost: string | null = null;
    for (const build of builds) {
      const request = yield* client.requests
        .get(build.requestId as string)
        .mapErr(serviceFailed(`reading ${build.externalId}`));
      const mine = scope.rows.filter((r) => r.requestId === request.id);
      for (const state of FINAL) {
        const known = mine.filter((r) => r.state === state).length;
        if (request.counters[state] <= known) continue;
        const outputs = yield* listAll((page) =>
          client.outputs.list({ requestId: request.id, state, page }),
        ).mapErr(serviceFailed(`listing the ${state} outputs of ${build.externalId}`));
        const byOutput = new Map(mine.map((r) => [r.outputId, r]));
        for (const output of outputs) {
          const row = byOutput.get(output.id);
          if (row !== undefined && row.state !== state) rows.push(rowFromOutput(row, output, at));
        }
      }
      if (request.state !== build.requestState)
        chunks.push({ ...build, requestState: request.state, updatedAt: at });
      if (request.state === 'cancelled' && request.cancellationReason === 'payment_not_received')
        fundsLost = `funds were not provided in time: request ${request.id} (${build.externalId}) was cancelled (payment_not_received)`;
    }
    const waiting = [
      ...scope.chunks.filter((c) => !chunks.some((d) => d.chunk === c.chunk && d.attempt === c.attempt)),
      ...chunks,
    ].filter((c) => c.stage === 'accepted' && c.requestState === 'quote_accepted');
    const funds = waiting.length === 0 ? null : yield* fundsNeeded(scope, waiting);
    const stop = fundsLost !== null && scope.run.state !== 'stopped' && scope.run.state !== 'cancelled';
    yield* scope.write({
      rows,
      chunks,
      run: {
        funds,
        ...(stop ? { state: 'stopped' as const, reason: fundsLost } : {}),
      },
    });
    const left = buildsToFollow(scope).length > 0;
    const moved = `follow: ${rows.length} newly final`;
    return ok(left ? waitFor(moved, scope.tuning.pollIntervalMs) : progress(moved));
  });

/** How much the payer must still deposit for the requests waiting for funds, and before when. */
const fundsNeeded = (
  scope: StepScope,
  waiting: readonly ChunkRecord[],
): ResultAsync<RunRecord['funds'], PayoutError> => {
  const code = portCurrencyCode(scope.run.originPort) ?? '';
  return scope.ctx.client.users
    .get(scope.run.payerId)
    .mapErr(serviceFailed('reading the payer'))
    .map((payer) => {
      const scale = currencyOf(code)
        .map((c) => c.exponent)
        .unwrapOr(2);
      const have = payer.balances[code.toLowerCase()]?.amount ?? 0n;
      const need = waiting.reduce((sum, c) => sum + minorUnits(c.quoteTotal ?? '0', scale), 0n);
      const missing = need - have;
      if (missing <= 0n) return null;
      const before = waiting
        .map((c) => c.provisionFundsBefore)
        .filter((b): b is string => b !== null)
        .sort()[0];
      return {
        amount: moneyString({ amount: missing, currency: code, scale }),
        currency: code,
        before: before ?? '',
      };
    });
};
