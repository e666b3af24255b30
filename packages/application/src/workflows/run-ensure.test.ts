import {
  bodyFor,
  checkGuarantee,
  MAGIC_ACCOUNTS,
  sandboxPayoutContext,
} from '@concierge-ts/adapter-memory/testing';
import { errAsync } from 'neverthrow';
import { describe, expect, it } from 'vitest';
import { errorAt } from '../../test/error-location.js';
import { makeWorld, plan, snapshot, stepToEnd, type World } from '../../test/payout-harness.js';
import { conciergeError } from '../gateway/errors.js';
import { payoutError } from './payout-error.js';
import type { PayoutJournal } from './payout-journal.js';
import type { PayoutContext, PayoutRowInput } from './payout-run.js';
import { runReport, runStatus } from './run-queries.js';
import { stepRun } from './step-run.js';

const newRow = (
  line: number,
  email: string,
  body: Record<string, string>,
  extra: Partial<PayoutRowInput> = {},
) =>
  ({
    line,
    reference: `ref-${line}`,
    portCode: 'uy_uyu',
    amount: '2000',
    email,
    name: `Payee ${line}`,
    body,
    ...extra,
  }) as PayoutRowInput;

const usersWith = async (w: World, email: string) =>
  (await w.direct.users.list({ page: { size: 500 } }))._unsafeUnwrap().items.filter((u) => u.email === email);

const instructionsOf = async (w: World, userId: string) =>
  (await w.direct.withdrawalInstructions.list({ page: { size: 500 } }))
    ._unsafeUnwrap()
    .items.filter((i) => i.userId === userId);

describe('payees and instructions found or created, never twice (SPEC 10.1)', () => {
  it('one payee per email (in any case) and one instruction per body; two bodies make two instructions', async () => {
    const w = makeWorld();
    const settles = bodyFor('uy_uyu', MAGIC_ACCOUNTS.settles);
    const other = bodyFor('uy_uyu', 'other');
    const rows = [
      newRow(2, 'lucia@example.com', settles),
      newRow(3, 'Lucia@Example.COM', settles),
      newRow(4, 'lucia@example.com', other),
      newRow(5, 'pablo@example.com', settles),
    ];
    await plan(w, 'parties', rows, { chunkSize: 2 });
    await stepToEnd(w, 'parties');
    // What the service has is listed at the largest page size.
    for (const name of ['users.list', 'withdrawalInstructions.list'])
      for (const s of w.sentNamed(name)) expect(s.args[0], name).toMatchObject({ page: { size: 500 } });
    expect(w.sentNamed('users.create')).toHaveLength(2);
    expect(w.sentNamed('withdrawalInstructions.create')).toHaveLength(3);
    const [lucia] = await usersWith(w, 'lucia@example.com');
    expect(await instructionsOf(w, lucia?.id ?? '')).toHaveLength(2);
    const status = (await runStatus(w.journal, 'parties'))._unsafeUnwrap();
    expect(status).toMatchObject({ state: 'finished', rows: { settled: 4 } });
    expect((await checkGuarantee(w.direct, w.journal, 'parties', rows)).violations).toEqual([]);
    // Every create journaled as a party the run made.
    const parties = (await w.journal.loadRun('parties'))._unsafeUnwrap()?.parties ?? [];
    expect(parties.map((p) => [p.kind, p.origin]).sort()).toEqual([
      ['instruction', 'created'],
      ['instruction', 'created'],
      ['instruction', 'created'],
      ['payee', 'created'],
      ['payee', 'created'],
    ]);
  });

  it('a payee and an instruction the service already has are found, not created; a body written differently but the same once checked matches', async () => {
    const w = makeWorld();
    const body = bodyFor('uy_uyu', MAGIC_ACCOUNTS.settles);
    // A user without an email (the published guide creates one) is nobody's payee.
    (await w.direct.users.create({}))._unsafeUnwrap();
    const user = (await w.direct.users.create({ email: 'ana@example.com', name: 'Ana' }))._unsafeUnwrap();
    (await w.direct.withdrawalInstructions.create({ userId: user.id, body }))._unsafeUnwrap();
    // The row writes the country and currency in lower case: the service keeps them upper case.
    const lower = {
      ...body,
      country: body.country?.toLowerCase() ?? '',
      currency: body.currency?.toLowerCase() ?? '',
    };
    const rows = [newRow(2, 'ana@example.com', lower)];
    await plan(w, 'found', rows);
    await stepToEnd(w, 'found');
    expect(w.sentNamed('users.create')).toEqual([]);
    expect(w.sentNamed('withdrawalInstructions.create')).toEqual([]);
    expect(await usersWith(w, 'ana@example.com')).toHaveLength(1);
    const report = (await runReport(w.journal, 'found'))._unsafeUnwrap();
    expect(report[0]?.state).toBe('settled');
    const parties = (await w.journal.loadRun('found'))._unsafeUnwrap()?.parties ?? [];
    expect(parties.map((p) => [p.kind, p.origin, p.id])).toEqual([
      ['payee', 'found', user.id],
      ['instruction', 'found', (await instructionsOf(w, user.id))[0]?.id],
    ]);
  });

  it('the master user is never taken for a payee, even with the same email', async () => {
    const w = makeWorld();
    const me = (await w.direct.users.me())._unsafeUnwrap();
    const rows = [newRow(2, me.email ?? 'master@example.com', bodyFor('uy_uyu', MAGIC_ACCOUNTS.settles))];
    await plan(w, 'master', rows);
    await stepToEnd(w, 'master');
    expect(w.sentNamed('users.create')).toHaveLength(1);
    const report = (await runReport(w.journal, 'master'))._unsafeUnwrap();
    expect(report[0]?.state).toBe('settled');
    const [output] = (await w.direct.outputs.list({ page: { size: 500 } }))._unsafeUnwrap().items;
    expect(output?.payeeId).not.toBe(me.id);
  });

  it('a payee create whose answer was lost is looked for again and found, not created twice', async () => {
    const w = makeWorld();
    const rows = [newRow(2, 'eva@example.com', bodyFor('uy_uyu', MAGIC_ACCOUNTS.settles))];
    await plan(w, 'lostuser', rows);
    w.on('users.create', { kind: 'lose' });
    w.on('withdrawalInstructions.create', { kind: 'lose' });
    const { stepRun } = await import('./step-run.js');
    // The create's outcome is unknown: look again a little later, not at once.
    expect((await stepRun(w.ctx, 'lostuser'))._unsafeUnwrap()).toMatchObject({
      step: 'ensure payees',
      next: 'wait',
      waitMs: 1000,
    });
    await stepToEnd(w, 'lostuser');
    expect(w.sentNamed('users.create')).toHaveLength(1);
    expect(w.sentNamed('withdrawalInstructions.create')).toHaveLength(1);
    expect(await usersWith(w, 'eva@example.com')).toHaveLength(1);
    expect((await runStatus(w.journal, 'lostuser'))._unsafeUnwrap().rows.settled).toBe(1);
  });

  it('a payee create turned away before any work (429) waits and is sent again', async () => {
    const w = makeWorld();
    await plan(w, 'busy', [newRow(2, 'tom@example.com', bodyFor('uy_uyu', MAGIC_ACCOUNTS.settles))]);
    w.on('users.create', { kind: 'fail', error: conciergeError.rateLimited(1000) });
    const steps = await stepToEnd(w, 'busy');
    expect(steps[0]).toBe('ensure payees');
    expect(w.sentNamed('users.create')).toHaveLength(2);
    expect(await usersWith(w, 'tom@example.com')).toHaveLength(1);
    expect((await runStatus(w.journal, 'busy'))._unsafeUnwrap().rows.settled).toBe(1);
  });

  it('a payee or an instruction the service refuses fails its rows with the reason; the other rows are paid', async () => {
    const w = makeWorld();
    const body = bodyFor('uy_uyu', MAGIC_ACCOUNTS.settles);
    const rows = [
      newRow(2, 'bad@example.com', body),
      newRow(3, 'bad@example.com', body),
      newRow(4, 'ok@example.com', body),
      newRow(5, 'ok@example.com', bodyFor('uy_uyu', 'other')),
    ];
    await plan(w, 'refuse', rows);
    w.on(
      'users.create',
      { kind: 'fail', error: errorAt('invalid_email', '/data/attributes/email') },
      {
        when: (args) => (args[0] as { email: string }).email === 'bad@example.com',
      },
    );
    w.on(
      'withdrawalInstructions.create',
      { kind: 'fail', error: errorAt('invalid_clabe', '/data/attributes/body/cbu') },
      {
        when: (args) =>
          JSON.stringify(args[0]).includes(JSON.stringify(bodyFor('uy_uyu', 'other')).slice(1, -1)),
      },
    );
    await stepToEnd(w, 'refuse');
    const report = (await runReport(w.journal, 'refuse'))._unsafeUnwrap();
    expect(report.map((l) => l.state)).toEqual(['failed', 'failed', 'settled', 'failed']);
    expect(report[0]?.reason).toContain('invalid_email');
    expect(report[1]?.reason).toContain('invalid_email');
    expect(report[3]?.reason).toContain('invalid_clabe');
    expect(w.sentNamed('users.create')).toHaveLength(2);
    expect((await checkGuarantee(w.direct, w.journal, 'refuse', rows)).violations).toEqual([]);
  });

  it('a bad API key while creating a payee ends the step with the service error', async () => {
    const w = makeWorld();
    await plan(w, 'key', [newRow(2, 'kim@example.com', bodyFor('uy_uyu', MAGIC_ACCOUNTS.settles))]);
    w.on('users.create', { kind: 'fail', error: conciergeError.authentication() });
    const { stepRun } = await import('./step-run.js');
    expect((await stepRun(w.ctx, 'key'))._unsafeUnwrapErr()).toMatchObject({
      code: 'service',
      error: { type: 'authentication' },
    });
    const calls = (await w.journal.loadRun('key'))._unsafeUnwrap()?.calls ?? [];
    expect(calls.map((c) => [c.kind, c.state])).toEqual([['create_user', 'refused']]);
  });

  it("creates payees outputBatch per step, each step's intents first", async () => {
    const w = makeWorld();
    const body = bodyFor('uy_uyu', MAGIC_ACCOUNTS.settles);
    await plan(w, 'few', [
      newRow(2, 'a@example.com', body),
      newRow(3, 'b@example.com', body),
      newRow(4, 'c@example.com', body),
    ]);
    const ctx = w.context({ outputBatch: 2 });
    const { stepRun } = await import('./step-run.js');
    const perStep: number[] = [];
    for (let i = 0; i < 4; i += 1) {
      const before = w.sentNamed('users.create').length;
      (await stepRun(ctx, 'few'))._unsafeUnwrap();
      perStep.push(w.sentNamed('users.create').length - before);
    }
    expect(perStep.slice(0, 3)).toEqual([2, 1, 0]);
    expect(w.sentNamed('withdrawalInstructions.create').length).toBeGreaterThan(0);
  });
});

const reversed = (body: Record<string, string>) => Object.fromEntries(Object.entries(body).reverse());

describe('the instruction a row asks for is its payee’s, with its body (SPEC 10.1)', () => {
  it('one body written with its fields in another order is one instruction, created once', async () => {
    const w = makeWorld();
    const body = bodyFor('uy_uyu', MAGIC_ACCOUNTS.settles);
    const rows = [newRow(2, 'ines@example.com', body), newRow(3, 'ines@example.com', reversed(body))];
    await plan(w, 'order', rows);
    await stepToEnd(w, 'order');
    expect(w.sentNamed('users.create')).toHaveLength(1);
    expect(w.sentNamed('withdrawalInstructions.create')).toHaveLength(1);
    expect((await runStatus(w.journal, 'order'))._unsafeUnwrap().rows.settled).toBe(2);
  });

  it("the service's instruction is found whatever the order of the row's fields", async () => {
    const w = makeWorld();
    const body = bodyFor('uy_uyu', MAGIC_ACCOUNTS.settles);
    const user = (await w.direct.users.create({ email: 'omar@example.com', name: 'Omar' }))._unsafeUnwrap();
    const held = (await w.direct.withdrawalInstructions.create({ userId: user.id, body }))._unsafeUnwrap();
    await plan(w, 'order2', [newRow(2, 'omar@example.com', reversed(body))]);
    await stepToEnd(w, 'order2');
    expect(w.sentNamed('withdrawalInstructions.create')).toEqual([]);
    const [output] = (await w.direct.outputs.list({ page: { size: 500 } }))._unsafeUnwrap().items;
    expect(output?.withdrawalInstructionId).toBe(held.id);
  });

  it("another user's instruction with the same body, or the payee's own with another body, is not taken: a new one is created", async () => {
    const w = makeWorld();
    const body = bodyFor('uy_uyu', MAGIC_ACCOUNTS.settles);
    const someone = (
      await w.direct.users.create({ email: 'else@example.com', name: 'Else' })
    )._unsafeUnwrap();
    const theirs = (
      await w.direct.withdrawalInstructions.create({ userId: someone.id, body })
    )._unsafeUnwrap();
    const user = (await w.direct.users.create({ email: 'rosa@example.com', name: 'Rosa' }))._unsafeUnwrap();
    const other = (
      await w.direct.withdrawalInstructions.create({ userId: user.id, body: bodyFor('uy_uyu', 'other') })
    )._unsafeUnwrap();
    await plan(w, 'theirs', [newRow(2, 'rosa@example.com', body)]);
    await stepToEnd(w, 'theirs');
    expect(w.sentNamed('users.create')).toEqual([]);
    expect(w.sentNamed('withdrawalInstructions.create')).toHaveLength(1);
    const [output] = (await w.direct.outputs.list({ page: { size: 500 } }))._unsafeUnwrap().items;
    expect(output?.payeeId).toBe(user.id);
    expect([theirs.id, other.id]).not.toContain(output?.withdrawalInstructionId);
    expect(await instructionsOf(w, user.id)).toHaveLength(2);
  });

  it('creates instructions outputBatch per step too, each step named for what it ensures', async () => {
    const w = makeWorld();
    const body = bodyFor('uy_uyu', MAGIC_ACCOUNTS.settles);
    await plan(w, 'fewi', [
      newRow(2, 'a@example.com', body),
      newRow(3, 'b@example.com', body),
      newRow(4, 'c@example.com', body),
    ]);
    const ctx = w.context({ outputBatch: 2 });
    const { stepRun } = await import('./step-run.js');
    const perStep: [string, number][] = [];
    for (let i = 0; i < 4; i += 1) {
      const before = w.sentNamed('withdrawalInstructions.create').length;
      const outcome = (await stepRun(ctx, 'fewi'))._unsafeUnwrap();
      expect(outcome.next).toBe('continue');
      perStep.push([outcome.step, w.sentNamed('withdrawalInstructions.create').length - before]);
    }
    expect(perStep).toEqual([
      ['ensure payees', 0],
      ['ensure payees', 0],
      ['ensure instructions', 2],
      ['ensure instructions', 1],
    ]);
  });
});

describe('when an ensure step waits: only for a create whose outcome is not known yet (SPEC 10.2.2)', () => {
  const step = async (w: World, runId: string) => {
    const { stepRun } = await import('./step-run.js');
    return (await stepRun(w.ctx, runId))._unsafeUnwrap();
  };

  it('a step that created what it could goes on at once, even with a refused payee among its rows', async () => {
    const w = makeWorld();
    const body = bodyFor('uy_uyu', MAGIC_ACCOUNTS.settles);
    await plan(w, 'goon', [newRow(2, 'bad@example.com', body), newRow(3, 'good@example.com', body)]);
    w.on(
      'users.create',
      { kind: 'fail', error: errorAt('invalid_email', '/data/attributes/email') },
      { when: (args) => (args[0] as { email: string }).email === 'bad@example.com' },
    );
    expect(await step(w, 'goon')).toMatchObject({ step: 'ensure payees', next: 'continue', waitMs: 0 });
    expect(await step(w, 'goon')).toMatchObject({ step: 'ensure instructions', next: 'continue', waitMs: 0 });
  });

  it('a lost payee create waits, even when the other rows were filled or given by ids', async () => {
    const w = makeWorld();
    const body = bodyFor('uy_uyu', MAGIC_ACCOUNTS.settles);
    await plan(w, 'lost1', [
      { line: 2, reference: 'ref-2', portCode: 'uy_uyu', amount: '2000', ...w.payee('uy_uyu') },
      newRow(3, 'gone@example.com', body),
      newRow(4, 'here@example.com', body),
    ]);
    w.on(
      'users.create',
      { kind: 'lose' },
      { when: (args) => (args[0] as { email: string }).email === 'gone@example.com' },
    );
    expect(await step(w, 'lost1')).toMatchObject({ step: 'ensure payees', next: 'wait', waitMs: 1000 });
    const rows = (await snapshot(w, 'lost1')).rows;
    expect(rows.map((r) => r.payeeId === null)).toEqual([false, true, false]);
  });

  it('a lost instruction create waits, then is found, not created twice', async () => {
    const w = makeWorld();
    await plan(w, 'lost2', [newRow(2, 'ivo@example.com', bodyFor('uy_uyu', MAGIC_ACCOUNTS.settles))]);
    w.on('withdrawalInstructions.create', { kind: 'lose' });
    expect(await step(w, 'lost2')).toMatchObject({ step: 'ensure payees', next: 'continue', waitMs: 0 });
    expect(await step(w, 'lost2')).toMatchObject({ step: 'ensure instructions', next: 'wait', waitMs: 1000 });
    await stepToEnd(w, 'lost2');
    expect(w.sentNamed('withdrawalInstructions.create')).toHaveLength(1);
    expect((await runStatus(w.journal, 'lost2'))._unsafeUnwrap().rows.settled).toBe(1);
  });
});

/**
 * A context whose journal turns away (as if another worker had moved the run first) each
 * write of rows alone, the write that fills rows with their payees and instructions.
 */
const fillTurnedAway = (w: World) => {
  const journal: PayoutJournal = {
    ...w.journal,
    createRun: (...a) => w.journal.createRun(...a),
    getRun: (...a) => w.journal.getRun(...a),
    loadRun: (...a) => w.journal.loadRun(...a),
    listRuns: (...a) => w.journal.listRuns(...a),
    write: (runId, change) =>
      change.rows !== undefined && change.calls === undefined && change.parties === undefined
        ? errAsync(payoutError.journal('moved by another worker', true))
        : w.journal.write(runId, change),
  };
  return sandboxPayoutContext(w.concierge, journal, { client: w.client }) as unknown as PayoutContext;
};

describe('a step whose rows were not written is taken up from the journal (SPEC 10.2.4)', () => {
  it('the payee journaled by a step whose rows were turned away is not looked for again; its instruction is found, not created', async () => {
    const w = makeWorld();
    const body = bodyFor('uy_uyu', MAGIC_ACCOUNTS.settles);
    const user = (await w.direct.users.create({ email: 'omar@example.com', name: 'Omar' }))._unsafeUnwrap();
    const held = (await w.direct.withdrawalInstructions.create({ userId: user.id, body }))._unsafeUnwrap();
    await plan(w, 'away1', [newRow(2, 'omar@example.com', body)]);
    const { stepRun } = await import('./step-run.js');
    expect((await stepRun(fillTurnedAway(w), 'away1'))._unsafeUnwrap()).toMatchObject({
      step: 'ensure payees',
      next: 'continue',
    });
    expect((await snapshot(w, 'away1')).rows[0]?.payeeId).toBeNull();
    expect((await stepRun(w.ctx, 'away1'))._unsafeUnwrap()).toMatchObject({
      step: 'ensure instructions',
      next: 'continue',
    });
    await stepToEnd(w, 'away1');
    expect(w.sentNamed('users.list')).toHaveLength(1);
    expect(w.sentNamed('withdrawalInstructions.create')).toEqual([]);
    const [output] = (await w.direct.outputs.list({ page: { size: 500 } }))._unsafeUnwrap().items;
    expect([output?.payeeId, output?.withdrawalInstructionId]).toEqual([user.id, held.id]);
  });

  it('once the journal knows both, the rows are only filled: nothing is listed or created again', async () => {
    const w = makeWorld();
    const body = bodyFor('uy_uyu', MAGIC_ACCOUNTS.settles);
    await plan(w, 'away2', [newRow(2, 'nina@example.com', body)]);
    const { stepRun } = await import('./step-run.js');
    const away = fillTurnedAway(w);
    const steps: string[] = [];
    for (const ctx of [away, away, w.ctx]) steps.push((await stepRun(ctx, 'away2'))._unsafeUnwrap().step);
    expect(steps).toEqual(['ensure payees', 'ensure instructions', 'ensure payees and instructions']);
    expect(w.sentNamed('withdrawalInstructions.list')).toHaveLength(1);
    const row = (await snapshot(w, 'away2')).rows[0];
    expect([row?.payeeId, row?.withdrawalInstructionId].every((id) => typeof id === 'string')).toBe(true);
    await stepToEnd(w, 'away2');
    expect(w.sentNamed('users.create')).toHaveLength(1);
    expect(w.sentNamed('withdrawalInstructions.create')).toHaveLength(1);
  });

  it('a step whose rows were turned away goes on at once, even with a create still unknown', async () => {
    const w = makeWorld();
    const body = bodyFor('uy_uyu', MAGIC_ACCOUNTS.settles);
    (await w.direct.users.create({ email: 'omar@example.com', name: 'Omar' }))._unsafeUnwrap();
    await plan(w, 'away3', [newRow(2, 'omar@example.com', body), newRow(3, 'gone@example.com', body)]);
    w.on('users.create', { kind: 'lose' });
    const { stepRun } = await import('./step-run.js');
    expect((await stepRun(fillTurnedAway(w), 'away3'))._unsafeUnwrap()).toMatchObject({
      step: 'ensure payees',
      next: 'continue',
    });
  });

  it('a step that has no row to fill writes none: with a create unknown it waits', async () => {
    const w = makeWorld();
    await plan(w, 'away4', [newRow(2, 'gone@example.com', bodyFor('uy_uyu', MAGIC_ACCOUNTS.settles))]);
    w.on('users.create', { kind: 'lose' });
    const { stepRun } = await import('./step-run.js');
    expect((await stepRun(fillTurnedAway(w), 'away4'))._unsafeUnwrap()).toMatchObject({
      step: 'ensure payees',
      next: 'wait',
      waitMs: 1000,
    });
  });
});

describe('a run is working once its first request is sent (SPEC 10.4 status)', () => {
  it('its first step looks for the payees of new rows: the run is no longer planned', async () => {
    const w = makeWorld();
    await plan(w, 'first', [newRow(2, 'first@example.com', bodyFor('uy_uyu', MAGIC_ACCOUNTS.settles))]);
    expect((await runStatus(w.journal, 'first'))._unsafeUnwrap().state).toBe('planned');
    const step = (await stepRun(w.ctx, 'first'))._unsafeUnwrap();
    expect(w.sentNamed('users.list').length + w.sentNamed('users.create').length).toBeGreaterThan(0);
    expect(w.sentNamed('requests.create')).toEqual([]);
    expect(step.status.state).toBe('working');
    expect((await runStatus(w.journal, 'first'))._unsafeUnwrap().state).toBe('working');
  });
});
