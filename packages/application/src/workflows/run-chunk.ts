import { type Money, rateText } from '@concierge-ts/domain';
import { err, ok, type Result, type ResultAsync, safeTry } from 'neverthrow';
import { match } from 'ts-pattern';
import type { ConciergeError } from '../gateway/errors.js';
import { isInAttribute } from '../gateway/field.js';
import type { OutputView, RequestView } from '../gateway/views.js';
import { listAll } from './list-all.js';
import { type PayoutError, payoutError } from './payout-error.js';
import type { CallRecord, ChunkRecord, RowRecord } from './payout-journal.js';
import type { RowState } from './payout-run.js';
import { matchOutputs, outputKey, rowKey } from './run-match.js';
import { minorUnits, moneyString, withinTolerance } from './run-money.js';
import {
  classifyFailure,
  describe,
  type PhaseResult,
  progress,
  refusesRequest,
  type StepScope,
  serviceFailed,
  splitKey,
  waitFor,
} from './run-scope.js';

/** `<run>/<chunk>` for a chunk's first build, `<run>/<chunk>.<build>` for each rebuild. */
export const externalIdOf = (runId: string, chunk: number, attempt: number): string =>
  attempt === 1 ? `${runId}/${chunk}` : `${runId}/${chunk}.${attempt}`;

/** Builds that no longer move: the chunk is done with them. */
export const isChunkDone = (build: ChunkRecord | undefined): boolean =>
  build !== undefined &&
  (build.stage === 'accepted' || build.stage === 'closed' || build.stage === 'stopped');

const outputPrefix = (build: ChunkRecord, row: RowRecord) =>
  `output/${build.chunk}.${build.attempt}/${row.index}`;
const buildPrefix = (build: ChunkRecord, what: string) => `${what}/${build.chunk}.${build.attempt}`;

/** Rows of a chunk still to be paid by it (not refused, not in an accepted request). */
const eligible = (scope: StepScope, chunk: number): RowRecord[] =>
  scope.rowsOf(chunk).filter((r) => r.state === 'pending');

const newBuild = (scope: StepScope, chunk: number, attempt: number): ChunkRecord => ({
  runId: scope.runId,
  chunk,
  attempt,
  externalId: externalIdOf(scope.runId, chunk, attempt),
  requestId: null,
  stage: 'new',
  requestState: null,
  reason: null,
  onCancelled: null,
  estimateTotal: null,
  hintToken: null,
  quoteTotal: null,
  provisionFundsBefore: null,
  updatedAt: scope.at(),
});

/** A failed call as kept: a call turned away before any work is `refused` with a `retry:` detail (sent again). */
const outcomeOf = (intent: CallRecord, error: ConciergeError, at: string): CallRecord => {
  const failure = classifyFailure(error);
  return {
    ...intent,
    state: failure === 'unknown' ? 'unknown' : 'refused',
    detail: failure === 'retry' ? `retry: ${describe(error)}` : describe(error),
    at,
  };
};

const okCall = (intent: CallRecord, resourceId: string, at: string): CallRecord => ({
  ...intent,
  state: 'ok',
  resourceId,
  at,
});

/**
 * How long until a time the service gave (its `eta`), by this process's clock: at most one
 * poll interval, so a service clock ahead of ours (skew, or a sandbox clock sped up or
 * advanced) costs a look more, never a wait as long as the difference.
 */
const msUntil = (scope: StepScope, iso: string | null): number =>
  iso === null
    ? 0
    : Math.min(scope.tuning.pollIntervalMs, Math.max(0, Date.parse(iso) - scope.ctx.now().getTime()));

/** The row's state once its output is in an accepted request. */
export const rowStateOf = (output: OutputView): RowState =>
  match(output.state)
    .with('settled', () => 'settled' as const)
    .with('rejected', () => 'rejected' as const)
    .with('returned', () => 'returned' as const)
    .with('cancelled', () => 'cancelled' as const)
    .with('accepting', 'accepted', 'working', 'settling', 'failed', () => 'committed' as const)
    .exhaustive();

export const outputReason = (output: OutputView): string | null =>
  output.rejectionReason ??
  output.cancellationReason ??
  (output.state === 'returned' ? output.failureReason : null);

/** A row as its output says it is. */
export const rowFromOutput = (row: RowRecord, output: OutputView, at: string): RowRecord => ({
  ...row,
  requestId: output.requestId,
  outputId: output.id,
  state: rowStateOf(output),
  reason: outputReason(output),
  quotedAmount: output.amount === null ? row.quotedAmount : moneyString(output.amount),
  quotedBudget: output.budget === null ? row.quotedBudget : moneyString(output.budget),
  rate: output.rate === null ? row.rate : rateText(output.rate),
  allInRate: output.allInRate === null ? row.allInRate : rateText(output.allInRate),
  feeAndCost: output.feeAndCost === null ? row.feeAndCost : moneyString(output.feeAndCost),
  attempts: output.attempts,
  updatedAt: at,
});

/**
 * Stops the run with a reason: rows no accepted request holds are `cancelled` with it
 * (nothing was paid for them). What is committed is still followed.
 */
export const stopRun = (
  scope: StepScope,
  reason: string,
  chunks: readonly ChunkRecord[] = [],
): ResultAsync<PhaseResult, PayoutError> => {
  const at = scope.at();
  const rows = scope.rows
    .filter((r) => r.state === 'pending')
    .map((r) => ({ ...r, state: 'cancelled' as const, reason: `run stopped: ${reason}`, updatedAt: at }));
  scope.log({ reason }, 'payout run stopped');
  return scope
    .write({ run: { state: 'stopped', reason, funds: null }, rows, chunks })
    .map(() => progress('stopped'));
};

/** One step of a chunk's protocol (SPEC 10.2), from wherever its latest build stands. */
export const chunkStep = (scope: StepScope, chunk: number): ResultAsync<PhaseResult, PayoutError> => {
  const build = scope.build(chunk) ?? newBuild(scope, chunk, 1);
  return match(build.stage)
    .with('new', 'drafting', () => draft(scope, build))
    .with('adding', () => addOutputs(scope, build))
    .with('quoting', () => quoting(scope, build))
    .with('accepting', () => accepting(scope, build))
    .with('cancelling', () => cancelling(scope, build))
    .with('rebuilt', () => rebuild(scope, build))
    .with('accepted', 'closed', 'stopped', () => scope.write({}).map(() => progress(`chunk ${chunk} done`)))
    .exhaustive();
};

const closeBuild = (scope: StepScope, build: ChunkRecord, reason: string, rows: readonly RowRecord[] = []) =>
  scope
    .write({ chunks: [{ ...build, stage: 'closed', reason, updatedAt: scope.at() }], rows })
    .map(() => progress(`close ${build.externalId}`));

/** A build goes (once more) to `rebuilt`: a later build replaces it, unless it was built too often. */
const rebuild = (scope: StepScope, build: ChunkRecord): ResultAsync<PhaseResult, PayoutError> => {
  if (build.attempt > scope.tuning.maxRebuilds)
    return stopRun(
      scope,
      `chunk ${build.chunk} was built ${build.attempt} times without an exact match at the quote (last: ${build.reason ?? 'unknown'})`,
    );
  const next = newBuild(scope, build.chunk, build.attempt + 1);
  scope.log({ chunk: build.chunk, attempt: next.attempt, reason: build.reason }, 'chunk built again');
  return scope.write({ chunks: [next] }).map(() => progress(`rebuild chunk ${build.chunk}`));
};

/**
 * The draft: its intent first; after an unknown outcome (or on resume), the request is
 * looked for by its external id before another is created. A draft moves no money, so a
 * second one from a late delivery is harmless: it is never given outputs, and cancelled.
 */
const draft = (scope: StepScope, build: ChunkRecord): ResultAsync<PhaseResult, PayoutError> =>
  safeTry(async function* () {
    const { client } = scope.ctx;
    if (eligible(scope, build.chunk).length === 0) return closeBuild(scope, build, 'no row left to pay');
    const prefix = buildPrefix(build, 'request');
    const last = scope.lastCall(prefix);
    if (last !== undefined) {
      const found = yield* listAll((page) => client.requests.list({ externalId: build.externalId, page }))
        .map((all) => all.filter((r) => r.externalId === build.externalId))
        .mapErr(serviceFailed(`looking for ${build.externalId}`));
      if (found.length > 0) return adoptDraft(scope, build, found);
    }
    const intent = scope.intent('create_request', prefix);
    yield* scope.write({ chunks: [{ ...build, stage: 'drafting', updatedAt: scope.at() }], calls: [intent] });
    const created = await client.requests.create({
      portCode: scope.run.originPort,
      payerId: scope.run.payerId,
      externalId: build.externalId,
    });
    const at = scope.at();
    if (created.isOk()) {
      yield* scope.write({
        calls: [okCall(intent, created.value.id, at)],
        chunks: [
          {
            ...build,
            stage: 'adding',
            requestId: created.value.id,
            requestState: created.value.state,
            updatedAt: at,
          },
        ],
      });
      return ok(progress(`draft ${build.externalId}`));
    }
    const failure = classifyFailure(created.error);
    yield* scope.write({ calls: [outcomeOf(intent, created.error, at)] });
    if (failure === 'fatal') return err(payoutError.service(created.error, `drafting ${build.externalId}`));
    if (failure === 'refused')
      return stopRun(scope, `the service refused the draft ${build.externalId}: ${describe(created.error)}`, [
        { ...build, stage: 'stopped', reason: describe(created.error), updatedAt: at },
      ]);
    return ok(
      failure === 'retry'
        ? waitFor(`draft ${build.externalId}`, retryAfter(scope, created.error))
        : progress(`draft ${build.externalId} (outcome unknown)`),
    );
  });

const retryAfter = (scope: StepScope, error: ConciergeError): number =>
  Math.max(error.type === 'rate_limited' ? error.retryAfterMs : 0, scope.tuning.quoteWaitMs);

const adoptDraft = (
  scope: StepScope,
  build: ChunkRecord,
  found: readonly RequestView[],
): ResultAsync<PhaseResult, PayoutError> =>
  safeTry(async function* () {
    // The draft made first (ids are unique, numeric ones in creation order), whatever order the list gives.
    const sorted = [...found].sort((a, b) => a.id.length - b.id.length || (a.id < b.id ? -1 : 1));
    const [chosen, ...extra] = sorted as [RequestView, ...RequestView[]];
    const at = scope.at();
    // Extra drafts under the same external id (a create delivered late) get no outputs; cancel them.
    const extras = extra.filter((r) => r.state === 'draft');
    const intents = extras.map((r) => scope.intent('cancel_request', `cancel/${build.externalId}/${r.id}`));
    yield* scope.write({
      chunks: [
        { ...build, stage: 'adding', requestId: chosen.id, requestState: chosen.state, updatedAt: at },
      ],
      calls: intents,
    });
    const outcomes: CallRecord[] = [];
    for (const [i, r] of extras.entries()) {
      const cancelled = await scope.ctx.client.requests.cancel(r.id);
      const intent = intents[i] as CallRecord;
      outcomes.push(
        cancelled.isOk() ? okCall(intent, r.id, scope.at()) : outcomeOf(intent, cancelled.error, scope.at()),
      );
    }
    if (outcomes.length > 0) yield* scope.write({ calls: outcomes });
    return ok(progress(`found draft ${build.externalId}`));
  });

/**
 * Outputs, a batch per step: the batch's intents are written first, then each create is
 * sent. An unknown outcome is never sent again: the quote settles it.
 */
const addOutputs = (scope: StepScope, build: ChunkRecord): ResultAsync<PhaseResult, PayoutError> =>
  safeTry(async function* () {
    const requestId = build.requestId as string;
    const rows = eligible(scope, build.chunk);
    // Every output refused for its row: the draft pays nobody; it is cancelled and the chunk closed.
    if (rows.length === 0) return cancelBuild(scope, build, 'close', 'no row left to pay');
    const toSend = rows.filter((row) => {
      const last = scope.lastCall(outputPrefix(build, row));
      return last === undefined || last.state === 'refused';
    });
    if (toSend.length === 0) {
      const unsettled = rows.filter((row) => {
        const last = scope.lastCall(outputPrefix(build, row));
        return (last?.state === 'intent' || last?.state === 'unknown') && last.detail !== SETTLE_AT_QUOTE;
      });
      return unsettled.length > 0
        ? reconcileDraft(scope, build, rows, unsettled)
        : requestQuote(scope, build);
    }
    const batch = toSend.slice(0, scope.tuning.outputBatch);
    const intents = batch.map((row) => scope.intent('create_output', outputPrefix(build, row)));
    yield* scope.write({ calls: intents });
    const calls: CallRecord[] = [];
    const failed: RowRecord[] = [];
    let stop: { readonly kind: 'request' | 'retry' | 'fatal'; readonly error: ConciergeError } | null = null;
    for (const [i, row] of batch.entries()) {
      const intent = intents[i] as CallRecord;
      if (stop !== null) {
        calls.push({ ...intent, state: 'refused', detail: 'not sent', at: scope.at() });
        continue;
      }
      const created = await scope.ctx.client.outputs.create({
        requestId,
        payeeId: row.payeeId as string,
        withdrawalInstructionId: row.withdrawalInstructionId as string,
        portCode: row.portCode,
        ...(row.amount !== null ? { amount: row.amount } : { budget: row.budget as string }),
      });
      const at = scope.at();
      if (created.isOk()) {
        calls.push(okCall(intent, created.value.id, at));
        continue;
      }
      calls.push(outcomeOf(intent, created.error, at));
      const failure = classifyFailure(created.error);
      if (failure === 'fatal' || failure === 'retry') stop = { kind: failure, error: created.error };
      else if (failure === 'refused') {
        if (refusesRequest(created.error)) stop = { kind: 'request', error: created.error };
        else
          failed.push({
            ...row,
            state: 'failed',
            reason: `output refused: ${describe(created.error)}`,
            updatedAt: at,
          });
      }
    }
    yield* scope.write({ calls, rows: failed });
    if (stop === null) return ok(progress(`add outputs ${build.externalId}`));
    const error = stop.error;
    return match(stop.kind)
      .with('fatal', () => err(payoutError.service(error, `adding outputs to ${build.externalId}`)))
      .with('retry', () => ok(waitFor(`add outputs ${build.externalId}`, retryAfter(scope, error))))
      .with('request', () =>
        // The request takes no more outputs: the quote stage reads it and settles the build.
        ok(undefined).asyncAndThen(() =>
          scope
            .write({ chunks: [{ ...build, stage: 'quoting', updatedAt: scope.at() }] })
            .map(() => progress(`add outputs ${build.externalId} (request closed)`)),
        ),
      )
      .exhaustive();
  });

const SETTLE_AT_QUOTE = 'absent from the draft; settled at the quote';
/** Sends of one row's output to one draft, at most, before the quote settles it. */
const MAX_OUTPUT_SENDS = 3;

/**
 * Creates whose outcome is unknown (or whose process died before it learned it) are
 * looked for in the draft: per (payee, instruction, port, amount or budget), as many as
 * the draft holds beyond the creates known to have worked are taken as arrived; the rest
 * are absent now and sent again (up to a bound). A create still in flight that arrives
 * later makes one output too many: the quote's exact match catches it, and the request is
 * cancelled and the chunk built again. Nothing is ever accepted on a guess.
 */
const reconcileDraft = (
  scope: StepScope,
  build: ChunkRecord,
  rows: readonly RowRecord[],
  unsettled: readonly RowRecord[],
): ResultAsync<PhaseResult, PayoutError> =>
  listOutputs(scope, build).andThen((outputs) => {
    const origin = scope.run.originPort;
    const available = new Map<string, number>();
    for (const output of outputs)
      available.set(outputKey(output), (available.get(outputKey(output)) ?? 0) + 1);
    for (const row of rows)
      if (scope.lastCall(outputPrefix(build, row))?.state === 'ok') {
        const key = rowKey(row, origin);
        available.set(key, (available.get(key) ?? 0) - 1);
      }
    const at = scope.at();
    const calls: CallRecord[] = unsettled.map((row) => {
      const last = scope.lastCall(outputPrefix(build, row)) as CallRecord;
      const key = rowKey(row, origin);
      const left = available.get(key) ?? 0;
      if (left > 0) {
        available.set(key, left - 1);
        return { ...last, state: 'ok', detail: 'found in the draft', at };
      }
      return splitKey(last.key).attempt < MAX_OUTPUT_SENDS
        ? { ...last, state: 'refused', detail: 'retry: absent from the draft', at }
        : { ...last, state: 'unknown', detail: SETTLE_AT_QUOTE, at };
    });
    return scope.write({ calls }).map(() => progress(`reconcile ${build.externalId}`));
  });

/**
 * Estimates the chunk (the price guard), then asks for the quote with the estimate's hint
 * token; a refused token is dropped and the quote asked again without it.
 */
const requestQuote = (scope: StepScope, build: ChunkRecord): ResultAsync<PhaseResult, PayoutError> =>
  safeTry(async function* () {
    const { client } = scope.ctx;
    const rows = eligible(scope, build.chunk);
    let current = build;
    if (current.estimateTotal === null) {
      const estimate = await client.estimates.create({
        portCode: scope.run.originPort,
        outputs: rows.map((r) => ({
          portCode: r.portCode,
          ...(r.amount !== null ? { amount: r.amount } : { budget: r.budget as string }),
        })),
      });
      if (estimate.isErr()) {
        if (classifyFailure(estimate.error) === 'refused')
          return cancelBuild(scope, build, 'stop', `the estimate was refused: ${describe(estimate.error)}`);
        return err(payoutError.service(estimate.error, `estimating ${build.externalId}`));
      }
      current = {
        ...current,
        estimateTotal: moneyString(estimate.value.totalToSpend),
        hintToken: estimate.value.hintToken,
      };
    }
    return sendQuoteRequest(scope, current);
  });

const sendQuoteRequest = (scope: StepScope, build: ChunkRecord): ResultAsync<PhaseResult, PayoutError> =>
  safeTry(async function* () {
    const requestId = build.requestId as string;
    const intent = scope.intent('request_quote', buildPrefix(build, 'quote'));
    const current: ChunkRecord = { ...build, stage: 'quoting', updatedAt: scope.at() };
    yield* scope.write({ chunks: [current], calls: [intent] });
    const asked = await scope.ctx.client.requests.requestQuote(
      requestId,
      current.hintToken === null ? {} : { hintToken: current.hintToken },
    );
    const at = scope.at();
    if (asked.isOk()) {
      yield* scope.write({
        calls: [okCall(intent, requestId, at)],
        chunks: [{ ...current, requestState: asked.value.state, updatedAt: at }],
      });
      return ok(
        waitFor(
          `quote ${build.externalId}`,
          Math.max(scope.tuning.quoteWaitMs, msUntil(scope, asked.value.eta)),
        ),
      );
    }
    const hintRefused =
      asked.error.type === 'unprocessable' && isInAttribute(asked.error.field, 'hint_token');
    yield* scope.write({
      calls: [outcomeOf(intent, asked.error, at)],
      ...(hintRefused ? { chunks: [{ ...current, hintToken: null, updatedAt: at }] } : {}),
    });
    if (classifyFailure(asked.error) === 'fatal')
      return err(payoutError.service(asked.error, `asking the quote of ${build.externalId}`));
    return ok(
      classifyFailure(asked.error) === 'retry'
        ? waitFor(`quote ${build.externalId}`, retryAfter(scope, asked.error))
        : progress(`quote ${build.externalId}${hintRefused ? ' (hint refused)' : ''}`),
    );
  });

const readRequest = (scope: StepScope, build: ChunkRecord) =>
  scope.ctx.client.requests
    .get(build.requestId as string)
    .mapErr(serviceFailed(`reading ${build.externalId}`));

const listOutputs = (scope: StepScope, build: ChunkRecord) =>
  listAll((page) => scope.ctx.client.outputs.list({ requestId: build.requestId as string, page })).mapErr(
    serviceFailed(`listing the outputs of ${build.externalId}`),
  );

/** Waiting for the quote: reads the request and goes on from the state it is in. */
const quoting = (scope: StepScope, build: ChunkRecord): ResultAsync<PhaseResult, PayoutError> =>
  readRequest(scope, build).andThen(
    (request): ResultAsync<PhaseResult, PayoutError> =>
      match(request.state)
        .with('draft', () => {
          const last = scope.lastCall(buildPrefix(build, 'quote'));
          // Not quoted yet: asking again is safe (a first ask delivered late makes the second a 409).
          if (last === undefined) return requestQuote(scope, build);
          if (last.state !== 'refused' || isRetryDetail(last)) return sendQuoteRequest(scope, build);
          if (last.detail?.startsWith('hint_token'))
            return sendQuoteRequest(scope, { ...build, hintToken: null });
          return settleRefusedQuote(scope, build, last.detail ?? 'refused');
        })
        .with('quote_requested', () =>
          scope
            .write({ chunks: [{ ...build, requestState: request.state, updatedAt: scope.at() }] })
            .map(() =>
              waitFor(
                `wait quote ${build.externalId}`,
                Math.max(scope.tuning.quoteWaitMs, msUntil(scope, request.eta)),
              ),
            ),
        )
        .with('quoted', () => commitAtQuote(scope, build, request))
        .with('quote_accepted', 'working', 'finished', () => confirmAccepted(scope, build, request))
        .with('cancelled', () => afterServiceCancel(scope, build, request))
        .exhaustive(),
  );

const isRetryDetail = (call: CallRecord): boolean => (call.detail ?? '').startsWith('retry:');

/** request_quote was refused on a draft: every output rejected closes the chunk, anything else rebuilds it. */
const settleRefusedQuote = (scope: StepScope, build: ChunkRecord, detail: string) =>
  listOutputs(scope, build).andThen((outputs) => {
    const rows = eligible(scope, build.chunk);
    const matched = matchOutputs(rows, outputs, scope.run.originPort);
    // A chunk at its quote has rows left to pay (else it closed earlier), so an exact match has outputs.
    if (matched.exact && outputs.every((o) => o.state === 'rejected'))
      return cancelBuild(scope, build, 'close', 'every output was rejected');
    return cancelBuild(scope, build, 'rebuild', `request_quote was refused: ${detail}`);
  });

/**
 * Commit at the quote (SPEC 10.2.3): the request takes no more outputs, so its outputs
 * are final. Only an exact multiset match within the price guard is accepted.
 */
const commitAtQuote = (
  scope: StepScope,
  build: ChunkRecord,
  request: RequestView,
): ResultAsync<PhaseResult, PayoutError> =>
  safeTry(async function* () {
    const outputs = yield* listOutputs(scope, build);
    const rows = eligible(scope, build.chunk);
    const matched = matchOutputs(rows, outputs, scope.run.originPort);
    if (!matched.exact) return cancelBuild(scope, build, 'rebuild', matched.reason);
    const guard = priceGuard(scope, build, request);
    if (guard.isErr()) return cancelBuild(scope, build, 'stop', guard.error);
    const intent = scope.intent('accept_quote', buildPrefix(build, 'accept'));
    const quoteTotal = moneyString(guard.value);
    const current: ChunkRecord = {
      ...build,
      stage: 'accepting',
      requestState: request.state,
      quoteTotal,
      updatedAt: scope.at(),
    };
    yield* scope.write({ chunks: [current], calls: [intent] });
    const accepted = await scope.ctx.client.requests.acceptQuote(build.requestId as string);
    const at = scope.at();
    if (accepted.isOk()) {
      yield* scope.write({ calls: [okCall(intent, accepted.value.id, at)] });
      return markAccepted(scope, current, accepted.value, matched.pairs);
    }
    yield* scope.write({ calls: [outcomeOf(intent, accepted.error, at)] });
    if (classifyFailure(accepted.error) === 'fatal')
      return err(payoutError.service(accepted.error, `accepting ${build.externalId}`));
    return ok(progress(`accept ${build.externalId} (outcome unsettled)`));
  });

/**
 * The quote's total, when within the estimate's tolerance and the run's max total, or why
 * not. A build is always estimated before its quote is asked.
 */
const priceGuard = (scope: StepScope, build: ChunkRecord, request: RequestView): Result<Money, string> => {
  const total = request.totalToSpend;
  if (total === null) return err(`request ${request.id} is quoted without a total`);
  const scale = total.scale;
  const estimate = minorUnits(build.estimateTotal as string, scale);
  if (!withinTolerance(total.amount, estimate, scope.run.tolerance))
    return err(
      `the quote of ${build.externalId} (${moneyString(total)} ${total.currency}) exceeds its estimate (${build.estimateTotal}) by more than ${scope.run.tolerance}`,
    );
  if (scope.run.maxTotal !== null) {
    // The plan checked the max total against the origin's currency: exact at the quote's scale.
    const max = minorUnits(scope.run.maxTotal, scale);
    const committed = scope.chunks
      .filter((c) => c.stage === 'accepted' && c.quoteTotal !== null)
      .reduce((sum, c) => sum + minorUnits(c.quoteTotal as string, scale), 0n);
    const after = committed + total.amount;
    if (after > max)
      return err(
        `accepting ${build.externalId} (${moneyString(total)} ${total.currency}) would take the run to ${moneyString({ ...total, amount: after })}, over its max total ${scope.run.maxTotal}`,
      );
  }
  return ok(total);
};

/** The request is accepted: its rows take their outputs (prices, ids, states). */
const markAccepted = (
  scope: StepScope,
  build: ChunkRecord,
  request: RequestView,
  pairs: readonly (readonly [RowRecord, OutputView])[],
): ResultAsync<PhaseResult, PayoutError> => {
  const at = scope.at();
  scope.log({ chunk: build.chunk, requestId: request.id, rows: pairs.length }, 'chunk accepted');
  return scope
    .write({
      chunks: [
        {
          ...build,
          stage: 'accepted',
          requestState: request.state,
          quoteTotal:
            build.quoteTotal ?? (request.totalToSpend === null ? null : moneyString(request.totalToSpend)),
          provisionFundsBefore: request.provisionFundsBefore,
          updatedAt: at,
        },
      ],
      rows: pairs.map(([row, output]) => rowFromOutput(row, output, at)),
    })
    .map(() => progress(`accept ${build.externalId}`));
};

/** A request found accepted: its outputs are final since the quote, so they are matched once more. */
const confirmAccepted = (
  scope: StepScope,
  build: ChunkRecord,
  request: RequestView,
): ResultAsync<PhaseResult, PayoutError> =>
  listOutputs(scope, build).andThen((outputs) => {
    const matched = matchOutputs(eligible(scope, build.chunk), outputs, scope.run.originPort);
    if (matched.exact) return markAccepted(scope, build, request, matched.pairs);
    // Unreachable while this run alone accepts its requests: say so rather than guess.
    return stopRun(scope, `request ${request.id} (${build.externalId}) was accepted but ${matched.reason}`, [
      {
        ...build,
        stage: 'stopped',
        requestState: request.state,
        reason: matched.reason,
        updatedAt: scope.at(),
      },
    ]);
  });

/** accept_quote was sent (or may have been): the request's state says whether it took. */
export const accepting = (scope: StepScope, build: ChunkRecord): ResultAsync<PhaseResult, PayoutError> =>
  readRequest(scope, build).andThen(
    (request): ResultAsync<PhaseResult, PayoutError> =>
      match(request.state)
        // Not accepted yet: the match and the guard again, then accept again (a late first accept makes it a 409).
        .with('quoted', () => commitAtQuote(scope, build, request))
        .with('quote_accepted', 'working', 'finished', () => confirmAccepted(scope, build, request))
        .with('cancelled', () => afterServiceCancel(scope, build, request))
        .with('draft', 'quote_requested', () =>
          stopRun(scope, `request ${request.id} went back to ${request.state} after its quote`),
        )
        .exhaustive(),
  );

/** The service cancelled the request: no payable outputs closes the chunk; anything else builds it again. */
const afterServiceCancel = (
  scope: StepScope,
  build: ChunkRecord,
  request: RequestView,
): ResultAsync<PhaseResult, PayoutError> => {
  if (request.cancellationReason === 'no_payable_outputs')
    return listOutputs(scope, build).andThen((outputs) => closeRejected(scope, build, outputs));
  return scope
    .write({
      chunks: [
        {
          ...build,
          stage: 'rebuilt',
          requestState: 'cancelled',
          reason: `request ${request.id} was cancelled: ${request.cancellationReason ?? 'unknown reason'}`,
          updatedAt: scope.at(),
        },
      ],
    })
    .andThen(() => rebuild(scope, { ...build, reason: request.cancellationReason }));
};

/** Every output rejected: the rows are rejected with their outputs' reasons; nothing was paid. */
const closeRejected = (scope: StepScope, build: ChunkRecord, outputs: readonly OutputView[]) => {
  const matched = matchOutputs(eligible(scope, build.chunk), outputs, scope.run.originPort);
  const at = scope.at();
  const rows = matched.exact
    ? matched.pairs.map(([row, output]) => rowFromOutput(row, output, at))
    : eligible(scope, build.chunk).map((row) => ({
        ...row,
        state: 'rejected' as const,
        reason: 'every output of the request was rejected',
        updatedAt: at,
      }));
  return scope
    .write({
      chunks: [
        { ...build, stage: 'closed', requestState: 'cancelled', reason: 'no payable outputs', updatedAt: at },
      ],
      rows,
    })
    .map(() => progress(`close ${build.externalId}`));
};

/** Decides to cancel a build's request; the cancel itself is sent by `cancelling`. */
const cancelBuild = (
  scope: StepScope,
  build: ChunkRecord,
  then: 'rebuild' | 'stop' | 'close',
  reason: string,
): ResultAsync<PhaseResult, PayoutError> => {
  scope.log({ chunk: build.chunk, attempt: build.attempt, reason, then }, 'cancelling a build');
  const next: ChunkRecord = {
    ...build,
    stage: 'cancelling',
    onCancelled: then,
    reason,
    updatedAt: scope.at(),
  };
  return scope.write({ chunks: [next] }).andThen(() => cancelling(scope, next));
};

/** Cancels the build's request (intent first), then goes on as decided. */
const cancelling = (scope: StepScope, build: ChunkRecord): ResultAsync<PhaseResult, PayoutError> =>
  safeTry(async function* () {
    const requestId = build.requestId as string;
    const request = yield* readRequest(scope, build);
    if (request.state === 'cancelled') return afterCancelled(scope, build, yield* listOutputs(scope, build));
    if (request.state === 'quote_accepted' || request.state === 'working' || request.state === 'finished')
      return confirmAccepted(scope, build, request);
    const intent = scope.intent('cancel_request', buildPrefix(build, 'cancel'));
    yield* scope.write({ calls: [intent] });
    const cancelled = await scope.ctx.client.requests.cancel(requestId);
    const at = scope.at();
    if (cancelled.isOk()) {
      yield* scope.write({ calls: [okCall(intent, requestId, at)] });
      return afterCancelled(scope, build, yield* listOutputs(scope, build));
    }
    yield* scope.write({ calls: [outcomeOf(intent, cancelled.error, at)] });
    if (classifyFailure(cancelled.error) === 'fatal')
      return err(payoutError.service(cancelled.error, `cancelling ${build.externalId}`));
    return ok(progress(`cancel ${build.externalId} (outcome unsettled)`));
  });

const afterCancelled = (
  scope: StepScope,
  build: ChunkRecord,
  outputs: readonly OutputView[],
): ResultAsync<PhaseResult, PayoutError> => {
  const at = scope.at();
  const cancelled: ChunkRecord = { ...build, requestState: 'cancelled', updatedAt: at };
  if (build.onCancelled === 'rebuild')
    return scope
      .write({ chunks: [{ ...cancelled, stage: 'rebuilt' }] })
      .andThen(() => rebuild(scope, { ...cancelled, stage: 'rebuilt' }));
  if (build.onCancelled === 'stop')
    return stopRun(scope, build.reason ?? 'stopped', [{ ...cancelled, stage: 'stopped' }]);
  // 'close': only cancelBuild moves a build to `cancelling`, and it always says what comes next.
  return closeRejected(scope, cancelled, outputs);
};
