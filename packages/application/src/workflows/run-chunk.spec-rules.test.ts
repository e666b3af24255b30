import { describe, expect, it } from 'vitest';
import { errorAt } from '../../test/error-location.js';
import {
  makeWorld,
  plan,
  planOf,
  requestsOf,
  rowsFor,
  snapshot,
  stepToEnd,
  text,
  type World,
} from '../../test/payout-harness.js';
import { conciergeError } from '../gateway/errors.js';
import { payoutError } from './payout-error.js';
import type { CallRecord, ChunkRecord } from './payout-journal.js';
import type { PayoutRowInput, StepOutcome } from './payout-run.js';
import { planRun } from './plan-run.js';
import { isChunkDone } from './run-chunk.js';
import { runReport, runStatus } from './run-queries.js';
import { StepScope } from './run-scope.js';
import { stepRun } from './step-run.js';

/** Steps a run until `until` holds after a step (or the run is done); answers the last step's outcome. */
const stepUntil = async (w: World, runId: string, until: () => boolean, limit = 60): Promise<StepOutcome> => {
  for (let i = 0; i < limit; i += 1) {
    const outcome = (await stepRun(w.ctx, runId))._unsafeUnwrap();
    if (until() || outcome.next === 'done') return outcome;
    if (outcome.next === 'wait') await w.ctx.sleep(outcome.waitMs);
  }
  throw new Error(`run ${runId}: the condition did not hold in ${limit} steps`);
};

const callsOf = async (w: World, runId: string, kind: CallRecord['kind']) =>
  (await snapshot(w, runId)).calls.filter((c) => c.kind === kind);

const build = (attempt: number, stage: ChunkRecord['stage']): ChunkRecord => ({
  runId: 'order',
  chunk: 1,
  attempt,
  externalId: attempt === 1 ? 'order/1' : `order/1.${attempt}`,
  requestId: null,
  stage,
  requestState: null,
  reason: null,
  onCancelled: null,
  estimateTotal: null,
  hintToken: null,
  quoteTotal: null,
  provisionFundsBefore: null,
  updatedAt: '2026-01-05T12:00:00.000Z',
});

const call = (key: string, state: CallRecord['state']): CallRecord => ({
  runId: 'order',
  key,
  kind: 'request_quote',
  state,
  resourceId: null,
  detail: state === 'refused' ? 'retry: rate_limited: slow down' : null,
  at: '2026-01-05T12:00:00.000Z',
});

describe('where a run stands in its journal (SPEC 10.2.1, 10.2.4, 10.3)', () => {
  it('a journal failure is a conflict (another worker moved the run first) only when said so', () => {
    expect(payoutError.journal('disk full')).toEqual({
      code: 'journal',
      conflict: false,
      message: 'disk full',
    });
    expect(payoutError.journal('moved', true)).toMatchObject({ code: 'journal', conflict: true });
  });

  it('a chunk is done with once its latest build is accepted, closed or stopped; a build on its way is not', () => {
    const done: Record<ChunkRecord['stage'], boolean> = {
      new: false,
      drafting: false,
      adding: false,
      quoting: false,
      accepting: false,
      cancelling: false,
      rebuilt: false,
      accepted: true,
      closed: true,
      stopped: true,
    };
    for (const [stage, expected] of Object.entries(done))
      expect(isChunkDone(build(1, stage as ChunkRecord['stage'])), stage).toBe(expected);
    expect(isChunkDone(undefined)).toBe(false);
  });

  it('a resumed step takes the highest try of a call as its latest, in whatever order the journal lists them (the SQL journal lists by key: #10 before #2)', async () => {
    const w = makeWorld();
    await plan(w, 'order', rowsFor(w, 1));
    const s = await snapshot(w, 'order');
    const scope = new StepScope(w.ctx, {
      ...s,
      calls: [call('quote/1.1#10', 'ok'), call('quote/1.1#2', 'refused'), call('quote/1.1#1', 'refused')],
    });
    expect(scope.lastCall('quote/1.1')?.key).toBe('quote/1.1#10');
    expect(scope.intent('request_quote', 'quote/1.1').key).toBe('quote/1.1#11');
  });

  it("a call's outcome, once written, is the latest for its target (intent first, then its outcome)", async () => {
    const w = makeWorld();
    await plan(w, 'outcome', rowsFor(w, 1));
    const scope = new StepScope(w.ctx, await snapshot(w, 'outcome'));
    const intent = scope.intent('request_quote', 'quote/1.1');
    (await scope.write({ calls: [intent] }))._unsafeUnwrap();
    expect(scope.lastCall('quote/1.1')).toMatchObject({ key: 'quote/1.1#1', state: 'intent' });
    (await scope.write({ calls: [{ ...intent, state: 'ok', resourceId: 'r1' }] }))._unsafeUnwrap();
    expect(scope.lastCall('quote/1.1')).toMatchObject({ key: 'quote/1.1#1', state: 'ok' });
  });
});

describe("a chunk's draft (SPEC 10.2.1, 10.2.2, 10.4 status)", () => {
  it('a draft the service refuses: the refusal is journaled as the outcome of its intent, the build and the run stop, and every row is cancelled with a reason', async () => {
    const w = makeWorld();
    await plan(w, 'refused', rowsFor(w, 2));
    w.on('requests.create', { kind: 'fail', error: errorAt('inactive_port', '/data/attributes/port_code') });
    await stepToEnd(w, 'refused');
    expect((await callsOf(w, 'refused', 'create_request')).map((c) => c.state)).toEqual(['refused']);
    expect((await snapshot(w, 'refused')).chunks.map((c) => [c.externalId, c.stage])).toEqual([
      ['refused/1', 'stopped'],
    ]);
    const status = (await runStatus(w.journal, 'refused'))._unsafeUnwrap();
    expect(status.state).toBe('stopped');
    expect(status.reason).toMatch(/\S/);
    const report = (await runReport(w.journal, 'refused'))._unsafeUnwrap();
    expect(report.map((l) => l.state)).toEqual(['cancelled', 'cancelled']);
    for (const line of report) expect(line.reason).toMatch(/\S/);
  });

  it('a draft create turned away by a 429 is sent again only after the wait the service asked for', async () => {
    const w = makeWorld();
    await plan(w, 'slow', rowsFor(w, 2));
    w.on('requests.create', { kind: 'fail', error: conciergeError.rateLimited(7_000) });
    const outcome = await stepUntil(w, 'slow', () => w.sentNamed('requests.create').length > 0);
    expect(outcome.next).toBe('wait');
    expect(outcome.waitMs).toBeGreaterThanOrEqual(7_000);
  });

  it('once the draft is made, the status shows its id and state under the chunk (10.4 status)', async () => {
    const w = makeWorld();
    await plan(w, 'made', rowsFor(w, 2));
    await stepUntil(w, 'made', () => w.sentNamed('requests.create').length > 0);
    const [request] = await requestsOf(w, 'made');
    expect((await runStatus(w.journal, 'made'))._unsafeUnwrap().requests).toEqual([
      { chunk: 1, externalId: 'made/1', id: request?.id, state: 'draft' },
    ]);
  });

  it('a draft whose create answer was lost shows in the status as being made, with no id yet (10.4 status)', async () => {
    const w = makeWorld();
    await plan(w, 'lost', rowsFor(w, 2));
    w.on('requests.create', { kind: 'lose' });
    await stepUntil(w, 'lost', () => w.sentNamed('requests.create').length > 0);
    const status = (await runStatus(w.journal, 'lost'))._unsafeUnwrap();
    expect(status.state).toBe('working');
    expect(status.requests).toEqual([{ chunk: 1, externalId: 'lost/1', id: null, state: 'unsent' }]);
  });
});

describe("drafts found under a chunk's external id (SPEC 10.2.2, 10.2.4)", () => {
  /** The run's draft create acts but its answer is lost; then another draft appears under the same external id. */
  const twoDrafts = async (runId: string) => {
    const w = makeWorld();
    const rows = rowsFor(w, 2);
    await plan(w, runId, rows);
    w.on('requests.create', { kind: 'lose' });
    await stepUntil(w, runId, () => w.sentNamed('requests.create').length > 0);
    const other = (
      await w.direct.requests.create({
        portCode: 'ar_ars',
        payerId: w.seeded.payerId,
        externalId: `${runId}/1`,
      })
    )._unsafeUnwrap();
    return { w, other };
  };

  it('the draft made first is adopted whatever order the list gives (every worker adopts the same one); the other is cancelled, its outcome journaled', async () => {
    const { w, other } = await twoDrafts('adopt');
    w.on(
      'requests.list',
      {
        kind: 'answer',
        change: (v) => ({
          ...(v as { items: unknown[] }),
          items: [...(v as { items: unknown[] }).items].reverse(),
        }),
      },
      { times: 999 },
    );
    await stepToEnd(w, 'adopt');
    const requests = await requestsOf(w, 'adopt');
    expect(requests.map((r) => [r.externalId, r.state])).toEqual([
      ['adopt/1', 'finished'],
      ['adopt/1', 'cancelled'],
    ]);
    expect(requests[1]?.id).toBe(other.id);
    expect(w.sentNamed('requests.cancel').map((s) => s.args[0])).toEqual([other.id]);
    expect((await callsOf(w, 'adopt', 'cancel_request')).map((c) => [c.state, c.resourceId])).toEqual([
      ['ok', other.id],
    ]);
  });

  it('a request under the external id that is no longer a draft is not cancelled: only extra drafts are', async () => {
    const { w, other } = await twoDrafts('leave');
    (await w.direct.requests.cancel(other.id))._unsafeUnwrap();
    await stepToEnd(w, 'leave');
    expect(w.sentNamed('requests.cancel')).toEqual([]);
    expect((await requestsOf(w, 'leave')).map((r) => r.state)).toEqual(['finished', 'cancelled']);
  });
});

describe("a chunk's quote (SPEC 10.2, 10.2.2, 10.4 status)", () => {
  it("a quote request turned away by a 429 waits the service's time, then is asked again with the estimate's hint token", async () => {
    const w = makeWorld();
    await plan(w, 'q429', rowsFor(w, 2));
    w.on('requests.requestQuote', { kind: 'fail', error: conciergeError.rateLimited(8_000) });
    const outcome = await stepUntil(w, 'q429', () => w.sentNamed('requests.requestQuote').length > 0);
    expect(outcome.next).toBe('wait');
    expect(outcome.waitMs).toBeGreaterThanOrEqual(8_000);
    await stepToEnd(w, 'q429');
    const asked = w.sentNamed('requests.requestQuote').map((s) => s.args[1] as { hintToken?: string });
    expect(asked).toHaveLength(2);
    expect(asked[0]?.hintToken).toEqual(expect.any(String));
    expect(asked[1]?.hintToken).toBe(asked[0]?.hintToken);
    expect((await requestsOf(w, 'q429')).map((r) => [r.externalId, r.state])).toEqual([
      ['q429/1', 'finished'],
    ]);
  });

  it('a quote request that timed out before reaching the service is asked again on the same draft, not taken for a refusal', async () => {
    const w = makeWorld();
    const rows = rowsFor(w, 2);
    await plan(w, 'qlate', rows);
    w.on('requests.requestQuote', { kind: 'late' });
    await stepToEnd(w, 'qlate');
    expect(w.sentNamed('requests.requestQuote')).toHaveLength(2);
    expect(w.sentNamed('requests.cancel')).toEqual([]);
    expect((await requestsOf(w, 'qlate')).map((r) => [r.externalId, r.state])).toEqual([
      ['qlate/1', 'finished'],
    ]);
  });

  it('once the quote is asked, the status shows the request in the state the service gave (10.4 status)', async () => {
    const w = makeWorld();
    await plan(w, 'qstate', rowsFor(w, 2));
    await stepUntil(w, 'qstate', () => w.sentNamed('requests.requestQuote').length > 0);
    const [request] = await requestsOf(w, 'qstate');
    expect(request?.state).not.toBe('draft');
    expect((await runStatus(w.journal, 'qstate'))._unsafeUnwrap().requests).toEqual([
      { chunk: 1, externalId: 'qstate/1', id: request?.id, state: request?.state },
    ]);
  });

  it('a quote request whose answer was lost: the next look at the request puts its state in the status (10.4 status)', async () => {
    const w = makeWorld();
    await plan(w, 'qlost', rowsFor(w, 2));
    w.on('requests.requestQuote', { kind: 'lose' });
    await stepUntil(w, 'qlost', () => w.sentNamed('requests.requestQuote').length > 0);
    await stepUntil(w, 'qlost', () => true);
    const [request] = await requestsOf(w, 'qlost');
    expect(request?.state).toBe('quote_requested');
    expect((await runStatus(w.journal, 'qlost'))._unsafeUnwrap().requests).toEqual([
      { chunk: 1, externalId: 'qlost/1', id: request?.id, state: 'quote_requested' },
    ]);
  });
});

/** The estimate's total lowered by one minor unit: with tolerance 0 the quote is then over it (the price guard). */
const lowerEstimate = (w: World) =>
  w.on('estimates.create', {
    kind: 'answer',
    change: (v) => {
      const e = v as { totalToSpend: { amount: bigint } };
      return { ...e, totalToSpend: { ...e.totalToSpend, amount: e.totalToSpend.amount - 1n } };
    },
  });

/** What `n` rows of 100000 CLP cost at ar_ars, as the service estimates it. */
const costOf = async (w: World, n: number) =>
  (
    await w.direct.estimates.create({
      portCode: 'ar_ars',
      outputs: Array.from({ length: n }, () => ({ portCode: 'cl_clp', amount: '100000' })),
    })
  )._unsafeUnwrap().totalToSpend;

describe('the price guard and cancelled builds (SPEC 10.2, 10.2.3)', () => {
  it('a quote over its estimate stops the run with a reason; its request is cancelled (outcome journaled) and the chunk is not built again', async () => {
    const w = makeWorld();
    await plan(w, 'over', rowsFor(w, 2), { tolerance: '0' });
    lowerEstimate(w);
    await stepToEnd(w, 'over');
    const status = (await runStatus(w.journal, 'over'))._unsafeUnwrap();
    expect(status.state).toBe('stopped');
    expect(status.reason).toMatch(/\S/);
    expect((await requestsOf(w, 'over')).map((r) => [r.externalId, r.state])).toEqual([
      ['over/1', 'cancelled'],
    ]);
    expect((await callsOf(w, 'over', 'cancel_request')).map((c) => c.state)).toEqual(['ok']);
  });

  it('a process killed right after cancelling a quote over its estimate resumes as decided: the run stops, the chunk is not built again (10.2.4)', async () => {
    const w = makeWorld();
    await plan(w, 'overkill', rowsFor(w, 2), { tolerance: '0' });
    lowerEstimate(w);
    w.on('requests.cancel', { kind: 'kill_after' });
    await stepToEnd(w, 'overkill');
    expect((await runStatus(w.journal, 'overkill'))._unsafeUnwrap().state).toBe('stopped');
    expect((await requestsOf(w, 'overkill')).map((r) => [r.externalId, r.state])).toEqual([
      ['overkill/1', 'cancelled'],
    ]);
    expect(w.sentNamed('requests.create')).toHaveLength(1);
  });

  it('a cancel turned away by a 429 is journaled and sent again; a bad API key ends the step with the service error', async () => {
    const w = makeWorld();
    await plan(w, 'c429', rowsFor(w, 2), { tolerance: '0' });
    lowerEstimate(w);
    w.on('requests.cancel', { kind: 'fail', error: conciergeError.rateLimited(1_000) });
    await stepToEnd(w, 'c429');
    expect((await callsOf(w, 'c429', 'cancel_request')).map((c) => c.state)).toEqual(['refused', 'ok']);
    expect((await runStatus(w.journal, 'c429'))._unsafeUnwrap().state).toBe('stopped');
    expect((await requestsOf(w, 'c429')).map((r) => r.state)).toEqual(['cancelled']);

    const w2 = makeWorld();
    await plan(w2, 'ckey', rowsFor(w2, 2), { tolerance: '0' });
    lowerEstimate(w2);
    w2.on('requests.cancel', { kind: 'fail', error: conciergeError.authentication() });
    let failed: unknown;
    for (let i = 0; i < 60 && failed === undefined; i += 1) {
      const step = await stepRun(w2.ctx, 'ckey');
      if (step.isErr()) failed = step.error;
      else if (step.value.next === 'wait') await w2.ctx.sleep(step.value.waitMs);
    }
    expect(failed).toMatchObject({ code: 'service', error: { type: 'authentication' } });
    expect((await callsOf(w2, 'ckey', 'cancel_request')).map((c) => c.state)).toEqual(['refused']);
  });

  it('the max total counts only accepted quotes: an accept turned away once (429) is accepted at the next try, its own quote not counted twice', async () => {
    const w = makeWorld();
    const total = await costOf(w, 2);
    await plan(
      w,
      'maxonce',
      Array.from(
        { length: 2 },
        (_, i) =>
          ({ ...rowsFor(w, 1, 'cl_clp', '100000')[0], line: i + 2, reference: `m-${i}` }) as PayoutRowInput,
      ),
      { maxTotal: text(total.amount, total.scale) },
    );
    w.on('requests.acceptQuote', { kind: 'fail', error: conciergeError.rateLimited(1_000) });
    await stepToEnd(w, 'maxonce');
    expect(w.sentNamed('requests.acceptQuote')).toHaveLength(2);
    expect((await runStatus(w.journal, 'maxonce'))._unsafeUnwrap()).toMatchObject({
      state: 'finished',
      rows: { settled: 2 },
    });
  });
});

describe('requests the service moved on its own (SPEC 3, 10.2)', () => {
  it('a request the service cancelled for no payable outputs (every output rejected) closes the chunk: rows rejected with their reasons, no rebuild', async () => {
    const w = makeWorld();
    await plan(w, 'nopay', rowsFor(w, 2));
    let quoted = false;
    w.on(
      'requests.requestQuote',
      {
        kind: 'before',
        first: async () => {
          quoted = true;
        },
      },
      { times: 999 },
    );
    w.on(
      'requests.get',
      {
        kind: 'answer',
        change: (v) =>
          quoted ? { ...(v as object), state: 'cancelled', cancellationReason: 'no_payable_outputs' } : v,
      },
      { times: 999 },
    );
    w.on(
      'outputs.list',
      {
        kind: 'answer',
        change: (v) => {
          const page = v as { items: object[] };
          return quoted
            ? {
                ...page,
                items: page.items.map((o) => ({
                  ...o,
                  state: 'rejected',
                  rejectionReason: 'compliance_rejected',
                })),
              }
            : v;
        },
      },
      { times: 999 },
    );
    await stepToEnd(w, 'nopay');
    const status = (await runStatus(w.journal, 'nopay'))._unsafeUnwrap();
    expect(status).toMatchObject({ state: 'finished', rows: { rejected: 2, total: 2 } });
    expect(status.requests.map((r) => [r.externalId, r.state])).toEqual([['nopay/1', 'cancelled']]);
    expect(w.sentNamed('requests.create')).toHaveLength(1);
    const report = (await runReport(w.journal, 'nopay'))._unsafeUnwrap();
    expect(report.map((l) => [l.state, l.reason])).toEqual([
      ['rejected', 'compliance_rejected'],
      ['rejected', 'compliance_rejected'],
    ]);
  });

  for (const state of ['working', 'finished'] as const)
    it(`a build being cancelled whose request another worker accepted and the service moved to ${state} is taken as accepted, not cancelled`, async () => {
      const w = makeWorld();
      const rows = rowsFor(w, 2);
      await plan(w, state, rows, { tolerance: '0' });
      lowerEstimate(w);
      w.on('requests.cancel', { kind: 'kill_before' });
      let killed = false;
      for (let i = 0; i < 30 && !killed; i += 1) {
        try {
          const o = (await stepRun(w.ctx, state))._unsafeUnwrap();
          if (o.next === 'wait') await w.ctx.sleep(o.waitMs);
        } catch {
          killed = true;
        }
      }
      expect(killed).toBe(true);
      const [request] = await requestsOf(w, state);
      (await w.direct.requests.acceptQuote(request?.id ?? ''))._unsafeUnwrap();
      for (let i = 0; i < 200; i += 1) {
        const now = (await w.direct.requests.get(request?.id ?? ''))._unsafeUnwrap().state;
        if (now === state) break;
        await w.ctx.sleep(60_000);
      }
      expect((await w.direct.requests.get(request?.id ?? ''))._unsafeUnwrap().state).toBe(state);
      await stepToEnd(w, state);
      expect(w.sentNamed('requests.cancel')).toHaveLength(1);
      expect((await requestsOf(w, state)).map((r) => r.state)).toEqual(['finished']);
      expect((await runStatus(w.journal, state))._unsafeUnwrap()).toMatchObject({ rows: { settled: 2 } });
    });
});

describe('stops and estimates on the way (SPEC 10.2, 10.2.3, 10.4 status reason)', () => {
  it('a chunk that never gets its quote is built maxRebuilds times more, then the run stops with a reason', async () => {
    const w = makeWorld();
    await plan(w, 'never', rowsFor(w, 2));
    w.on(
      'requests.requestQuote',
      { kind: 'fail', error: conciergeError.conflict('not_draft', 'refused') },
      { times: 999 },
    );
    await stepToEnd(w, 'never');
    expect((await requestsOf(w, 'never')).map((r) => r.externalId)).toEqual([
      'never/1',
      'never/1.2',
      'never/1.3',
      'never/1.4',
    ]);
    const status = (await runStatus(w.journal, 'never'))._unsafeUnwrap();
    expect(status.state).toBe('stopped');
    expect(status.reason).toMatch(/\S/);
  });

  it("an output refused because the draft takes no more: its quote is still asked with an estimate's hint token", async () => {
    const w = makeWorld();
    await plan(w, 'closed', rowsFor(w, 2));
    w.on('outputs.create', {
      kind: 'fail',
      error: conciergeError.conflict('not_draft', 'the request is not a draft'),
    });
    await stepToEnd(w, 'closed');
    const [first] = w.sentNamed('requests.requestQuote');
    expect(w.sentNamed('estimates.create').length).toBeGreaterThan(0);
    expect((first?.args[1] as { hintToken?: string } | undefined)?.hintToken).toEqual(expect.any(String));
    expect((await runStatus(w.journal, 'closed'))._unsafeUnwrap()).toMatchObject({
      state: 'finished',
      rows: { settled: 2 },
    });
  });

  it('a request that went back to draft after its quote was accepted stops the run with a reason', async () => {
    const w = makeWorld();
    await plan(w, 'back', rowsFor(w, 2));
    w.on('requests.acceptQuote', { kind: 'lose' });
    let asked = false;
    w.on(
      'requests.get',
      { kind: 'answer', change: (v) => (asked ? { ...(v as object), state: 'draft' } : v) },
      { times: 999 },
    );
    await stepUntil(w, 'back', () => {
      if (w.sentNamed('requests.acceptQuote').length > 0) asked = true;
      return false;
    });
    const status = (await runStatus(w.journal, 'back'))._unsafeUnwrap();
    expect(status.state).toBe('stopped');
    expect(status.reason).toMatch(/\S/);
  });
});

describe('a request accepted by another worker (SPEC 10.2, 3)', () => {
  it('found accepted with outputs that no longer match the rows, it is never taken for them: the run stops with a reason (10.2.3)', async () => {
    const w = makeWorld();
    await plan(w, 'drift', rowsFor(w, 2));
    // The accept's answer is lost; when the run reads the outputs to confirm, one is missing.
    w.on('requests.acceptQuote', { kind: 'lose' });
    let accepted = false;
    w.on(
      'requests.get',
      {
        kind: 'answer',
        change: (v) => {
          accepted = (v as { state: string }).state !== 'quoted';
          return v;
        },
      },
      { times: 999 },
    );
    w.on(
      'outputs.list',
      {
        kind: 'answer',
        change: (v) => {
          const page = v as { items: unknown[] };
          return accepted ? { ...page, items: page.items.slice(1) } : v;
        },
      },
      { times: 999 },
    );
    await stepUntil(w, 'drift', () => false);
    const status = (await runStatus(w.journal, 'drift'))._unsafeUnwrap();
    expect(status.state).toBe('stopped');
    expect(status.reason).toMatch(/\S/);
  });

  it("is taken with its quote's total: the run asks for that much when the payer lacks the funds", async () => {
    const w = makeWorld();
    const payer = (
      await w.direct.users.create({ email: 'short@example.com', name: 'Short payer' })
    )._unsafeUnwrap();
    await planRun(
      w.journal,
      planOf('other', payer.id, rowsFor(w, 2, 'cl_clp', '100000'), { tolerance: '0' }),
    );
    // The price guard cancels the build, the process dies before the cancel leaves, and another worker accepts.
    lowerEstimate(w);
    w.on('requests.cancel', { kind: 'kill_before' });
    let killed = false;
    for (let i = 0; i < 30 && !killed; i += 1) {
      try {
        const o = (await stepRun(w.ctx, 'other'))._unsafeUnwrap();
        if (o.next === 'wait') await w.ctx.sleep(o.waitMs);
      } catch {
        killed = true;
      }
    }
    expect(killed).toBe(true);
    const [request] = await requestsOf(w, 'other');
    const accepted = (await w.direct.requests.acceptQuote(request?.id ?? ''))._unsafeUnwrap();
    const total = accepted.totalToSpend;
    if (total === null) throw new Error('an accepted request has its total');
    for (let i = 0; i < 20; i += 1) {
      const o = (await stepRun(w.ctx, 'other'))._unsafeUnwrap();
      if (o.status.state === 'waiting_for_funds' || o.next === 'done') break;
      if (o.next === 'wait') await w.ctx.sleep(o.waitMs);
    }
    const status = (await runStatus(w.journal, 'other'))._unsafeUnwrap();
    expect(status.state).toBe('waiting_for_funds');
    expect(status.funds).toMatchObject({ amount: text(total.amount, total.scale), currency: 'ARS' });
  });
});
