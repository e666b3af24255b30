import { err, ok, type ResultAsync, safeTry } from 'neverthrow';
import { listAll } from './list-all.js';
import { type PayoutError, payoutError } from './payout-error.js';
import type { CallRecord, ChunkRecord, RowRecord } from './payout-journal.js';
import type { PayoutContext, RunStatus } from './payout-run.js';
import { accepting, isChunkDone } from './run-chunk.js';
import { loadSnapshot } from './run-queries.js';
import { classifyFailure, describe, StepScope, serviceFailed } from './run-scope.js';
import { statusOf } from './run-view.js';

const REASON = 'cancelled by the integrator';

/**
 * Cancels what is not yet accepted (SPEC 10.4 `cancel`): the run is marked cancelled
 * first (so no step commits anything more), then each open build's request is cancelled
 * (intent first) and its rows are `cancelled`. A request the service already shows as
 * accepted stays committed and is followed as usual.
 */
export const cancelRun = (ctx: PayoutContext, runId: string): ResultAsync<RunStatus, PayoutError> =>
  safeTry(async function* () {
    const scope = new StepScope(ctx, yield* loadSnapshot(ctx.journal, runId));
    if (scope.run.state === 'finished') return err(payoutError.runFinal(runId, `run ${runId} is finished`));
    if (scope.run.state !== 'cancelled')
      yield* scope.write({ run: { state: 'cancelled', reason: REASON, funds: null } });
    const open: ChunkRecord[] = [];
    for (let chunk = 1; chunk <= scope.chunkCount(); chunk += 1) {
      const build = scope.build(chunk);
      if (build !== undefined && !isChunkDone(build)) open.push(build);
    }
    for (const build of open) {
      // Every request under this build's external id: the one it adopted, and any late draft.
      const requests = yield* listAll((page) =>
        ctx.client.requests.list({ externalId: build.externalId, page }),
      ).mapErr(serviceFailed(`looking for ${build.externalId}`));
      let accepted = false;
      const calls: CallRecord[] = [];
      for (const request of requests.filter((r) => r.externalId === build.externalId)) {
        if (request.state === 'cancelled') continue;
        // Accepted, and possibly paid already: a finished request was accepted too.
        if (
          request.state === 'quote_accepted' ||
          request.state === 'working' ||
          request.state === 'finished'
        ) {
          accepted = accepted || request.id === build.requestId;
          continue;
        }
        const intent = scope.intent('cancel_request', `cancel/${build.externalId}/${request.id}`);
        yield* scope.write({ calls: [intent] });
        const cancelled = await ctx.client.requests.cancel(request.id);
        calls.push(
          cancelled.isOk()
            ? { ...intent, state: 'ok', resourceId: request.id, at: scope.at() }
            : {
                ...intent,
                state: classifyFailure(cancelled.error) === 'unknown' ? 'unknown' : 'refused',
                detail: describe(cancelled.error),
                at: scope.at(),
              },
        );
        if (cancelled.isErr()) {
          yield* scope.write({ calls });
          return err(payoutError.service(cancelled.error, `cancelling ${build.externalId}`));
        }
      }
      if (accepted) {
        // Accepted before the cancel: committed. The build is matched and followed like any other.
        const confirming: ChunkRecord = { ...build, stage: 'accepting', updatedAt: scope.at() };
        yield* scope.write({ calls, chunks: [confirming] });
        yield* accepting(scope, confirming);
        continue;
      }
      yield* scope.write({
        calls,
        chunks: [
          {
            ...build,
            stage: 'closed',
            requestState: build.requestId === null ? null : 'cancelled',
            reason: REASON,
            updatedAt: scope.at(),
          },
        ],
      });
    }
    const reloaded = new StepScope(ctx, yield* loadSnapshot(ctx.journal, runId));
    const rows: RowRecord[] = reloaded.rows
      .filter((r) => r.state === 'pending')
      .map((r) => ({ ...r, state: 'cancelled', reason: REASON, updatedAt: reloaded.at() }));
    if (rows.length > 0) yield* reloaded.write({ rows });
    return ok(statusOf(yield* loadSnapshot(ctx.journal, runId)));
  });
