import { bodyFor, checkGuarantee, MAGIC_ACCOUNTS } from '@concierge-ts/adapter-memory/testing';
import { describe, expect, it } from 'vitest';
import { errorAt } from '../../test/error-location.js';
import { makeWorld, plan, stepToEnd, type World } from '../../test/payout-harness.js';
import { conciergeError } from '../gateway/errors.js';
import type { PayoutRowInput } from './payout-run.js';
import { runReport, runStatus } from './run-queries.js';

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
