import { describe, expect, it } from 'vitest';
import { makeWorld, plan, requestsOf, rowsFor, type World } from '../../test/payout-harness.js';
import { conciergeError } from '../gateway/errors.js';
import { driveRun } from './drive-run.js';
import type { PayoutContext, PayoutTuning } from './payout-run.js';

/** The world's context, with every pause the run asks for written down. */
const recording = (w: World, tuning: PayoutTuning = {}) => {
  const pauses: number[] = [];
  const inner = w.context(tuning);
  const ctx: PayoutContext = {
    ...inner,
    sleep: async (ms, signal) => {
      pauses.push(ms);
      await inner.sleep(ms, signal);
    },
  };
  return { ctx, pauses };
};

const server = () => conciergeError.server('unavailable', 503);

describe('driving a run (SPEC 10.2: resumable, a passing failure tried again)', () => {
  it('a step that fails for a passing reason is tried again after a doubling pause, and the run ends paid', async () => {
    const w = makeWorld();
    await plan(w, 'flaky', rowsFor(w, 2));
    // Listing the outputs to match them at the quote fails three times (a 5xx): the step fails.
    w.on('outputs.list', { kind: 'fail', error: server() }, { times: 3 });
    const { ctx: quiet, pauses } = recording(w);
    const warned: Record<string, unknown>[] = [];
    const logger = {
      level: 'info',
      isLevelEnabled: () => true,
      trace: () => undefined,
      debug: () => undefined,
      info: () => undefined,
      warn: (fields: Record<string, unknown>) => void warned.push(fields),
      error: () => undefined,
      fatal: () => undefined,
      child: () => logger,
    } as const;
    const ctx: PayoutContext = { ...quiet, logger };
    const status = (await driveRun(ctx, 'flaky'))._unsafeUnwrap();
    // Each failed step is logged with the run, the error and how many failed in a row.
    expect(warned.map((f) => [f.runId, f.failures, typeof f.error])).toEqual([
      ['flaky', 1, 'string'],
      ['flaky', 2, 'string'],
      ['flaky', 3, 'string'],
    ]);
    expect(status).toMatchObject({ state: 'finished', rows: { settled: 2 } });
    // A step that says continue is followed at once, never after a pause.
    expect(pauses).not.toContain(0);
    expect(pauses.filter((p) => p === 500)).toEqual([500]);
    const failures = pauses.slice(pauses.indexOf(500), pauses.indexOf(500) + 3);
    expect(failures).toEqual([500, 1000, 2000]);
  });

  it('gives up after maxFailedSteps failures in a row, answering the last error', async () => {
    const w = makeWorld();
    await plan(w, 'down', rowsFor(w, 2));
    w.on('estimates.create', { kind: 'fail', error: server() }, { times: 99 });
    const { ctx, pauses } = recording(w, { maxFailedSteps: 2 });
    const error = (await driveRun(ctx, 'down'))._unsafeUnwrapErr();
    expect(error).toMatchObject({ code: 'service', error: { type: 'server', status: 503 } });
    // Two failures paused after (500, 1000); the third is one too many.
    expect(pauses.slice(-2)).toEqual([500, 1000]);
    expect(w.sentNamed('estimates.create')).toHaveLength(3);
    // The pause doubles up to 30 s, no more.
    const w8 = makeWorld();
    await plan(w8, 'down', rowsFor(w8, 2));
    w8.on('estimates.create', { kind: 'fail', error: server() }, { times: 99 });
    const eight = recording(w8, { maxFailedSteps: 8 });
    expect((await driveRun(eight.ctx, 'down'))._unsafeUnwrapErr().code).toBe('service');
    expect(eight.pauses.slice(-8)).toEqual([500, 1000, 2000, 4000, 8000, 16000, 30000, 30000]);
  });

  it('a rate-limited step pauses at least the time the service asked for', async () => {
    const w = makeWorld();
    await plan(w, 'slow', rowsFor(w, 2));
    w.on('estimates.create', { kind: 'fail', error: conciergeError.rateLimited(9_000) });
    w.on('estimates.create', { kind: 'fail', error: conciergeError.rateLimited(100) });
    const { ctx, pauses } = recording(w);
    expect((await driveRun(ctx, 'slow'))._unsafeUnwrap().state).toBe('finished');
    // The first failure's backoff (500) gives way to 9 s; the second's (1000) is longer than 100 ms.
    expect(pauses).toContain(9_000);
    expect(pauses).toContain(1_000);
    expect(pauses).not.toContain(100);
  });

  it('an unknown API key is not tried again: the first failure ends the drive', async () => {
    for (const error of [conciergeError.authentication(), conciergeError.permission('not a master')]) {
      const w = makeWorld();
      await plan(w, 'nokey', rowsFor(w, 1));
      w.on('outputs.list', { kind: 'fail', error }, { times: 99 });
      const { ctx, pauses } = recording(w);
      expect((await driveRun(ctx, 'nokey'))._unsafeUnwrapErr()).toMatchObject({
        code: 'service',
        error: { type: error.type },
      });
      expect(w.sentNamed('outputs.list')).toHaveLength(1);
      expect(pauses.filter((p) => p === 500)).toEqual([]);
    }
  });

  it('another worker moving the run first (a journal conflict) is tried again; another journal failure is not', async () => {
    const w = makeWorld();
    await plan(w, 'race', rowsFor(w, 1));
    const { ctx } = recording(w);
    let conflicts = 1;
    const racing: PayoutContext = {
      ...ctx,
      journal: {
        ...w.journal,
        createRun: (...a) => w.journal.createRun(...a),
        getRun: (...a) => w.journal.getRun(...a),
        loadRun: (...a) => w.journal.loadRun(...a),
        listRuns: () => w.journal.listRuns(),
        write: (runId, change) => {
          if (conflicts-- > 0) return w.journal.write(runId, { ...change, expectedVersion: -1 });
          return w.journal.write(runId, change);
        },
      },
    };
    expect((await driveRun(racing, 'race'))._unsafeUnwrap().state).toBe('finished');
    const broken: PayoutContext = {
      ...ctx,
      journal: { ...racing.journal, loadRun: () => w.journal.loadRun('no such run') },
    };
    expect((await driveRun(broken, 'race'))._unsafeUnwrapErr().code).toBe('run_not_found');
  });

  it('with detach, returns once every chunk is accepted, before the rows are final', async () => {
    const w = makeWorld();
    await plan(w, 'detach', rowsFor(w, 3), { chunkSize: 2 });
    const steps: string[] = [];
    const status = (
      await driveRun(w.ctx, 'detach', { detach: true, onStep: (_, step) => steps.push(step) })
    )._unsafeUnwrap();
    expect(status).toMatchObject({ state: 'committed', rows: { committed: 3, settled: 0 } });
    for (const r of await requestsOf(w, 'detach')) expect(['quote_accepted', 'working']).toContain(r.state);
    expect(steps.length).toBeGreaterThan(0);
    expect(steps.at(-1)).toMatch(/^accept/);
    // Driven again without detach, it follows the rows to the end.
    expect((await driveRun(w.ctx, 'detach'))._unsafeUnwrap()).toMatchObject({
      state: 'finished',
      rows: { settled: 3 },
    });
  });

  it('a signal stops it between steps (interrupted); the run resumes where it was', async () => {
    const w = makeWorld();
    await plan(w, 'stop', rowsFor(w, 2));
    const controller = new AbortController();
    let steps = 0;
    const error = (
      await driveRun(w.ctx, 'stop', {
        signal: controller.signal,
        onStep: () => {
          steps += 1;
          if (steps === 2) controller.abort();
        },
      })
    )._unsafeUnwrapErr();
    expect(error).toMatchObject({ code: 'interrupted', runId: 'stop' });
    expect(steps).toBe(2);
    expect((await driveRun(w.ctx, 'stop'))._unsafeUnwrap().state).toBe('finished');
    expect(w.sentNamed('requests.create')).toHaveLength(1);
  });
});
