import { checkGuarantee } from '@concierge-ts/adapter-memory/testing';
import { describe, expect, it } from 'vitest';
import {
  drive,
  Killed,
  makeWorld,
  plan,
  planOf,
  requestsOf,
  rowsFor,
  snapshot,
  stepToEnd,
} from '../../test/payout-harness.js';
import { conciergeError } from '../gateway/errors.js';
import { cancelRun } from './cancel-run.js';
import { planRun } from './plan-run.js';
import { runReport } from './run-queries.js';
import { stepRun } from './step-run.js';

/** Steps a run of two chunks until chunk 1 is accepted and chunk 2 has a draft. */
const untilFirstAcceptedSecondDrafted = async (w: ReturnType<typeof makeWorld>, runId: string) => {
  for (let i = 0; i < 40; i += 1) {
    const s = (await snapshot(w, runId)).chunks;
    if (
      s.some((c) => c.chunk === 1 && c.stage === 'accepted') &&
      s.some((c) => c.chunk === 2 && c.requestId !== null)
    )
      return;
    const o = (await stepRun(w.ctx, runId))._unsafeUnwrap();
    if (o.next === 'wait') await w.ctx.sleep(o.waitMs);
  }
};

describe('cancelling a run (SPEC 10.4 cancel): what is not accepted is cancelled, what is accepted is followed', () => {
  it('cancels an open draft and its rows, keeps and follows the accepted chunk', async () => {
    const w = makeWorld();
    const rows = rowsFor(w, 4);
    await plan(w, 'c', rows, { chunkSize: 2 });
    await untilFirstAcceptedSecondDrafted(w, 'c');
    const status = (await cancelRun(w.ctx, 'c'))._unsafeUnwrap();
    expect(status).toMatchObject({
      state: 'cancelled',
      reason: expect.any(String),
      rows: { committed: 2, cancelled: 2 },
    });
    const requests = await requestsOf(w, 'c');
    expect(requests.map((r) => [r.externalId, r.state === 'cancelled'])).toEqual([
      ['c/1', false],
      ['c/2', true],
    ]);
    // The cancel was journaled: intent, then outcome.
    expect(
      (await snapshot(w, 'c')).calls.filter((c) => c.kind === 'cancel_request').map((c) => c.state),
    ).toEqual(['ok']);
    const end = (await drive(w.ctx, 'c'))._unsafeUnwrap();
    expect(end).toMatchObject({ state: 'cancelled', rows: { settled: 2, cancelled: 2 } });
    const report = (await runReport(w.journal, 'c'))._unsafeUnwrap();
    expect(report.slice(2).every((l) => l.reason !== null && l.requestId === null)).toBe(true);
    expect((await checkGuarantee(w.direct, w.journal, 'c', rows)).violations).toEqual([]);
    // Cancelling again changes nothing and sends nothing.
    const sent = w.sent.length;
    expect((await cancelRun(w.ctx, 'c'))._unsafeUnwrap()).toMatchObject({
      state: 'cancelled',
      rows: { settled: 2, cancelled: 2 },
    });
    expect(w.sent.slice(sent).filter((s) => s.name === 'requests.cancel')).toEqual([]);
  });

  it('following a cancelled run: the step that finds its last rows final does not wait; the next one is done', async () => {
    const w = makeWorld();
    await plan(w, 'cf', rowsFor(w, 4), { chunkSize: 2 });
    await untilFirstAcceptedSecondDrafted(w, 'cf');
    (await cancelRun(w.ctx, 'cf'))._unsafeUnwrap();
    const outcomes: { next: string; committed: number }[] = [];
    for (let i = 0; i < 200; i += 1) {
      const o = (await stepRun(w.ctx, 'cf'))._unsafeUnwrap();
      outcomes.push({ next: o.next, committed: o.status.rows.committed });
      if (o.next === 'done') break;
      if (o.next === 'wait') await w.ctx.sleep(o.waitMs);
    }
    const last = outcomes.findIndex((o) => o.committed === 0);
    // Every step before the rows settle waits for them; the one that sees them settled goes straight on.
    expect(outcomes.slice(0, last).every((o) => o.next === 'wait')).toBe(true);
    expect(outcomes.slice(last)).toEqual([
      { next: 'continue', committed: 0 },
      { next: 'done', committed: 0 },
    ]);
  });

  it('a planned run is cancelled without a call to the service', async () => {
    const w = makeWorld();
    await plan(w, 'p', rowsFor(w, 2));
    expect((await cancelRun(w.ctx, 'p'))._unsafeUnwrap()).toMatchObject({
      state: 'cancelled',
      rows: { cancelled: 2, total: 2 },
    });
    expect(w.sent).toEqual([]);
    expect((await drive(w.ctx, 'p'))._unsafeUnwrap().state).toBe('cancelled');
    expect(w.sent).toEqual([]);
  });

  it('a finished run cannot be cancelled (run_final); an unknown one is run_not_found', async () => {
    const w = makeWorld();
    await plan(w, 'f', rowsFor(w, 1));
    await stepToEnd(w, 'f');
    expect((await cancelRun(w.ctx, 'f'))._unsafeUnwrapErr()).toMatchObject({ code: 'run_final', runId: 'f' });
    expect((await cancelRun(w.ctx, 'none'))._unsafeUnwrapErr()).toMatchObject({
      code: 'run_not_found',
      runId: 'none',
    });
  });

  it('a request the service accepted before the cancel (the process died after accepting) stays committed and is paid', async () => {
    const w = makeWorld();
    const rows = rowsFor(w, 2);
    await plan(w, 'a', rows);
    w.on('requests.acceptQuote', { kind: 'kill_after' });
    for (let i = 0; i < 40; i += 1) {
      try {
        const o = (await stepRun(w.ctx, 'a'))._unsafeUnwrap();
        if (o.next === 'wait') await w.ctx.sleep(o.waitMs);
      } catch (e) {
        if (e instanceof Killed) break;
        throw e;
      }
    }
    const status = (await cancelRun(w.ctx, 'a'))._unsafeUnwrap();
    expect(status).toMatchObject({ state: 'cancelled', rows: { committed: 2, cancelled: 0 } });
    expect(w.sentNamed('requests.cancel')).toEqual([]);
    expect((await drive(w.ctx, 'a'))._unsafeUnwrap()).toMatchObject({
      state: 'cancelled',
      rows: { settled: 2 },
    });
    expect((await checkGuarantee(w.direct, w.journal, 'a', rows)).violations).toEqual([]);
  });

  it("a cancel the service refuses is an error naming the service's refusal; its outcome is journaled", async () => {
    const w = makeWorld();
    await plan(w, 'r', rowsFor(w, 2));
    (await stepRun(w.ctx, 'r'))._unsafeUnwrap();
    w.on('requests.cancel', { kind: 'fail', error: conciergeError.conflict('invalid_transition', 'no') });
    const error = (await cancelRun(w.ctx, 'r'))._unsafeUnwrapErr();
    expect(error).toMatchObject({ code: 'service', error: { type: 'conflict', code: 'invalid_transition' } });
    expect(
      (await snapshot(w, 'r')).calls.filter((c) => c.kind === 'cancel_request').map((c) => c.state),
    ).toEqual(['refused']);
    w.on('requests.cancel', { kind: 'fail', error: conciergeError.timeout('late') });
    expect((await cancelRun(w.ctx, 'r'))._unsafeUnwrapErr().code).toBe('service');
    expect(
      (await snapshot(w, 'r')).calls.filter((c) => c.kind === 'cancel_request').map((c) => c.state),
    ).toEqual(['refused', 'unknown']);
    // The third time it goes through: the draft is cancelled, the rows too.
    expect((await cancelRun(w.ctx, 'r'))._unsafeUnwrap()).toMatchObject({
      state: 'cancelled',
      rows: { cancelled: 2 },
    });
    expect((await requestsOf(w, 'r')).map((x) => x.state)).toEqual(['cancelled']);
  });

  it('a cancelled run whose accepted request then loses its funds stays cancelled (not stopped), its rows cancelled', async () => {
    const w = makeWorld();
    const payer = (
      await w.direct.users.create({ email: 'late@example.com', name: 'Late payer' })
    )._unsafeUnwrap();
    const rows = rowsFor(w, 2, 'cl_clp', '100000');
    await planRun(w.journal, planOf('lostfunds', payer.id, rows));
    const waiting = (await drive(w.ctx, 'lostfunds', { detach: true }))._unsafeUnwrap();
    expect(waiting.state).toBe('committed');
    expect((await cancelRun(w.ctx, 'lostfunds'))._unsafeUnwrap()).toMatchObject({
      state: 'cancelled',
      rows: { committed: 2 },
    });
    const end = (await drive(w.ctx, 'lostfunds'))._unsafeUnwrap();
    expect(end).toMatchObject({ state: 'cancelled', rows: { cancelled: 2 } });
    expect((await requestsOf(w, 'lostfunds'))[0]).toMatchObject({
      state: 'cancelled',
      cancellationReason: 'payment_not_received',
    });
    expect((await checkGuarantee(w.direct, w.journal, 'lostfunds', rows)).violations).toEqual([]);
  });
});
