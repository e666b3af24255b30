import { type PayoutRowInput, planRun } from '@concierge-ts/application';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createInMemoryConcierge } from '../compose.js';
import { createInMemoryJournal } from '../payout-journal.js';
import { FAULT_KINDS, type FaultKind, FaultyNetwork } from '../testing/faulty-client.js';
import { listedSchedule, runHostile } from '../testing/hostile-run.js';
import { bodyFor, MAGIC_ACCOUNTS } from '../testing/payout-world.js';

const PORTS = {
  cl_clp: { amount: fc.integer({ min: 1_000, max: 300_000 }).map(String) },
  mx_mxn: { amount: fc.integer({ min: 1_000, max: 500_000 }).map((c) => (c / 100).toFixed(2)) },
  uy_uyu: { amount: fc.integer({ min: 100, max: 50_000 }).map(String) },
  ar_ars: { amount: fc.integer({ min: 10_000, max: 5_000_000 }).map((c) => (c / 100).toFixed(2)) },
} as const;
type Port = keyof typeof PORTS;

/** A row template: who and how much, without a reference; templates repeat so identical rows happen. */
const template = fc.record({
  port: fc.constantFrom(...(Object.keys(PORTS) as Port[])),
  who: fc.oneof(
    fc.constant({ kind: 'seeded' as const }),
    fc.record({
      kind: fc.constant('new' as const),
      person: fc.integer({ min: 1, max: 4 }),
      account: fc.constantFrom(MAGIC_ACCOUNTS.settles, MAGIC_ACCOUNTS.rejected, MAGIC_ACCOUNTS.returned),
    }),
  ),
  byBudget: fc.boolean(),
  units: fc.integer({ min: 0, max: 1_000_000 }),
});

const payroll = fc.array(template, { minLength: 1, maxLength: 6 }).chain((templates) =>
  fc.array(fc.nat({ max: templates.length - 1 }), { minLength: 1, maxLength: 24 }).map((picks) => ({
    templates,
    picks,
  })),
);

/** Faults, most calls passing; crashes rarer than the rest. */
const fault: fc.Arbitrary<FaultKind> = fc.oneof(
  { weight: 12, arbitrary: fc.constant('pass' as const) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(...FAULT_KINDS.filter((k) => k !== 'pass' && !k.startsWith('crash'))),
  },
  { weight: 1, arbitrary: fc.constantFrom('crash_before' as const, 'crash_after' as const) },
);

describe('payout runs against a hostile world (property)', () => {
  it('pays every row exactly once or not at all with a reason, whatever fails and whenever the process dies', async () => {
    await fc.assert(
      fc.asyncProperty(
        payroll,
        fc.integer({ min: 1, max: 8 }),
        fc.array(fault, { maxLength: 300 }),
        fc.integer({ min: 1, max: 6 }),
        async ({ templates, picks }, chunkSize, faults, lateBy) => {
          const concierge = createInMemoryConcierge();
          const seeded = concierge.seeded;
          if (!seeded) throw new Error('no seed');
          const journal = createInMemoryJournal();
          const rows: PayoutRowInput[] = picks.map((pick, i) => {
            const t = templates[pick] as fc.Arbitrary<unknown> extends never
              ? never
              : (typeof templates)[number];
            const seededPayee = seeded.payees.find((p) => p.portCode === t.port);
            const money = t.units % 2 === 0 && t.port !== 'ar_ars' ? 'amount' : 'budget';
            const value =
              money === 'amount'
                ? (fc.sample(PORTS[t.port].amount, { seed: t.units, numRuns: 1 })[0] as string)
                : ((10_000 + (t.units % 2_000_000)) / 100).toFixed(2);
            const who =
              t.who.kind === 'seeded' && seededPayee
                ? {
                    payeeId: seededPayee.userId,
                    withdrawalInstructionId: seededPayee.withdrawalInstructionId,
                  }
                : {
                    email: `person${t.who.kind === 'new' ? t.who.person : 0}@example.com`,
                    name: 'Person',
                    body: bodyFor(t.port, t.who.kind === 'new' ? t.who.account : MAGIC_ACCOUNTS.settles),
                  };
            return {
              line: i + 2,
              reference: `r${i}`,
              portCode: t.port,
              [money]: value,
              ...who,
            } as PayoutRowInput;
          });
          (
            await planRun(journal, {
              runId: 'pay',
              originPort: 'ar_ars',
              payerId: seeded.payerId,
              chunkSize,
              source: { name: 'p.csv', digest: 'd' },
              rows,
            })
          )._unsafeUnwrap();
          const network = new FaultyNetwork(listedSchedule(faults), lateBy);
          const outcome = await runHostile({
            concierge,
            journal,
            runId: 'pay',
            rows,
            payerId: seeded.payerId,
            network,
          });
          expect(outcome.check.violations).toEqual([]);
          expect(outcome.check.duplicates).toBe(0);
          expect(outcome.conserved.conserved, outcome.conserved.detail).toBe(true);
          expect(['finished', 'stopped']).toContain(outcome.status.state);
        },
      ),
      { numRuns: 80 },
    );
  });
});
