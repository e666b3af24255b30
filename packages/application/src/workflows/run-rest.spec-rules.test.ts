import { describe, expect, it } from 'vitest';
import {
  drive,
  Killed,
  makeWorld,
  outputsOf,
  plan,
  planOf,
  requestsOf,
  rowsFor,
  snapshot,
  text,
  type World,
} from '../../test/payout-harness.js';
import { conciergeError } from '../gateway/errors.js';
import { field } from '../gateway/field.js';
import type { LogFields, Logger } from '../logger.js';
import { cancelRun } from './cancel-run.js';
import { planRun } from './plan-run.js';
import { listRuns, runReport } from './run-queries.js';
import { stepRun } from './step-run.js';

/** Steps a run until `until` holds of its journal (or a step is killed). */
const stepUntil = async (
  w: World,
  runId: string,
  until: (s: Awaited<ReturnType<typeof snapshot>>) => boolean,
) => {
  for (let i = 0; i < 60; i += 1) {
    if (until(await snapshot(w, runId))) return;
    try {
      const o = (await stepRun(w.ctx, runId))._unsafeUnwrap();
      if (o.next === 'wait') await w.ctx.sleep(o.waitMs);
    } catch (e) {
      if (e instanceof Killed) return;
      throw e;
    }
  }
  throw new Error(`run ${runId} never got there`);
};

const cancelCalls = async (w: World, runId: string) =>
  (await snapshot(w, runId)).calls.filter((c) => c.kind === 'cancel_request').map((c) => c.state);

describe('cancelling a run (SPEC 10.4 cancel, 10.2)', () => {
  it("reads the service by the build's external id, writes the cancel's intent before sending it, and shows the chunk's request cancelled", async () => {
    const w = makeWorld();
    await plan(w, 'x', rowsFor(w, 2));
    await stepUntil(w, 'x', (s) => s.chunks.some((c) => c.requestId !== null));
    const [draft] = await requestsOf(w, 'x');
    const listed = w.sentNamed('requests.list').length;
    const status = (await cancelRun(w.ctx, 'x'))._unsafeUnwrap();
    // Resume reads, never assumes (10.2.4): requests by external_id.
    const lists = w.sentNamed('requests.list').slice(listed);
    expect(lists.length).toBeGreaterThan(0);
    for (const l of lists) expect(l.args[0]).toMatchObject({ externalId: draft?.externalId });
    // Intent first (10.2.1): the cancel was in the journal when it left.
    const [sent] = w.sentNamed('requests.cancel');
    expect(sent?.args[0]).toBe(draft?.id);
    expect(sent?.journaled.filter((c) => c.kind === 'cancel_request').map((c) => c.state)).toEqual([
      'intent',
    ]);
    expect(await cancelCalls(w, 'x')).toEqual(['ok']);
    // status --json: the chunk's request, by its id, is cancelled.
    expect(status.requests).toEqual([
      { chunk: 1, externalId: draft?.externalId, id: draft?.id, state: 'cancelled' },
    ]);
    // Every row ends with a reason the integrator can act on (10.2).
    expect(status.state).toBe('cancelled');
    expect(status.reason).toMatch(/\S/);
    const report = (await runReport(w.journal, 'x'))._unsafeUnwrap();
    expect(report.map((l) => l.state)).toEqual(['cancelled', 'cancelled']);
    for (const l of report) expect(l.reason).toMatch(/\S/);
  });

  it('a chunk whose request was never created shows no cancelled request', async () => {
    const w = makeWorld();
    await plan(w, 'n', rowsFor(w, 2));
    w.on('requests.create', { kind: 'kill_before' });
    await stepUntil(w, 'n', () => false);
    expect((await snapshot(w, 'n')).chunks).toHaveLength(1);
    const status = (await cancelRun(w.ctx, 'n'))._unsafeUnwrap();
    expect(status.requests).toHaveLength(1);
    expect(status.requests[0]?.id).toBeNull();
    expect(status.requests[0]?.state).not.toBe('cancelled');
    expect(w.sentNamed('requests.cancel')).toEqual([]);
    expect(status.rows).toMatchObject({ cancelled: 2 });
  });

  it('a request the service already cancelled is not cancelled again; its rows are cancelled', async () => {
    const w = makeWorld();
    await plan(w, 'g', rowsFor(w, 2));
    await stepUntil(w, 'g', (s) => s.chunks.some((c) => c.requestId !== null));
    const [draft] = await requestsOf(w, 'g');
    (await w.direct.requests.cancel(draft?.id as string))._unsafeUnwrap();
    const status = (await cancelRun(w.ctx, 'g'))._unsafeUnwrap();
    expect(w.sentNamed('requests.cancel')).toEqual([]);
    expect(status).toMatchObject({ state: 'cancelled', rows: { cancelled: 2 } });
  });

  it('a late draft next to an accepted request is cancelled, and that cancel is journaled with its outcome', async () => {
    const w = makeWorld();
    const rows = rowsFor(w, 2);
    await plan(w, 'l', rows);
    w.on('requests.acceptQuote', { kind: 'kill_after' });
    await stepUntil(w, 'l', () => false);
    const [accepted] = await requestsOf(w, 'l');
    const late = (
      await w.direct.requests.create({
        portCode: 'ar_ars',
        payerId: w.seeded.payerId,
        externalId: accepted?.externalId as string,
      })
    )._unsafeUnwrap();
    const status = (await cancelRun(w.ctx, 'l'))._unsafeUnwrap();
    expect(w.sentNamed('requests.cancel').map((s) => s.args[0])).toEqual([late.id]);
    expect(await cancelCalls(w, 'l')).toEqual(['ok']);
    expect(status).toMatchObject({ state: 'cancelled', rows: { committed: 2, cancelled: 0 } });
  });

  for (const target of ['working', 'finished'] as const) {
    it(`a request accepted before the cancel and already ${target} is not cancelled`, async () => {
      const w = makeWorld();
      await plan(w, `a-${target}`, rowsFor(w, 2));
      w.on('requests.acceptQuote', { kind: 'kill_after' });
      await stepUntil(w, `a-${target}`, () => false);
      for (let i = 0; i < 200; i += 1) {
        const [r] = await requestsOf(w, `a-${target}`);
        if (r?.state === target) break;
        await w.ctx.sleep(60_000);
      }
      const [r] = await requestsOf(w, `a-${target}`);
      expect(r?.state).toBe(target);
      const status = (await cancelRun(w.ctx, `a-${target}`))._unsafeUnwrap();
      expect(w.sentNamed('requests.cancel')).toEqual([]);
      // Its rows stay committed (10.2: paid exactly once, never reported cancelled), and following
      // the run reports each settled.
      expect(status.rows).toMatchObject({ cancelled: 0 });
      await stepUntil(w, `a-${target}`, (s) => s.rows.every((row) => row.state === 'settled'));
      const report = (await runReport(w.journal, `a-${target}`))._unsafeUnwrap();
      expect(report.map((l) => l.state)).toEqual(['settled', 'settled']);
    });
  }

  it('cancelling a cancelled run again changes nothing, not even what the payer must deposit', async () => {
    const w = makeWorld();
    const payer = (
      await w.direct.users.create({ email: 'slow@example.com', name: 'Slow payer' })
    )._unsafeUnwrap();
    await planRun(w.journal, planOf('again', payer.id, rowsFor(w, 2, 'cl_clp', '100000')));
    expect((await drive(w.ctx, 'again', { detach: true }))._unsafeUnwrap().state).toBe('committed');
    (await cancelRun(w.ctx, 'again'))._unsafeUnwrap();
    const followed = (await stepRun(w.ctx, 'again'))._unsafeUnwrap().status;
    expect(followed).toMatchObject({ state: 'cancelled', funds: { currency: 'ARS' } });
    const before = (await listRuns(w.journal))._unsafeUnwrap();
    await w.ctx.sleep(5000);
    expect((await cancelRun(w.ctx, 'again'))._unsafeUnwrap()).toEqual(followed);
    // Nothing was written: the run was last updated when it was followed.
    expect((await listRuns(w.journal))._unsafeUnwrap()).toEqual(before);
  });
});

const recordingLogger = (lines: { fields: LogFields; message: string | undefined }[]): Logger => {
  const logger: Logger = {
    level: 'info',
    isLevelEnabled: () => true,
    trace: () => undefined,
    debug: () => undefined,
    info: (fields, message) => {
      lines.push({ fields, message });
    },
    warn: () => undefined,
    error: () => undefined,
    fatal: () => undefined,
    child: () => logger,
  };
  return logger;
};

describe("a run's state (SPEC 10.4 status)", () => {
  it('moves working, committed, finished, and each change is logged once', async () => {
    const w = makeWorld();
    const lines: { fields: LogFields; message: string | undefined }[] = [];
    const ctx = { ...w.ctx, logger: recordingLogger(lines) };
    await plan(w, 's', rowsFor(w, 2));
    for (let i = 0; i < 60; i += 1) {
      const o = (await stepRun(ctx, 's'))._unsafeUnwrap();
      if (o.next === 'done') break;
      if (o.next === 'wait') await w.ctx.sleep(o.waitMs);
    }
    const states = lines.filter((l) => l.message === 'payout run state').map((l) => l.fields.state);
    expect(states).toEqual(['working', 'committed', 'finished']);
  });

  it('a cancelled run sends nothing more, not even for payees still to create, and has nothing left to commit', async () => {
    const w = makeWorld();
    const rows = rowsFor(w, 2).map((r, i) => ({
      line: r.line,
      reference: r.reference,
      portCode: 'mx_mxn',
      amount: '300',
      email: `p${i}@example.com`,
      name: `Payee ${i}`,
      body: { payment_method: 'domestic_bank', country: 'MX', currency: 'MXN', clabe: '032180000118359719' },
    }));
    await plan(w, 'np', rows, { chunkSize: 1 });
    (await cancelRun(w.ctx, 'np'))._unsafeUnwrap();
    const o = (await stepRun(w.ctx, 'np'))._unsafeUnwrap();
    expect(o).toMatchObject({ next: 'done', committed: true });
    expect(o.status).toMatchObject({ state: 'cancelled', requests: [], rows: { cancelled: 2 } });
    expect(w.sent).toEqual([]);
  });

  it('a stopped run has nothing left to commit, though a later chunk was never built', async () => {
    const w = makeWorld();
    await plan(w, 'st', rowsFor(w, 2), { chunkSize: 1, maxTotal: '0.01' });
    for (let i = 0; i < 60; i += 1) {
      const o = (await stepRun(w.ctx, 'st'))._unsafeUnwrap();
      if (o.status.state === 'stopped') break;
      if (o.next === 'wait') await w.ctx.sleep(o.waitMs);
    }
    const o = (await stepRun(w.ctx, 'st'))._unsafeUnwrap();
    expect(o.status.state).toBe('stopped');
    expect(o.status.requests.map((r) => r.chunk)).toEqual([1]);
    expect(o).toMatchObject({ next: 'done', committed: true });
  });
});

describe('following accepted requests and the funds they wait for (SPEC 10.2)', () => {
  const poorRun = async (w: World, runId: string, chunkSize: number) => {
    const payer = (
      await w.direct.users.create({ email: `${runId}@example.com`, name: 'Poor payer' })
    )._unsafeUnwrap();
    await planRun(w.journal, planOf(runId, payer.id, rowsFor(w, 2, 'cl_clp', '100000'), { chunkSize }));
    expect((await drive(w.ctx, runId, { detach: true }))._unsafeUnwrap().state).toBe('committed');
    return payer;
  };

  it('a request that got its funds no longer counts, the one still waiting does: the payer is told what is missing for it', async () => {
    const w = makeWorld();
    const payer = await poorRun(w, 'two', 1);
    const [first] = await requestsOf(w, 'two');
    const t = first?.totalToSpend;
    // Enough for one request: the service charges one of them, the other still waits.
    (
      await w.concierge.operator.deposit(payer.id, {
        portCode: 'ar_ars',
        amount: text(t?.amount ?? 0n, t?.scale ?? 2),
      })
    )._unsafeUnwrap();
    await w.ctx.sleep(1000);
    const status = (await stepRun(w.ctx, 'two'))._unsafeUnwrap().status;
    const requests = await requestsOf(w, 'two');
    expect(requests.map((r) => r.state).sort()).toEqual(['quote_accepted', 'working']);
    const waiting = requests.find((r) => r.state === 'quote_accepted');
    const owed = waiting?.totalToSpend;
    expect(status.funds).toEqual({
      amount: text(owed?.amount ?? 0n, owed?.scale ?? 2),
      currency: 'ARS',
      before: waiting?.provisionFundsBefore,
    });
  });

  it('a request whose rows are all final is read no more while another still waits (10.2.5)', async () => {
    const w = makeWorld();
    const payer = await poorRun(w, 'done1', 1);
    const [first] = await requestsOf(w, 'done1');
    const t = first?.totalToSpend;
    (
      await w.concierge.operator.deposit(payer.id, {
        portCode: 'ar_ars',
        amount: text(t?.amount ?? 0n, t?.scale ?? 2),
      })
    )._unsafeUnwrap();
    let paid: string | undefined;
    for (let i = 0; i < 100 && paid === undefined; i += 1) {
      await w.ctx.sleep(60_000);
      const report = (await runReport(w.journal, 'done1'))._unsafeUnwrap();
      paid = report.find((l) => l.state === 'settled')?.requestId ?? undefined;
      if (paid === undefined) (await stepRun(w.ctx, 'done1'))._unsafeUnwrap();
    }
    expect(paid).toBeDefined();
    const sent = w.sent.length;
    const status = (await stepRun(w.ctx, 'done1'))._unsafeUnwrap().status;
    expect(status.rows).toMatchObject({ settled: 1, committed: 1 });
    const read = w.sent
      .slice(sent)
      .filter((s) => s.name === 'requests.get')
      .map((s) => s.args[0]);
    expect(read.length).toBeGreaterThan(0);
    expect(read).not.toContain(paid);
  });

  it('a row already final keeps the time it became final when another row of its request becomes final later (SPEC 10.4 report)', async () => {
    const w = makeWorld();
    await plan(w, 'times', rowsFor(w, 2));
    expect((await drive(w.ctx, 'times', { detach: true }))._unsafeUnwrap().state).toBe('committed');
    const [request] = await requestsOf(w, 'times');
    const settle = async (outputId: string) => {
      for (const action of ['issue', 'settle'] as const)
        (await w.concierge.operator.outputAction(outputId, action))._unsafeUnwrap();
    };
    for (let i = 0; i < 100; i += 1) {
      const states = (await outputsOf(w, request?.id as string)).map((o) => o.state);
      if (states.every((s) => s === 'working')) break;
      await w.ctx.sleep(1000);
    }
    const outputs = await outputsOf(w, request?.id as string);
    expect(outputs).toHaveLength(2);
    await settle(outputs[0]?.id as string);
    (await stepRun(w.ctx, 'times'))._unsafeUnwrap();
    const first = (await runReport(w.journal, 'times'))._unsafeUnwrap();
    const settledFirst = first.find((l) => l.outputId === outputs[0]?.id);
    expect(settledFirst?.state).toBe('settled');
    await w.ctx.sleep(1000);
    await settle(outputs[1]?.id as string);
    (await stepRun(w.ctx, 'times'))._unsafeUnwrap();
    const second = (await runReport(w.journal, 'times'))._unsafeUnwrap();
    expect(second.map((l) => l.state)).toEqual(['settled', 'settled']);
    expect(second.find((l) => l.outputId === outputs[0]?.id)?.updatedAt).toBe(settledFirst?.updatedAt);
    expect(second.find((l) => l.outputId === outputs[1]?.id)?.updatedAt).not.toBe(settledFirst?.updatedAt);
  });

  it('a balance that covers the request exactly leaves nothing to deposit', async () => {
    const w = makeWorld();
    const payer = await poorRun(w, 'exact', 2);
    const [request] = await requestsOf(w, 'exact');
    const t = request?.totalToSpend;
    (
      await w.concierge.operator.deposit(payer.id, {
        portCode: 'ar_ars',
        amount: text(t?.amount ?? 0n, t?.scale ?? 2),
      })
    )._unsafeUnwrap();
    const status = (await stepRun(w.ctx, 'exact'))._unsafeUnwrap().status;
    expect((await requestsOf(w, 'exact')).map((r) => r.state)).toEqual(['quote_accepted']);
    expect(status.funds).toBeUndefined();
  });

  it('funds not provided in time stop the run with a reason', async () => {
    const w = makeWorld();
    await poorRun(w, 'late', 2);
    const status = (await drive(w.ctx, 'late'))._unsafeUnwrap();
    expect(status.state).toBe('stopped');
    expect(status.reason).toMatch(/\S/);
  });
});

describe('a stopped run (SPEC 10.4: stopped with rows that need the integrator)', () => {
  it('whose first draft was refused has its rows cancelled and is done: stepping it again sends nothing', async () => {
    const w = makeWorld();
    await plan(w, 'refused', rowsFor(w, 2));
    w.on('requests.create', {
      kind: 'fail',
      error: conciergeError.unprocessable('invalid', 'no', field.attribute('port_code')),
    });
    for (let i = 0; i < 20; i += 1) {
      const o = (await stepRun(w.ctx, 'refused'))._unsafeUnwrap();
      if (o.status.state === 'stopped') break;
    }
    const sent = w.sent.length;
    const o = (await stepRun(w.ctx, 'refused'))._unsafeUnwrap();
    expect(o).toMatchObject({
      next: 'done',
      status: { state: 'stopped', rows: { pending: 0, cancelled: 2 } },
    });
    expect(w.sent.slice(sent)).toEqual([]);
  });
});
