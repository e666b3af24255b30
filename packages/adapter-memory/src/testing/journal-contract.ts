import type { CallRecord, ChunkRecord, PayoutJournal, RowRecord, RunRecord } from '@concierge-ts/application';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

/** What the journal contract needs: a fresh, empty journal, and how to let it go. */
export interface JournalHarness {
  readonly journal: PayoutJournal;
  dispose(): Promise<void>;
}

const AT = '2026-01-05T12:00:00.000Z';
const LATER = '2026-01-05T12:05:30.250Z';

export const sampleRun = (runId = 'run-1', rowCount = 3): RunRecord => ({
  runId,
  originPort: 'ar_ars',
  payerId: '2',
  chunkSize: 2,
  maxTotal: '123456789012.34',
  tolerance: '0.02',
  source: { name: 'payroll.csv', digest: 'abc123' },
  rowCount,
  state: 'planned',
  reason: null,
  funds: null,
  createdAt: AT,
  updatedAt: AT,
  version: 0,
});

export const sampleRows = (runId = 'run-1', count = 3): RowRecord[] =>
  Array.from({ length: count }, (_, index) => ({
    runId,
    index,
    line: index + 2,
    reference: `inv-${index}`,
    portCode: index % 2 === 0 ? 'cl_clp' : 'mx_mxn',
    amount: index % 2 === 0 ? '150000' : null,
    budget: index % 2 === 0 ? null : '25000.50',
    payee:
      index === 2
        ? {
            kind: 'new',
            email: 'ana@example.com',
            name: 'Ana Pérez',
            body: { payment_method: 'domestic_bank', cbu: '0170099220000067797370' },
          }
        : { kind: 'existing', payeeId: `p${index}`, withdrawalInstructionId: `w${index}` },
    payeeId: index === 2 ? null : `p${index}`,
    withdrawalInstructionId: index === 2 ? null : `w${index}`,
    chunk: Math.floor(index / 2) + 1,
    state: 'pending',
    reason: null,
    requestId: null,
    outputId: null,
    quotedAmount: null,
    quotedBudget: null,
    rate: null,
    allInRate: null,
    feeAndCost: null,
    attempts: 0,
    updatedAt: AT,
  }));

const chunk = (runId: string): ChunkRecord => ({
  runId,
  chunk: 1,
  attempt: 2,
  externalId: `${runId}/1.2`,
  requestId: '77',
  stage: 'accepted',
  requestState: 'quote_accepted',
  reason: null,
  onCancelled: null,
  estimateTotal: '119132.65',
  hintToken: 'hint-xyz',
  quoteTotal: '119132.66',
  provisionFundsBefore: '2026-01-06T00:00:00.000Z',
  updatedAt: LATER,
});

const call = (runId: string, key: string, state: CallRecord['state']): CallRecord => ({
  runId,
  key,
  kind: 'create_output',
  state,
  resourceId: state === 'ok' ? '901' : null,
  detail: state === 'unknown' ? 'timeout: no answer' : null,
  at: LATER,
});

/**
 * The behaviour every `PayoutJournal` must have, written once and run against each
 * adapter (in memory, PGlite, a PostgreSQL server): runs created once, snapshots that give
 * back exactly what was written (money to the last digit), and writes that are all or
 * nothing and refused when the run moved since it was read.
 */
export const describeJournalContract = (name: string, open: () => Promise<JournalHarness>): void => {
  describe(`PayoutJournal contract: ${name}`, () => {
    let h: JournalHarness;
    beforeEach(async () => {
      h = await open();
    }, 60_000);
    afterEach(async () => {
      await h.dispose();
    });

    it('creates a run once; creating it again answers the run already there, unchanged', async () => {
      const first = (await h.journal.createRun(sampleRun(), sampleRows()))._unsafeUnwrap();
      expect(first.created).toBe(true);
      expect(first.run).toMatchObject({ ...sampleRun(), version: first.run.version });
      const again = (
        await h.journal.createRun(
          { ...sampleRun(), source: { name: 'other.csv', digest: 'zzz' } },
          sampleRows(),
        )
      )._unsafeUnwrap();
      expect(again.created).toBe(false);
      expect(again.run.source).toEqual({ name: 'payroll.csv', digest: 'abc123' });
      const snapshot = (await h.journal.loadRun('run-1'))._unsafeUnwrap();
      expect(snapshot?.rows).toEqual(sampleRows());
      expect(snapshot?.chunks).toEqual([]);
      expect((await h.journal.getRun('nope'))._unsafeUnwrap()).toBeNull();
      expect((await h.journal.loadRun('nope'))._unsafeUnwrap()).toBeNull();
    });

    it('gives back what a write wrote, money and rates exact, in one new version', async () => {
      const { run } = (await h.journal.createRun(sampleRun(), sampleRows()))._unsafeUnwrap();
      const rows = sampleRows().map((r, i) =>
        i === 0
          ? {
              ...r,
              state: 'committed' as const,
              requestId: '77',
              outputId: '901',
              quotedAmount: '150000',
              quotedBudget: '99999999999.99',
              rate: '0.00135317',
              allInRate: '0.00133968',
              feeAndCost: '997.50',
              attempts: 2,
              updatedAt: LATER,
            }
          : r,
      );
      const written = (
        await h.journal.write('run-1', {
          expectedVersion: run.version,
          at: LATER,
          run: {
            state: 'waiting_for_funds',
            funds: { amount: '1000.05', currency: 'ARS', before: '2026-01-06T00:00:00.000Z' },
          },
          rows: [rows[0] as RowRecord],
          chunks: [chunk('run-1')],
          calls: [call('run-1', 'output/1.2/0#1', 'ok'), call('run-1', 'output/1.2/1#1', 'unknown')],
          parties: [
            { runId: 'run-1', key: 'payee:ana@example.com', kind: 'payee', id: '12', origin: 'created' },
          ],
        })
      )._unsafeUnwrap();
      expect(written.version).toBe(run.version + 1);
      expect(written.updatedAt).toBe(LATER);
      const snapshot = (await h.journal.loadRun('run-1'))._unsafeUnwrap();
      expect(snapshot?.run).toEqual(written);
      expect(snapshot?.run.funds).toEqual({
        amount: '1000.05',
        currency: 'ARS',
        before: '2026-01-06T00:00:00.000Z',
      });
      expect(snapshot?.rows).toEqual(rows);
      expect(snapshot?.chunks).toEqual([chunk('run-1')]);
      expect([...(snapshot?.calls ?? [])].sort((a, b) => a.key.localeCompare(b.key))).toEqual([
        call('run-1', 'output/1.2/0#1', 'ok'),
        call('run-1', 'output/1.2/1#1', 'unknown'),
      ]);
      expect(snapshot?.parties).toEqual([
        { runId: 'run-1', key: 'payee:ana@example.com', kind: 'payee', id: '12', origin: 'created' },
      ]);
      // A record written again under its key replaces the old one.
      (
        await h.journal.write('run-1', {
          expectedVersion: written.version,
          at: LATER,
          calls: [call('run-1', 'output/1.2/1#1', 'ok')],
        })
      )._unsafeUnwrap();
      const calls = (await h.journal.loadRun('run-1'))._unsafeUnwrap()?.calls ?? [];
      expect(calls.filter((c) => c.key === 'output/1.2/1#1')).toEqual([
        call('run-1', 'output/1.2/1#1', 'ok'),
      ]);
    });

    it('refuses a write from an older reading of the run, and changes nothing', async () => {
      const { run } = (await h.journal.createRun(sampleRun(), sampleRows()))._unsafeUnwrap();
      (
        await h.journal.write('run-1', { expectedVersion: run.version, at: LATER, run: { state: 'working' } })
      )._unsafeUnwrap();
      const stale = await h.journal.write('run-1', {
        expectedVersion: run.version,
        at: LATER,
        run: { state: 'stopped', reason: 'late worker' },
        calls: [call('run-1', 'output/1.1/0#1', 'intent')],
      });
      expect(stale._unsafeUnwrapErr()).toMatchObject({ code: 'journal', conflict: true });
      const snapshot = (await h.journal.loadRun('run-1'))._unsafeUnwrap();
      expect(snapshot?.run.state).toBe('working');
      expect(snapshot?.calls).toEqual([]);
      expect((await h.journal.write('nope', { expectedVersion: 1, at: LATER }))._unsafeUnwrapErr().code).toBe(
        'run_not_found',
      );
    });

    it('lets exactly one of two writers from the same reading through', async () => {
      const { run } = (await h.journal.createRun(sampleRun(), sampleRows()))._unsafeUnwrap();
      const [a, b] = await Promise.all([
        h.journal.write('run-1', {
          expectedVersion: run.version,
          at: LATER,
          calls: [call('run-1', 'a#1', 'intent')],
        }),
        h.journal.write('run-1', {
          expectedVersion: run.version,
          at: LATER,
          calls: [call('run-1', 'b#1', 'intent')],
        }),
      ]);
      expect([a.isOk(), b.isOk()].sort()).toEqual([false, true]);
      expect((await h.journal.loadRun('run-1'))._unsafeUnwrap()?.calls).toHaveLength(1);
    });

    it('lists runs oldest first', async () => {
      (
        await h.journal.createRun({ ...sampleRun('b'), createdAt: LATER, updatedAt: LATER }, sampleRows('b'))
      )._unsafeUnwrap();
      (await h.journal.createRun(sampleRun('a'), sampleRows('a')))._unsafeUnwrap();
      const runs = (await h.journal.listRuns())._unsafeUnwrap();
      expect(runs.map((r) => [r.runId, r.rowCount])).toEqual([
        ['a', 3],
        ['b', 3],
      ]);
    });
  });
};
