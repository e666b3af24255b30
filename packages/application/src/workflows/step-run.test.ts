import { bodyFor, checkGuarantee, MAGIC_ACCOUNTS } from '@concierge-ts/adapter-memory/testing';
import { rateText } from '@concierge-ts/domain';
import { describe, expect, it } from 'vitest';
import { errorAt } from '../../test/error-location.js';
import {
  drive,
  EFFECT_KIND,
  Killed,
  makeWorld,
  outputsOf,
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
import type { Logger } from '../logger.js';
import type { CallRecord } from './payout-journal.js';
import type { PayoutRowInput } from './payout-run.js';
import { planRun } from './plan-run.js';
import { runReport, runStatus } from './run-queries.js';
import { stepRun } from './step-run.js';

/**
 * SPEC 10.2.1, intent first: every call with an effect left with an intent of its kind
 * already in the journal that no earlier call had used, and ended with an outcome.
 */
const intentViolations = (w: World): string[] => {
  const used = new Set<string>();
  const problems: string[] = [];
  for (const call of w.sent) {
    const kind = EFFECT_KIND[call.name];
    if (kind === undefined) continue;
    const intent = call.journaled.find((c) => c.kind === kind && c.state === 'intent' && !used.has(c.key));
    if (intent === undefined) problems.push(`${call.name} was sent with no intent of ${kind} journaled`);
    else used.add(intent.key);
  }
  return problems;
};

describe('the payout run step by step (SPEC 10.2)', () => {
  it('journals the intent of every call with an effect before sending it, and its outcome after (10.2.1)', async () => {
    const w = makeWorld();
    const rows: PayoutRowInput[] = [
      ...rowsFor(w, 3),
      {
        line: 9,
        reference: 'new-payee',
        portCode: 'uy_uyu',
        amount: '2000',
        email: 'lucia@example.com',
        name: 'Lucía',
        body: bodyFor('uy_uyu', MAGIC_ACCOUNTS.settles),
      },
    ];
    await plan(w, 'r', rows, { chunkSize: 2 });
    await stepToEnd(w, 'r');
    const effects = w.sent.filter((s) => EFFECT_KIND[s.name] !== undefined).map((s) => s.name);
    // Every kind the run uses here: a payee, an instruction, 2 drafts, 4 outputs, 2 quotes, 2 accepts.
    expect(effects.filter((n) => n === 'users.create')).toHaveLength(1);
    expect(effects.filter((n) => n === 'withdrawalInstructions.create')).toHaveLength(1);
    expect(effects.filter((n) => n === 'requests.create')).toHaveLength(2);
    expect(effects.filter((n) => n === 'outputs.create')).toHaveLength(4);
    expect(effects.filter((n) => n === 'requests.requestQuote')).toHaveLength(2);
    expect(effects.filter((n) => n === 'requests.acceptQuote')).toHaveLength(2);
    expect(intentViolations(w)).toEqual([]);
    const calls = (await snapshot(w, 'r')).calls;
    expect(calls).toHaveLength(effects.length);
    expect(calls.filter((c: CallRecord) => c.state !== 'ok')).toEqual([]);
    expect((await checkGuarantee(w.direct, w.journal, 'r', rows)).violations).toEqual([]);
  });

  it('pays identical rows (same payee, instruction, port and amount) both, each with its own output (10.2.3)', async () => {
    const w = makeWorld();
    const rows = rowsFor(w, 3, 'mx_mxn', '500');
    await plan(w, 'twins', rows);
    await stepToEnd(w, 'twins');
    const report = (await runReport(w.journal, 'twins'))._unsafeUnwrap();
    expect(report.map((l) => l.state)).toEqual(['settled', 'settled', 'settled']);
    const ids = report.map((l) => l.outputId);
    expect(new Set(ids).size).toBe(3);
    const [request] = await requestsOf(w, 'twins');
    expect(request?.externalId).toBe('twins/1');
    expect((await outputsOf(w, request?.id ?? '')).map((o) => o.id).sort()).toEqual([...ids].sort());
  });

  it('a duplicate output arriving late makes the quote differ from the rows: that request is cancelled, never accepted, and the chunk is built again as <run>/1.2 (10.2.3)', async () => {
    const w = makeWorld();
    const rows = rowsFor(w, 2);
    await plan(w, 'late', rows);
    // The first create of the first row times out and reaches the service only when the quote is asked.
    w.on('outputs.create', { kind: 'late' });
    w.on('requests.requestQuote', { kind: 'before', first: () => w.deliverLate() });
    await stepToEnd(w, 'late');
    const requests = await requestsOf(w, 'late');
    expect(requests.map((r) => [r.externalId, r.state])).toEqual([
      ['late/1', 'cancelled'],
      ['late/1.2', 'finished'],
    ]);
    const first = requests[0]?.id;
    expect(w.sentNamed('requests.acceptQuote').map((s) => s.args[0])).toEqual([requests[1]?.id]);
    expect(w.sentNamed('requests.cancel').map((s) => s.args[0])).toEqual([first]);
    expect((await outputsOf(w, first ?? '')).length).toBe(3);
    const status = (await runStatus(w.journal, 'late'))._unsafeUnwrap();
    expect(status).toMatchObject({ state: 'finished', rows: { settled: 2, total: 2 } });
    expect(status.requests.map((r) => [r.externalId, r.state])).toEqual([
      ['late/1', 'cancelled'],
      ['late/1.2', 'finished'],
    ]);
    expect((await checkGuarantee(w.direct, w.journal, 'late', rows)).violations).toEqual([]);
    // The cancel too went out with its intent journaled first.
    expect(intentViolations(w)).toEqual([]);
  });

  it('a process killed after cancelling a build that did not match resumes reading the request cancelled, and builds the chunk again (10.2.4)', async () => {
    const w = makeWorld();
    const rows = rowsFor(w, 2);
    await plan(w, 'killcancel', rows);
    w.on('outputs.create', { kind: 'late' });
    w.on('requests.requestQuote', { kind: 'before', first: () => w.deliverLate() });
    w.on('requests.cancel', { kind: 'kill_after' });
    await stepToEnd(w, 'killcancel');
    expect(w.sentNamed('requests.cancel')).toHaveLength(1);
    expect((await requestsOf(w, 'killcancel')).map((r) => [r.externalId, r.state])).toEqual([
      ['killcancel/1', 'cancelled'],
      ['killcancel/1.2', 'finished'],
    ]);
    expect((await checkGuarantee(w.direct, w.journal, 'killcancel', rows)).violations).toEqual([]);
  });

  it('a build being cancelled whose request another worker accepted meanwhile is taken as accepted, not cancelled (10.2)', async () => {
    const w = makeWorld();
    const rows = rowsFor(w, 2);
    // The price guard cancels the build (its estimate is lowered by one unit, tolerance 0)...
    await plan(w, 'race', rows, { tolerance: '0' });
    w.on('estimates.create', {
      kind: 'answer',
      change: (v) => {
        const e = v as { totalToSpend: { amount: bigint } };
        return { ...e, totalToSpend: { ...e.totalToSpend, amount: e.totalToSpend.amount - 1n } };
      },
    });
    // ...and the process dies before the cancel leaves, while another worker accepts the quote.
    w.on('requests.cancel', { kind: 'kill_before' });
    let killed = false;
    for (let i = 0; i < 30 && !killed; i += 1) {
      try {
        const o = (await stepRun(w.ctx, 'race'))._unsafeUnwrap();
        if (o.next === 'wait') await w.ctx.sleep(o.waitMs);
      } catch (e) {
        if (!(e instanceof Killed)) throw e;
        killed = true;
      }
    }
    expect(killed).toBe(true);
    const [request] = await requestsOf(w, 'race');
    (await w.direct.requests.acceptQuote(request?.id ?? ''))._unsafeUnwrap();
    await stepToEnd(w, 'race');
    expect(w.sentNamed('requests.cancel')).toHaveLength(1);
    expect((await requestsOf(w, 'race')).map((r) => [r.externalId, r.state])).toEqual([
      ['race/1', 'finished'],
    ]);
    expect((await runStatus(w.journal, 'race'))._unsafeUnwrap()).toMatchObject({ rows: { settled: 2 } });
    expect((await checkGuarantee(w.direct, w.journal, 'race', rows)).violations).toEqual([]);
  });

  it('a chunk that never matches at the quote is built again maxRebuilds times (3 unless tuned) (<run>/1.2, /1.3...) and then the run stops with a reason; nothing is accepted (10.2.3)', async () => {
    for (const maxRebuilds of [1, 3]) {
      const w = makeWorld();
      const rows = rowsFor(w, 2);
      await plan(w, 'never', rows);
      const drafts = new Set<string>();
      // The first output of every build arrives twice.
      w.on(
        'outputs.create',
        { kind: 'late' },
        {
          times: 99,
          when: (args) => {
            const id = (args[0] as { requestId: string }).requestId;
            if (drafts.has(id)) return false;
            drafts.add(id);
            return true;
          },
        },
      );
      w.on('requests.requestQuote', { kind: 'before', first: () => w.deliverLate() }, { times: 99 });
      const status = (
        await drive(w.context(maxRebuilds === 3 ? {} : { maxRebuilds }), 'never')
      )._unsafeUnwrap();
      const ids = ['never/1', ...Array.from({ length: maxRebuilds }, (_, i) => `never/1.${i + 2}`)];
      expect((await requestsOf(w, 'never')).map((r) => [r.externalId, r.state])).toEqual(
        ids.map((id) => [id, 'cancelled']),
      );
      expect(w.sentNamed('requests.acceptQuote')).toEqual([]);
      expect(status.state).toBe('stopped');
      expect(status.reason).toEqual(expect.any(String));
      const report = (await runReport(w.journal, 'never'))._unsafeUnwrap();
      expect(report.map((l) => [l.state, l.requestId, typeof l.reason])).toEqual([
        ['cancelled', null, 'string'],
        ['cancelled', null, 'string'],
      ]);
      expect((await checkGuarantee(w.direct, w.journal, 'never', rows)).violations).toEqual([]);
    }
  });

  it('the price guard: a quote over its estimate by more than the tolerance is cancelled and stops the run; up to the tolerance it is accepted (10.2)', async () => {
    // The estimate the service answers is lowered by `cut` minor units; the quote is the service's own.
    const attempt = async (tolerance: string, cut: (total: bigint) => bigint) => {
      const w = makeWorld();
      const rows = rowsFor(w, 2, 'cl_clp', '100000');
      await plan(w, 'guard', rows, { tolerance });
      let estimated = 0n;
      w.on('estimates.create', {
        kind: 'answer',
        change: (v) => {
          const e = v as { totalToSpend: { amount: bigint } };
          estimated = e.totalToSpend.amount - cut(e.totalToSpend.amount);
          return { ...e, totalToSpend: { ...e.totalToSpend, amount: estimated } };
        },
      });
      const status = (await drive(w.ctx, 'guard'))._unsafeUnwrap();
      const [request] = await requestsOf(w, 'guard');
      return { w, status, estimated, quoted: request?.totalToSpend?.amount ?? null, request };
    };
    // Tolerance 0: the estimate itself is the limit.
    const exact = await attempt('0', () => 0n);
    expect(exact.status.state).toBe('finished');
    expect(exact.quoted).toBe(exact.estimated);
    const under = await attempt('0', () => 1n);
    expect(under.status.state).toBe('stopped');
    expect(under.status.reason).toEqual(expect.any(String));
    expect(under.request?.state).toBe('cancelled');
    expect(under.w.sentNamed('requests.acceptQuote')).toEqual([]);
    expect(under.status.rows).toMatchObject({ cancelled: 2, settled: 0 });
    // Tolerance 0.25: a quote of 5/4 of the estimate passes, one minor unit more does not.
    const quarter = (total: bigint) => total - (total * 4n) / 5n;
    const atLimit = await attempt('0.25', quarter);
    expect(atLimit.quoted).toBe(atLimit.estimated + atLimit.estimated / 4n);
    expect(atLimit.status.state).toBe('finished');
    const overLimit = await attempt('0.25', (t) => quarter(t) + 1n);
    expect(overLimit.status.state).toBe('stopped');
    expect(overLimit.w.sentNamed('requests.acceptQuote')).toEqual([]);
  });

  it("the price guard: the run's max total counts every accepted quote; the chunk that would pass it is cancelled and the run stops (10.2)", async () => {
    const w0 = makeWorld();
    const rows = rowsFor(w0, 4, 'cl_clp', '100000');
    const totalOf = async (w: World, n: number) =>
      (
        await w.direct.estimates.create({
          portCode: 'ar_ars',
          outputs: rows.slice(0, n).map((r) => ({ portCode: r.portCode, amount: r.amount ?? '' })),
        })
      )._unsafeUnwrap().totalToSpend;
    const half = await totalOf(w0, 2);
    const text = (units: bigint) => {
      const digits = units.toString().padStart(half.scale + 1, '0');
      return `${digits.slice(0, -half.scale)}.${digits.slice(-half.scale)}`;
    };
    // Two chunks of two identical rows each: the whole run costs twice a chunk.
    const run = async (maxTotal: string) => {
      const w = makeWorld();
      const mine = rowsFor(w, 4, 'cl_clp', '100000');
      await plan(w, 'max', mine, { chunkSize: 2, maxTotal });
      return { w, status: (await drive(w.ctx, 'max'))._unsafeUnwrap() };
    };
    const enough = await run(text(half.amount * 2n));
    expect(enough.status).toMatchObject({ state: 'finished', rows: { settled: 4 } });
    const short = await run(text(half.amount * 2n - 1n));
    expect(short.status.state).toBe('stopped');
    expect(short.status.rows).toMatchObject({ settled: 2, cancelled: 2 });
    const requests = await requestsOf(short.w, 'max');
    expect(requests.map((r) => [r.externalId, r.state])).toEqual([
      ['max/1', 'finished'],
      ['max/2', 'cancelled'],
    ]);
    expect(short.w.sentNamed('requests.acceptQuote')).toHaveLength(1);
    const report = (await runReport(short.w.journal, 'max'))._unsafeUnwrap();
    expect(
      report.slice(2).every((l) => l.state === 'cancelled' && l.reason !== null && l.outputId === null),
    ).toBe(true);
  });

  it('an accepted request waiting for funds: the run says how much to deposit and before when, and goes on once the payer deposits (10.2, SPEC 3)', async () => {
    const w = makeWorld();
    const payer = (
      await w.direct.users.create({ email: 'poor@example.com', name: 'Poor payer' })
    )._unsafeUnwrap();
    const rows = rowsFor(w, 2, 'cl_clp', '100000');
    await planRun(w.journal, planOf('funds', payer.id, rows));
    let waiting: Awaited<ReturnType<typeof stepRun>> | undefined;
    for (let i = 0; i < 50; i += 1) {
      const outcome = await stepRun(w.ctx, 'funds');
      if (outcome._unsafeUnwrap().status.state === 'waiting_for_funds') {
        waiting = outcome;
        break;
      }
      if (outcome._unsafeUnwrap().next === 'wait') await w.ctx.sleep(outcome._unsafeUnwrap().waitMs);
    }
    const status = waiting?._unsafeUnwrap().status;
    const [request] = await requestsOf(w, 'funds');
    expect(request?.state).toBe('quote_accepted');
    const total = request?.totalToSpend;
    expect(status?.funds).toEqual({
      amount: total ? text(total.amount, total.scale) : 'none',
      currency: 'ARS',
      before: request?.provisionFundsBefore,
    });
    expect(waiting?._unsafeUnwrap()).toMatchObject({ committed: true, next: 'wait' });
    // Half the amount deposited: the other half is still missing.
    const half = (total?.amount ?? 0n) / 2n;
    (
      await w.concierge.operator.deposit(payer.id, {
        portCode: 'ar_ars',
        amount: text(half, total?.scale ?? 2),
      })
    )._unsafeUnwrap();
    const again = (await stepRun(w.ctx, 'funds'))._unsafeUnwrap();
    expect(again.status.funds?.amount).toBe(text((total?.amount ?? 0n) - half, total?.scale ?? 2));
    (
      await w.concierge.operator.deposit(payer.id, {
        portCode: 'ar_ars',
        amount: text(total?.amount ?? 0n, total?.scale ?? 2),
      })
    )._unsafeUnwrap();
    const end = (await drive(w.ctx, 'funds'))._unsafeUnwrap();
    expect(end).toMatchObject({ state: 'finished', rows: { settled: 2 } });
    expect(end.funds).toBeUndefined();
  });

  it('funds not provided in time: the service cancels the request (payment_not_received) and the run stops with a reason, its rows cancelled (10.2)', async () => {
    const w = makeWorld();
    const payer = (
      await w.direct.users.create({ email: 'gone@example.com', name: 'Gone payer' })
    )._unsafeUnwrap();
    const rows = rowsFor(w, 2, 'cl_clp', '100000');
    await planRun(w.journal, planOf('nofunds', payer.id, rows));
    const status = (await drive(w.ctx, 'nofunds'))._unsafeUnwrap();
    const [request] = await requestsOf(w, 'nofunds');
    expect(request).toMatchObject({ state: 'cancelled', cancellationReason: 'payment_not_received' });
    expect(status.state).toBe('stopped');
    expect(status.reason).toEqual(expect.any(String));
    expect(status.funds).toBeUndefined();
    expect(status.rows).toMatchObject({ cancelled: 2, total: 2 });
    expect((await checkGuarantee(w.direct, w.journal, 'nofunds', rows)).violations).toEqual([]);
  });

  it('follows accepted requests by lists of their outputs by state at the largest page size, never output by output (10.2.5)', async () => {
    const w = makeWorld();
    const rows: PayoutRowInput[] = [
      ...rowsFor(w, 3, 'mx_mxn', '300'),
      {
        line: 9,
        reference: 'rejected',
        portCode: 'cl_clp',
        amount: '9000',
        email: 'pedro@example.com',
        name: 'Pedro',
        body: bodyFor('cl_clp', MAGIC_ACCOUNTS.rejected),
      },
      {
        line: 10,
        reference: 'returned',
        portCode: 'mx_mxn',
        amount: '300',
        email: 'sofia@example.com',
        name: 'Sofía',
        body: bodyFor('mx_mxn', MAGIC_ACCOUNTS.returned),
      },
    ];
    await plan(w, 'follow', rows, { chunkSize: 2 });
    const status = (await drive(w.ctx, 'follow'))._unsafeUnwrap();
    expect(status).toMatchObject({
      state: 'finished',
      rows: { settled: 3, rejected: 1, returned: 1, committed: 0, pending: 0 },
    });
    expect(w.sentNamed('outputs.get')).toEqual([]);
    const firstAccept = w.sent.findIndex((s) => s.name === 'requests.acceptQuote');
    const lists = w.sent.slice(firstAccept).filter((s) => s.name === 'outputs.list');
    const byState = lists.filter((s) => (s.args[0] as { state?: string }).state !== undefined);
    expect(byState.length).toBeGreaterThan(0);
    for (const s of byState)
      expect(s.args[0]).toMatchObject({ requestId: expect.any(String), page: { size: 500 } });
    // A list only where a counter shows more final outputs than the journal knows: each
    // list finds at least one row newly final, so there are at most as many as rows.
    expect(byState.length).toBeLessThanOrEqual(rows.length);
    // A request is read only while its own rows are not final: the first chunk's settle
    // long before the returned row of the last chunk.
    const requests = await requestsOf(w, 'follow');
    const reads = (id: string | undefined) =>
      w.sent.slice(firstAccept).filter((s) => s.name === 'requests.get' && s.args[0] === id).length;
    expect(reads(requests[0]?.id)).toBeLessThan(reads(requests[2]?.id));
    for (const s of w.sent.filter((x) => x.name === 'outputs.list'))
      expect((s.args[0] as { page: { size: number } }).page.size).toBe(500);
    const report = (await runReport(w.journal, 'follow'))._unsafeUnwrap();
    expect(report.find((l) => l.reference === 'rejected')).toMatchObject({
      state: 'rejected',
      reason: 'instruction_mismatch',
    });
    expect(report.find((l) => l.reference === 'returned')).toMatchObject({
      state: 'returned',
      reason: expect.any(String),
    });
    expect((await checkGuarantee(w.direct, w.journal, 'follow', rows)).violations).toEqual([]);
  });

  it('a process killed right after the draft was created resumes by looking for it by external id before sending anything; one request only (10.2.4)', async () => {
    const w = makeWorld();
    const rows = rowsFor(w, 2);
    await plan(w, 'resume', rows);
    w.on('requests.create', { kind: 'kill_after' });
    await expect(stepRun(w.ctx, 'resume')).rejects.toBeInstanceOf(Killed);
    // The journal holds the intent, no outcome.
    expect((await snapshot(w, 'resume')).calls.map((c) => [c.kind, c.state])).toEqual([
      ['create_request', 'intent'],
    ]);
    const before = w.sent.length;
    (await stepRun(w.ctx, 'resume'))._unsafeUnwrap();
    const resumed = w.sent.slice(before);
    expect(resumed[0]).toMatchObject({ name: 'requests.list', args: [{ externalId: 'resume/1' }] });
    expect(resumed.filter((s) => EFFECT_KIND[s.name] !== undefined)).toEqual([]);
    await stepToEnd(w, 'resume');
    const requests = await requestsOf(w, 'resume');
    expect(requests.map((r) => [r.externalId, r.state])).toEqual([['resume/1', 'finished']]);
    expect(w.sentNamed('requests.create')).toHaveLength(1);
    expect((await checkGuarantee(w.direct, w.journal, 'resume', rows)).violations).toEqual([]);
  });

  it('a draft whose create answer was lost is found by its external id, not created again (10.2.2)', async () => {
    const w = makeWorld();
    const rows = rowsFor(w, 2);
    await plan(w, 'lostdraft', rows);
    w.on('requests.create', { kind: 'lose' });
    await stepToEnd(w, 'lostdraft');
    expect(w.sentNamed('requests.create')).toHaveLength(1);
    expect((await requestsOf(w, 'lostdraft')).map((r) => r.state)).toEqual(['finished']);
    expect((await runStatus(w.journal, 'lostdraft'))._unsafeUnwrap().rows.settled).toBe(2);
  });

  it('a draft created twice (a create delivered late) is adopted once; the extra draft gets no outputs and is cancelled (10.2.2)', async () => {
    const w = makeWorld();
    const rows = rowsFor(w, 2);
    await plan(w, 'twodrafts', rows);
    // The first create arrives late, after the run looked for it, found nothing and sent a
    // second one whose answer was lost: the next look finds two drafts under the external id.
    w.on('requests.create', { kind: 'late' });
    w.on('requests.create', { kind: 'lose' });
    w.on(
      'requests.list',
      { kind: 'before', first: () => w.deliverLate() },
      { when: (_, seen) => seen === 1 },
    );
    await stepToEnd(w, 'twodrafts');
    expect(w.sentNamed('requests.create')).toHaveLength(2);
    const requests = await requestsOf(w, 'twodrafts');
    expect(requests).toHaveLength(2);
    const states = requests.map((r) => r.state).sort();
    expect(states).toEqual(['cancelled', 'finished']);
    const extra = requests.find((r) => r.state === 'cancelled');
    expect(await outputsOf(w, extra?.id ?? '')).toEqual([]);
    expect((await checkGuarantee(w.direct, w.journal, 'twodrafts', rows)).violations).toEqual([]);
  });

  it('output creates whose answer was lost are never sent again: the draft is read and they are found there (10.2.2)', async () => {
    const w = makeWorld();
    const rows = rowsFor(w, 4, 'mx_mxn', '500');
    await plan(w, 'lostout', rows);
    w.on('outputs.create', { kind: 'lose' }, { times: 2 });
    await stepToEnd(w, 'lostout');
    expect(w.sentNamed('outputs.create')).toHaveLength(4);
    const [request] = await requestsOf(w, 'lostout');
    expect((await outputsOf(w, request?.id ?? '')).length).toBe(4);
    expect(request?.state).toBe('finished');
    expect((await checkGuarantee(w.direct, w.journal, 'lostout', rows)).violations).toEqual([]);
  });

  it('a process killed after an output was added resumes reading the draft and does not add it again (10.2.4)', async () => {
    const w = makeWorld();
    const rows = rowsFor(w, 3);
    await plan(w, 'killout', rows);
    w.on('outputs.create', { kind: 'kill_after' }, { when: (_, seen) => seen === 1 });
    await stepToEnd(w, 'killout');
    expect(w.sentNamed('outputs.create')).toHaveLength(3);
    const requests = await requestsOf(w, 'killout');
    expect(requests.map((r) => r.state)).toEqual(['finished']);
    expect((await checkGuarantee(w.direct, w.journal, 'killout', rows)).violations).toEqual([]);
  });

  it('an output create turned away before any work (429, connection refused) is sent again after a wait (10.2)', async () => {
    const w = makeWorld();
    const rows = rowsFor(w, 2);
    await plan(w, 'retry', rows);
    w.on('outputs.create', { kind: 'fail', error: conciergeError.rateLimited(7_000) });
    w.on('outputs.create', { kind: 'fail', error: conciergeError.connection('refused', 'not_sent') });
    const steps: { step: string; next: string; waitMs: number }[] = [];
    for (let i = 0; i < 5; i += 1) steps.push((await stepRun(w.ctx, 'retry'))._unsafeUnwrap());
    expect(
      steps.filter((s) => s.next === 'wait' && s.step.startsWith('add outputs')).map((s) => s.waitMs),
    ).toEqual([7_000, 1_000]);
    await stepToEnd(w, 'retry');
    expect(w.sentNamed('outputs.create')).toHaveLength(4);
    expect((await runStatus(w.journal, 'retry'))._unsafeUnwrap().rows.settled).toBe(2);
  });

  it('an output refused for its row fails that row with a reason; the others are paid (10.2)', async () => {
    const w = makeWorld();
    const rows = rowsFor(w, 3);
    await plan(w, 'refused', rows);
    w.on(
      'outputs.create',
      {
        kind: 'fail',
        error: errorAt('amount_too_small', '/data/attributes/amount'),
      },
      { when: (_, seen) => seen === 1 },
    );
    const status = (await drive(w.ctx, 'refused'))._unsafeUnwrap();
    expect(status).toMatchObject({ state: 'finished', rows: { settled: 2, failed: 1 } });
    const report = (await runReport(w.journal, 'refused'))._unsafeUnwrap();
    expect(report[1]).toMatchObject({
      state: 'failed',
      outputId: null,
      reason: expect.stringContaining('amount_too_small'),
    });
    expect((await checkGuarantee(w.direct, w.journal, 'refused', rows)).violations).toEqual([]);
  });

  it('every output refused for its row: the rows fail, and the run goes on to cancel the draft that pays nobody before it is done (10.2)', async () => {
    const w = makeWorld();
    const rows = rowsFor(w, 2);
    await plan(w, 'nonepaid', rows);
    w.on('outputs.create', { kind: 'fail', error: errorAt('amount_too_small', '/data/attributes/amount') });
    w.on('outputs.create', { kind: 'fail', error: errorAt('amount_too_small', '/data/attributes/amount') });
    const status = (await drive(w.ctx, 'nonepaid'))._unsafeUnwrap();
    expect(status).toMatchObject({ state: 'finished', rows: { failed: 2, total: 2 } });
    expect(w.sentNamed('requests.cancel')).toHaveLength(1);
    expect((await requestsOf(w, 'nonepaid')).map((r) => r.state)).toEqual(['cancelled']);
    expect((await checkGuarantee(w.direct, w.journal, 'nonepaid', rows)).violations).toEqual([]);
  });

  it('a process killed after asking to accept resumes by reading the request, and does not accept again (10.2.4)', async () => {
    const w = makeWorld();
    const rows = rowsFor(w, 2);
    await plan(w, 'killaccept', rows);
    w.on('requests.acceptQuote', { kind: 'kill_after' });
    await stepToEnd(w, 'killaccept');
    expect(w.sentNamed('requests.acceptQuote')).toHaveLength(1);
    expect((await runStatus(w.journal, 'killaccept'))._unsafeUnwrap()).toMatchObject({
      state: 'finished',
      rows: { settled: 2 },
    });
  });

  it('an accept whose answer was lost is settled by reading the request (10.2.2)', async () => {
    const w = makeWorld();
    const rows = rowsFor(w, 2);
    await plan(w, 'lostaccept', rows);
    w.on('requests.acceptQuote', { kind: 'lose' });
    await stepToEnd(w, 'lostaccept');
    expect(w.sentNamed('requests.acceptQuote')).toHaveLength(1);
    // Its outcome was journaled as unknown, then settled by the read.
    expect(
      (await snapshot(w, 'lostaccept')).calls.filter((c) => c.kind === 'accept_quote').map((c) => c.state),
    ).toEqual(['unknown']);
    expect((await runStatus(w.journal, 'lostaccept'))._unsafeUnwrap()).toMatchObject({
      state: 'finished',
      rows: { settled: 2 },
    });
  });

  it('a quote request whose answer was lost is not a second request_quote once the service shows it (10.2.2)', async () => {
    const w = makeWorld();
    const rows = rowsFor(w, 2);
    await plan(w, 'lostquote', rows);
    w.on('requests.requestQuote', { kind: 'lose' });
    await stepToEnd(w, 'lostquote');
    expect(w.sentNamed('requests.requestQuote')).toHaveLength(1);
    expect((await runStatus(w.journal, 'lostquote'))._unsafeUnwrap()).toMatchObject({
      state: 'finished',
      rows: { settled: 2 },
    });
  });

  it("a hint token the service refuses is dropped and the quote asked again without it; the quote is the estimate's own (10.2)", async () => {
    const w = makeWorld();
    const rows = rowsFor(w, 2);
    await plan(w, 'hint', rows);
    w.on('requests.requestQuote', {
      kind: 'fail',
      error: errorAt('hint_token_expired', '/data/attributes/hint_token'),
    });
    await stepToEnd(w, 'hint');
    const asks = w.sentNamed('requests.requestQuote').map((s) => s.args[1]);
    expect(asks).toEqual([{ hintToken: expect.any(String) }, {}]);
    expect((await runStatus(w.journal, 'hint'))._unsafeUnwrap()).toMatchObject({
      state: 'finished',
      rows: { settled: 2 },
    });
  });

  it('request_quote refused for another reason cancels the build and builds the chunk again (10.2.3)', async () => {
    const w = makeWorld();
    const rows = rowsFor(w, 2);
    await plan(w, 'noquote', rows);
    w.on('requests.requestQuote', { kind: 'fail', error: conciergeError.conflict('no_outputs', 'refused') });
    await stepToEnd(w, 'noquote');
    expect((await requestsOf(w, 'noquote')).map((r) => [r.externalId, r.state])).toEqual([
      ['noquote/1', 'cancelled'],
      ['noquote/1.2', 'finished'],
    ]);
    expect((await checkGuarantee(w.direct, w.journal, 'noquote', rows)).violations).toEqual([]);
  });

  it('a draft the service refuses stops the run with a reason, its rows cancelled; a bad key ends the step with an error (10.2)', async () => {
    const w = makeWorld();
    await plan(w, 'nodraft', rowsFor(w, 2));
    w.on('requests.create', { kind: 'fail', error: errorAt('inactive_port', '/data/attributes/port_code') });
    const status = (await drive(w.ctx, 'nodraft'))._unsafeUnwrap();
    expect(status).toMatchObject({ state: 'stopped', reason: expect.any(String), rows: { cancelled: 2 } });
    const w2 = makeWorld();
    await plan(w2, 'nokey', rowsFor(w2, 2));
    w2.on('requests.create', { kind: 'fail', error: conciergeError.authentication() });
    expect((await stepRun(w2.ctx, 'nokey'))._unsafeUnwrapErr()).toMatchObject({
      code: 'service',
      error: { type: 'authentication' },
    });
  });

  it("each step's status is the journal's as the step left it: the requests it drafted or rebuilt are there at once (10.2)", async () => {
    const w = makeWorld();
    await plan(w, 'seen', rowsFor(w, 4), { chunkSize: 2 });
    for (let i = 0; i < 100; i += 1) {
      const o = (await stepRun(w.ctx, 'seen'))._unsafeUnwrap();
      expect(o.status).toEqual((await runStatus(w.journal, 'seen'))._unsafeUnwrap());
      if (o.next === 'done') break;
      if (o.next === 'wait') await w.ctx.sleep(o.waitMs);
    }
    expect((await runStatus(w.journal, 'seen'))._unsafeUnwrap().requests).toHaveLength(2);
  });

  it('each step says what it did and what comes next; the run goes planned, working, committed, finished (10.2)', async () => {
    const w = makeWorld();
    await plan(w, 'states', rowsFor(w, 2));
    const seen: string[] = [];
    let committedAt = -1;
    for (let i = 0; i < 100; i += 1) {
      const o = (await stepRun(w.ctx, 'states'))._unsafeUnwrap();
      if (seen.at(-1) !== o.status.state) seen.push(o.status.state);
      if (o.committed && committedAt < 0) committedAt = i;
      // The step that finds every row final is the last: it says done.
      if (o.status.state === 'finished') expect(o.next).toBe('done');
      if (!o.committed) expect(o.status.state).not.toBe('committed');
      if (o.next === 'done') {
        expect(o.waitMs).toBe(0);
        break;
      }
      if (o.next === 'wait') expect(o.waitMs).toBeGreaterThan(0);
      else expect([o.next, o.waitMs]).toEqual(['continue', 0]);
      if (o.next === 'wait') await w.ctx.sleep(o.waitMs);
    }
    expect(seen).toEqual(['working', 'committed', 'finished']);
    expect(committedAt).toBeGreaterThan(0);
    // A finished run: one more step sends nothing and is done.
    const before = w.sent.length;
    const again = (await stepRun(w.ctx, 'states'))._unsafeUnwrap();
    expect(again).toMatchObject({ next: 'done', committed: true, status: { state: 'finished' } });
    expect(w.sent.length).toBe(before);
  });

  it('a chunk whose every output is rejected ends closed, its rows rejected with the reason, nothing paid (10.2)', async () => {
    const w = makeWorld();
    const body = bodyFor('cl_clp', MAGIC_ACCOUNTS.rejected);
    // One row by amount, one by budget.
    const rows: PayoutRowInput[] = [2, 3].map((line) => ({
      line,
      reference: `bad-${line}`,
      portCode: 'cl_clp',
      ...(line === 2 ? { amount: '9000' } : { budget: '900.00' }),
      email: `bad${line}@example.com`,
      name: 'Bad account',
      body,
    }));
    await plan(w, 'allbad', rows);
    const status = (await drive(w.ctx, 'allbad'))._unsafeUnwrap();
    expect(status).toMatchObject({ state: 'finished', rows: { rejected: 2, total: 2 } });
    const report = (await runReport(w.journal, 'allbad'))._unsafeUnwrap();
    for (const line of report) expect(line.reason).toEqual(expect.any(String));
    expect((await checkGuarantee(w.direct, w.journal, 'allbad', rows)).violations).toEqual([]);
  });

  it('an output refused because the request is no longer a draft sends no more outputs to it; the quote settles the build (10.2.3)', async () => {
    const w = makeWorld();
    const rows = rowsFor(w, 3);
    await plan(w, 'closed', rows);
    w.on(
      'outputs.create',
      { kind: 'fail', error: conciergeError.conflict('invalid_transition', 'not a draft') },
      {
        when: (_, seen) => seen === 1,
      },
    );
    await stepToEnd(w, 'closed');
    // The third row was not sent to the first draft after the refusal.
    const first = (await requestsOf(w, 'closed'))[0]?.id;
    expect(
      w.sentNamed('outputs.create').filter((s) => (s.args[0] as { requestId: string }).requestId === first),
    ).toHaveLength(2);
    expect((await requestsOf(w, 'closed')).map((r) => [r.externalId, r.state])).toEqual([
      ['closed/1', 'cancelled'],
      ['closed/1.2', 'finished'],
    ]);
    expect((await checkGuarantee(w.direct, w.journal, 'closed', rows)).violations).toEqual([]);
  });

  it('an output create lost in the network three times is not sent a fourth time to that draft: the quote settles it (10.2.2)', async () => {
    const w = makeWorld();
    const rows = [
      ...rowsFor(w, 1),
      ...rowsFor(w, 1, 'cl_clp', '2000').map((r) => ({ ...r, line: 3, reference: 'inv-2' })),
    ];
    await plan(w, 'absent', rows);
    // Every send of the first row's output is lost on the way (delivered only after the quote).
    w.on(
      'outputs.create',
      { kind: 'late' },
      { times: 3, when: (args) => (args[0] as { amount: string }).amount === '1000' },
    );
    await stepToEnd(w, 'absent');
    const [one] = await requestsOf(w, 'absent');
    const toFirst = w
      .sentNamed('outputs.create')
      .filter((s) => (s.args[0] as { requestId: string }).requestId === one?.id);
    // Row 1 three times (each lost), row 2 once: never a fourth send of row 1 to that draft.
    expect(toFirst).toHaveLength(4);
    // Its last create is journaled as unknown, left for the quote to settle.
    const calls = (await snapshot(w, 'absent')).calls.filter((c) => c.key.startsWith('output/1.1/0#'));
    expect(calls.map((c) => [c.key, c.state])).toEqual([
      ['output/1.1/0#1', 'refused'],
      ['output/1.1/0#2', 'refused'],
      ['output/1.1/0#3', 'unknown'],
    ]);
    expect((await runStatus(w.journal, 'absent'))._unsafeUnwrap()).toMatchObject({
      state: 'finished',
      rows: { settled: 2 },
    });
    expect((await checkGuarantee(w.direct, w.journal, 'absent', rows)).violations).toEqual([]);
  });

  it('a bad API key while adding outputs ends the step with the service error, the outcome journaled (10.2)', async () => {
    const w = makeWorld();
    await plan(w, 'fatal', rowsFor(w, 2));
    w.on('outputs.create', { kind: 'fail', error: conciergeError.authentication() });
    let error: unknown;
    for (let i = 0; i < 5 && error === undefined; i += 1) {
      const o = await stepRun(w.ctx, 'fatal');
      if (o.isErr()) error = o.error;
    }
    expect(error).toMatchObject({ code: 'service', error: { type: 'authentication' } });
    const calls = (await snapshot(w, 'fatal')).calls.filter((c) => c.kind === 'create_output');
    expect(calls.map((c) => c.state)).toEqual(['refused', 'refused']);
    expect(w.sentNamed('outputs.create')).toHaveLength(1);
  });

  it('identical rows: one create lost on the way while its twin arrived is absent from the draft, sent again, and the quote matches at once (10.2.2)', async () => {
    const w = makeWorld();
    const rows = rowsFor(w, 2, 'mx_mxn', '500');
    await plan(w, 'twinlost', rows);
    w.on('outputs.create', { kind: 'late' });
    await stepToEnd(w, 'twinlost');
    expect(w.sentNamed('outputs.create')).toHaveLength(3);
    expect((await requestsOf(w, 'twinlost')).map((r) => [r.externalId, r.state])).toEqual([
      ['twinlost/1', 'finished'],
    ]);
    expect((await checkGuarantee(w.direct, w.journal, 'twinlost', rows)).violations).toEqual([]);
  });

  it("the report carries each row's output: its prices, its attempts, budget rows in the origin currency (10.4 report)", async () => {
    const w = makeWorld();
    const rows: PayoutRowInput[] = [
      { line: 2, reference: 'amount', portCode: 'cl_clp', amount: '150000', ...w.payee('cl_clp') },
      { line: 3, reference: 'budget', portCode: 'mx_mxn', budget: '25000.50', ...w.payee('mx_mxn') },
      {
        line: 4,
        reference: 'twice',
        portCode: 'mx_mxn',
        amount: '300',
        email: 'ines@example.com',
        name: 'Inés',
        body: bodyFor('mx_mxn', MAGIC_ACCOUNTS.failsOnce),
      },
    ];
    await plan(w, 'prices', rows);
    expect((await drive(w.ctx, 'prices'))._unsafeUnwrap().state).toBe('finished');
    const report = (await runReport(w.journal, 'prices'))._unsafeUnwrap();
    const [request] = await requestsOf(w, 'prices');
    const outputs = await outputsOf(w, request?.id ?? '');
    for (const line of report) {
      const o = outputs.find((x) => x.id === line.outputId);
      expect(o, line.reference).toBeDefined();
      if (!o) continue;
      expect(line).toMatchObject({
        requestId: request?.id,
        state: 'settled',
        amount: o.amount ? text(o.amount.amount, o.amount.scale) : null,
        budget: o.budget ? text(o.budget.amount, o.budget.scale) : null,
        feeAndCost: o.feeAndCost ? text(o.feeAndCost.amount, o.feeAndCost.scale) : null,
        rate: o.rate ? rateText(o.rate) : null,
        allInRate: o.allInRate ? rateText(o.allInRate) : null,
        attempts: o.attempts,
      });
      expect(line.rate).not.toBeNull();
      expect(line.allInRate).not.toBeNull();
    }
    expect(report.find((l) => l.reference === 'budget')?.budget).toBe('25000.50');
    expect(report.find((l) => l.reference === 'twice')?.attempts).toBe(2);
  });

  it("outputs go out outputBatch per step, each batch's intents journaled first (10.2.1)", async () => {
    const w = makeWorld();
    await plan(w, 'batch', rowsFor(w, 5));
    const ctx = w.context({ outputBatch: 2 });
    const perStep: number[] = [];
    for (let i = 0; i < 30; i += 1) {
      const before = w.sentNamed('outputs.create').length;
      const o = (await stepRun(ctx, 'batch'))._unsafeUnwrap();
      const sent = w.sentNamed('outputs.create').length - before;
      if (sent > 0) perStep.push(sent);
      if (o.next === 'done') break;
      if (o.next === 'wait') await ctx.sleep(o.waitMs);
    }
    expect(perStep).toEqual([2, 2, 1]);
    expect(intentViolations(w)).toEqual([]);
  });

  it('a chunk left with no row to pay (every payee refused) is closed without a draft; the next chunk is paid (10.2)', async () => {
    const w = makeWorld();
    const body = bodyFor('uy_uyu', MAGIC_ACCOUNTS.settles);
    const rows: PayoutRowInput[] = [
      {
        line: 2,
        reference: 'a',
        portCode: 'uy_uyu',
        amount: '2000',
        email: 'no@example.com',
        name: 'No',
        body,
      },
      {
        line: 3,
        reference: 'b',
        portCode: 'uy_uyu',
        amount: '2000',
        email: 'no@example.com',
        name: 'No',
        body,
      },
      ...rowsFor(w, 1).map((r) => ({ ...r, line: 4, reference: 'c' })),
    ];
    await plan(w, 'empty', rows, { chunkSize: 2 });
    w.on('users.create', { kind: 'fail', error: errorAt('invalid_email', '/data/attributes/email') });
    const status = (await drive(w.ctx, 'empty'))._unsafeUnwrap();
    expect(status).toMatchObject({ state: 'finished', rows: { failed: 2, settled: 1 } });
    expect((await requestsOf(w, 'empty')).map((r) => r.externalId)).toEqual(['empty/2']);
    expect(status.requests.map((r) => [r.externalId, r.state])).toEqual([
      ['empty/1', 'unsent'],
      ['empty/2', 'finished'],
    ]);
  });

  it('a quote request turned away (429) is asked again after the wait the service gave, on the same draft (10.2)', async () => {
    const w = makeWorld();
    const rows = rowsFor(w, 2);
    await plan(w, 'quote429', rows);
    w.on('requests.requestQuote', { kind: 'fail', error: conciergeError.rateLimited(4_000) });
    const steps = await stepToEnd(w, 'quote429');
    expect(steps.length).toBeGreaterThan(0);
    expect(w.sentNamed('requests.requestQuote')).toHaveLength(2);
    expect((await requestsOf(w, 'quote429')).map((r) => [r.externalId, r.state])).toEqual([
      ['quote429/1', 'finished'],
    ]);
  });

  it('a quote left to expire is cancelled by the service; the chunk is built again and paid (10.2.3)', async () => {
    const w = makeWorld();
    const rows = rowsFor(w, 2);
    await plan(w, 'expired', rows);
    // The process stops between the quote and the accept for an hour (the quote is good for minutes).
    w.on(
      'requests.get',
      {
        kind: 'before',
        first: async () => (await w.concierge.operator.advanceClock(3600))._unsafeUnwrap(),
      },
      { when: (_, seen) => seen === 0 },
    );
    const status = (await drive(w.ctx, 'expired'))._unsafeUnwrap();
    const requests = await requestsOf(w, 'expired');
    expect(requests.map((r) => [r.externalId, r.state])).toEqual([
      ['expired/1', 'cancelled'],
      ['expired/1.2', 'finished'],
    ]);
    expect(w.sentNamed('requests.acceptQuote').map((s) => s.args[0])).toEqual([requests[1]?.id]);
    expect(status).toMatchObject({ state: 'finished', rows: { settled: 2 } });
    expect(status.requests.map((r) => [r.externalId, r.state])).toEqual([
      ['expired/1', 'cancelled'],
      ['expired/1.2', 'finished'],
    ]);
  });

  it('waits for a quote at least quoteWaitMs and at most one poll interval, even when the service clock is hours ahead (10.2)', async () => {
    const w = makeWorld();
    await plan(w, 'skew', rowsFor(w, 2));
    const behind = 3 * 60 * 60_000;
    const base = w.context({ pollIntervalMs: 5 * 60_000, quoteWaitMs: 1_500 });
    const waits: { step: string; ms: number }[] = [];
    const ctx = { ...base, now: () => new Date(w.concierge.clock.now() - behind) };
    for (let i = 0; i < 100; i += 1) {
      const o = (await stepRun(ctx, 'skew'))._unsafeUnwrap();
      if (o.next === 'done') break;
      if (o.next === 'wait') {
        waits.push({ step: o.step, ms: o.waitMs });
        await ctx.sleep(o.waitMs);
      }
    }
    const quoteWaits = waits.filter((x) => x.step.includes('quote'));
    expect(quoteWaits.length).toBeGreaterThan(0);
    for (const x of quoteWaits) {
      expect(x.ms).toBeGreaterThanOrEqual(1_500);
      expect(x.ms).toBeLessThanOrEqual(5 * 60_000);
    }
    expect(quoteWaits.some((x) => x.ms === 5 * 60_000)).toBe(true);
    expect((await runStatus(w.journal, 'skew'))._unsafeUnwrap().state).toBe('finished');
  });

  it("with this process's clock ahead of the service's, waits quoteWaitMs between looks at a quote still being made (10.2)", async () => {
    const w = makeWorld();
    await plan(w, 'ahead', rowsFor(w, 2));
    // The quote is still being made the first two times the run looks.
    w.on(
      'requests.get',
      {
        kind: 'answer',
        change: (v) =>
          (v as { state: string }).state === 'quoted' ? { ...(v as object), state: 'quote_requested' } : v,
      },
      { times: 2 },
    );
    const base = w.context({ pollIntervalMs: 30 * 60_000, quoteWaitMs: 10 * 60_000 });
    const ctx = { ...base, now: () => new Date(w.concierge.clock.now() + 3 * 60 * 60_000) };
    const waits: { step: string; ms: number }[] = [];
    for (let i = 0; i < 200; i += 1) {
      const o = (await stepRun(ctx, 'ahead'))._unsafeUnwrap();
      if (o.next === 'done') break;
      if (o.next === 'wait') {
        waits.push({ step: o.step, ms: o.waitMs });
        await ctx.sleep(o.waitMs);
      }
    }
    const quoteWaits = waits.filter((x) => x.step.includes('quote'));
    expect(quoteWaits.length).toBe(3);
    expect(quoteWaits.every((x) => x.ms === 10 * 60_000)).toBe(true);
    expect(quoteWaits.some((x) => x.step.startsWith('wait quote'))).toBe(true);
    expect((await runStatus(w.journal, 'ahead'))._unsafeUnwrap().state).toBe('finished');
  });

  it('a request shown quoted without a total is never accepted: the run stops with a reason (10.2 price guard)', async () => {
    const w = makeWorld();
    await plan(w, 'nototal', rowsFor(w, 2));
    w.on(
      'requests.get',
      {
        kind: 'answer',
        change: (v) =>
          (v as { state: string }).state === 'quoted' ? { ...(v as object), totalToSpend: null } : v,
      },
      { times: 99 },
    );
    const status = (await drive(w.ctx, 'nototal'))._unsafeUnwrap();
    expect(status).toMatchObject({ state: 'stopped', reason: expect.any(String), rows: { cancelled: 2 } });
    expect(w.sentNamed('requests.acceptQuote')).toEqual([]);
  });

  it('logs what a run does as structured fields an operator can filter on: state changes, cancelled and rebuilt builds, accepted chunks, stops', async () => {
    const w = makeWorld();
    await plan(w, 'logged', rowsFor(w, 2));
    const lines: { level: string; fields: Record<string, unknown>; message: string | undefined }[] = [];
    const logger: Logger = {
      level: 'info',
      isLevelEnabled: () => true,
      trace: (fields, message) => lines.push({ level: 'trace', fields, message }),
      debug: (fields, message) => lines.push({ level: 'debug', fields, message }),
      info: (fields, message) => lines.push({ level: 'info', fields, message }),
      warn: (fields, message) => lines.push({ level: 'warn', fields, message }),
      error: (fields, message) => lines.push({ level: 'error', fields, message }),
      fatal: (fields, message) => lines.push({ level: 'fatal', fields, message }),
      child: () => logger,
    };
    w.on('outputs.create', { kind: 'late' });
    w.on('requests.requestQuote', { kind: 'before', first: () => w.deliverLate() });
    const ctx = { ...w.ctx, logger };
    (await drive(ctx, 'logged'))._unsafeUnwrap();
    const fields = lines.map((l) => l.fields);
    expect(fields).toContainEqual({ runId: 'logged', state: 'working' });
    expect(fields).toContainEqual({ runId: 'logged', state: 'finished' });
    const cancelling = fields.find((f) => f.chunk === 1 && f.attempt === 1 && 'then' in f);
    expect(cancelling).toMatchObject({ runId: 'logged', reason: expect.any(String) });
    expect(cancelling?.['then']).toBe('rebuild');
    expect(fields).toContainEqual(expect.objectContaining({ runId: 'logged', chunk: 1, attempt: 2 }));
    const [, second] = await requestsOf(w, 'logged');
    expect(fields).toContainEqual({ runId: 'logged', chunk: 1, requestId: second?.id, rows: 2 });
    // A stop says why.
    const w2 = makeWorld();
    await plan(w2, 'stoplog', rowsFor(w2, 1));
    w2.on('requests.create', { kind: 'fail', error: errorAt('inactive_port', '/data/attributes/port_code') });
    lines.length = 0;
    (await drive({ ...w2.ctx, logger }, 'stoplog'))._unsafeUnwrap();
    expect(lines.map((l) => l.fields)).toContainEqual({
      runId: 'stoplog',
      reason: expect.stringContaining('inactive_port'),
    });
    expect(lines.every((l) => l.level === 'info')).toBe(true);
  });

  it('a request found accepted whose outputs no longer match the rows is never taken for them: the run stops with a reason (10.2.3)', async () => {
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
        change: (v) =>
          accepted
            ? { ...(v as { items: unknown[] }), items: (v as { items: unknown[] }).items.slice(1) }
            : v,
      },
      { times: 999 },
    );
    const status = (await drive(w.ctx, 'drift'))._unsafeUnwrap();
    expect(status).toMatchObject({ state: 'stopped', reason: expect.any(String) });
    const build = (await snapshot(w, 'drift')).chunks[0];
    expect(build).toMatchObject({ stage: 'stopped', requestState: 'quote_accepted' });
  });

  it('a request that went back to draft after its quote was accepted stops the run with a reason (10.2)', async () => {
    const w = makeWorld();
    await plan(w, 'back', rowsFor(w, 2));
    // The accept's answer is lost, and from then on the service shows the request as a draft.
    w.on('requests.acceptQuote', { kind: 'lose' });
    let asked = false;
    w.on(
      'requests.get',
      { kind: 'answer', change: (v) => (asked ? { ...(v as object), state: 'draft' } : v) },
      { times: 999 },
    );
    for (let i = 0; i < 60; i += 1) {
      const o = (await stepRun(w.ctx, 'back'))._unsafeUnwrap();
      if (w.sentNamed('requests.acceptQuote').length > 0) asked = true;
      if (o.next === 'done' || o.status.state === 'stopped') break;
      if (o.next === 'wait') await w.ctx.sleep(o.waitMs);
    }
    expect((await runStatus(w.journal, 'back'))._unsafeUnwrap()).toMatchObject({
      state: 'stopped',
      reason: expect.any(String),
    });
  });

  it('an estimate the service refuses cancels the draft and stops the run with a reason, nothing accepted (10.2 price guard)', async () => {
    const w = makeWorld();
    const rows = rowsFor(w, 2);
    await plan(w, 'noestimate', rows);
    w.on('estimates.create', {
      kind: 'fail',
      error: errorAt('invalid_amount', '/data/attributes/outputs/0/amount'),
    });
    const status = (await drive(w.ctx, 'noestimate'))._unsafeUnwrap();
    expect(status).toMatchObject({
      state: 'stopped',
      reason: expect.stringContaining('invalid_amount'),
      rows: { cancelled: 2 },
    });
    expect((await requestsOf(w, 'noestimate')).map((r) => r.state)).toEqual(['cancelled']);
    expect(w.sentNamed('requests.requestQuote')).toEqual([]);
    expect((await snapshot(w, 'noestimate')).chunks.map((c) => c.stage)).toEqual(['stopped']);
  });

  it("a quote refused on a draft whose every output was rejected closes the chunk: its rows rejected with their outputs' reasons, no rebuild (10.2)", async () => {
    const w = makeWorld();
    // One row by amount, one by budget: a draft's budget output has no amount yet.
    const rows = [
      ...rowsFor(w, 1),
      ...rowsFor(w, 1).map((r) => ({
        ...r,
        line: 3,
        reference: 'inv-b',
        amount: undefined,
        budget: '100.00',
      })),
    ] as PayoutRowInput[];
    await plan(w, 'allrejected', rows);
    w.on('requests.requestQuote', {
      kind: 'fail',
      error: conciergeError.conflict('no_payable_outputs', 'nothing to quote'),
    });
    // The outputs the run then reads were all rejected by the checks.
    w.on(
      'outputs.list',
      {
        kind: 'answer',
        change: (v) => {
          const page = v as { items: { state: string }[] };
          return {
            ...page,
            items: page.items.map((o) => ({ ...o, state: 'rejected', rejectionReason: 'compliance' })),
          };
        },
      },
      { times: 999 },
    );
    const status = (await drive(w.ctx, 'allrejected'))._unsafeUnwrap();
    expect(status).toMatchObject({ state: 'finished', rows: { rejected: 2 } });
    const report = (await runReport(w.journal, 'allrejected'))._unsafeUnwrap();
    expect(report.map((l) => [l.state, l.reason])).toEqual([
      ['rejected', 'compliance'],
      ['rejected', 'compliance'],
    ]);
    expect((await requestsOf(w, 'allrejected')).map((r) => [r.externalId, r.state])).toEqual([
      ['allrejected/1', 'cancelled'],
    ]);
    expect((await snapshot(w, 'allrejected')).chunks.map((c) => c.stage)).toEqual(['closed']);
  });

  it('a quote refused on a draft where only some outputs were rejected builds the chunk again (10.2.3)', async () => {
    const w = makeWorld();
    const rows = rowsFor(w, 2);
    await plan(w, 'somerejected', rows);
    w.on('requests.requestQuote', {
      kind: 'fail',
      error: conciergeError.conflict('invalid_transition', 'refused'),
    });
    w.on('outputs.list', {
      kind: 'answer',
      change: (v) => {
        const page = v as { items: { state: string }[] };
        return { ...page, items: page.items.map((o, i) => (i === 0 ? { ...o, state: 'rejected' } : o)) };
      },
    });
    await stepToEnd(w, 'somerejected');
    expect((await requestsOf(w, 'somerejected')).map((r) => [r.externalId, r.state])).toEqual([
      ['somerejected/1', 'cancelled'],
      ['somerejected/1.2', 'finished'],
    ]);
    expect((await runStatus(w.journal, 'somerejected'))._unsafeUnwrap().rows.settled).toBe(2);
  });

  it('an output create whose answer cannot be read (it may have worked) is looked for in the draft, not taken for a closed request (10.2.2)', async () => {
    const w = makeWorld();
    const rows = rowsFor(w, 3);
    await plan(w, 'undecodable', rows);
    w.on('outputs.create', {
      kind: 'fail_after',
      error: conciergeError.decode('no id', '/data/relationships/request/data'),
    });
    await stepToEnd(w, 'undecodable');
    expect(w.sentNamed('outputs.create')).toHaveLength(3);
    expect((await requestsOf(w, 'undecodable')).map((r) => [r.externalId, r.state])).toEqual([
      ['undecodable/1', 'finished'],
    ]);
    expect((await checkGuarantee(w.direct, w.journal, 'undecodable', rows)).violations).toEqual([]);
  });

  it.each([
    ['quote_accepted', false],
    ['finished', true],
  ])(
    'a request another worker accepted while this one waited for its quote (found %s) is taken as accepted (10.2)',
    async (_, later) => {
      const w = makeWorld();
      const rows = rowsFor(w, 2);
      await plan(w, 'other', rows);
      for (let i = 0; i < 30; i += 1) {
        const o = (await stepRun(w.ctx, 'other'))._unsafeUnwrap();
        if ((await snapshot(w, 'other')).chunks[0]?.stage === 'quoting') break;
        if (o.next === 'wait') await w.ctx.sleep(o.waitMs);
      }
      await w.ctx.sleep(60_000);
      const [request] = await requestsOf(w, 'other');
      expect(request?.state).toBe('quoted');
      (await w.direct.requests.acceptQuote(request?.id ?? ''))._unsafeUnwrap();
      if (later) (await w.concierge.operator.runUntilIdle())._unsafeUnwrap();
      await stepToEnd(w, 'other');
      expect(w.sentNamed('requests.acceptQuote')).toEqual([]);
      expect((await runStatus(w.journal, 'other'))._unsafeUnwrap()).toMatchObject({
        state: 'finished',
        rows: { settled: 2 },
      });
      expect((await checkGuarantee(w.direct, w.journal, 'other', rows)).violations).toEqual([]);
    },
  );

  it('a chunk whose every output is refused closes (its draft cancelled, its rows failed with the reason); the next chunk is paid (10.2)', async () => {
    const w = makeWorld();
    const rows = [
      ...rowsFor(w, 2),
      ...rowsFor(w, 1, 'mx_mxn', '500').map((r) => ({ ...r, line: 9, reference: 'other' })),
    ];
    await plan(w, 'refusedall', rows, { chunkSize: 2 });
    w.on(
      'outputs.create',
      { kind: 'fail', error: errorAt('amount_too_small', '/data/attributes/amount') },
      { times: 2 },
    );
    const status = (await drive(w.ctx, 'refusedall'))._unsafeUnwrap();
    expect(status).toMatchObject({ state: 'finished', rows: { failed: 2, settled: 1 } });
    expect((await requestsOf(w, 'refusedall')).map((r) => [r.externalId, r.state])).toEqual([
      ['refusedall/1', 'cancelled'],
      ['refusedall/2', 'finished'],
    ]);
    expect((await checkGuarantee(w.direct, w.journal, 'refusedall', rows)).violations).toEqual([]);
  });

  it('two accepted requests waiting for funds: the run asks for both totals, before the earlier deadline (10.2)', async () => {
    const w = makeWorld();
    const payer = (await w.direct.users.create({ email: 'two@example.com', name: 'Two' }))._unsafeUnwrap();
    await planRun(
      w.journal,
      planOf('twofunds', payer.id, rowsFor(w, 2, 'cl_clp', '100000'), { chunkSize: 1 }),
    );
    let funds: { amount: string; before: string } | undefined;
    for (let i = 0; i < 60 && funds === undefined; i += 1) {
      const o = (await stepRun(w.ctx, 'twofunds'))._unsafeUnwrap();
      if (o.status.funds && o.status.requests.length === 2 && o.committed) funds = o.status.funds;
      else if (o.next === 'wait') await w.ctx.sleep(o.waitMs);
    }
    const requests = await requestsOf(w, 'twofunds');
    expect(requests.map((r) => r.state)).toEqual(['quote_accepted', 'quote_accepted']);
    const [a, b] = requests;
    expect(a?.provisionFundsBefore).not.toBe(b?.provisionFundsBefore);
    const total = (a?.totalToSpend?.amount ?? 0n) + (b?.totalToSpend?.amount ?? 0n);
    expect(funds).toEqual({
      amount: text(total, a?.totalToSpend?.scale ?? 2),
      currency: 'ARS',
      before: [a?.provisionFundsBefore, b?.provisionFundsBefore].sort()[0],
    });
  });
});
