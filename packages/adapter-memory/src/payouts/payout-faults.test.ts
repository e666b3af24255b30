import { type PayoutRowInput, planRun, runStatus } from '@concierge-ts/application';
import { describe, expect, it } from 'vitest';
import { createInMemoryConcierge } from '../compose.js';
import { createInMemoryJournal } from '../payout-journal.js';
import { FAULT_KINDS, type FaultKind, FaultyNetwork } from '../testing/faulty-client.js';
import { runHostile } from '../testing/hostile-run.js';
import { bodyFor, MAGIC_ACCOUNTS, serviceTruth } from '../testing/payout-world.js';

const setup = async (
  rows: (payees: { port: string; payeeId: string; withdrawalInstructionId: string }[]) => PayoutRowInput[],
  chunkSize = 250,
) => {
  const concierge = createInMemoryConcierge();
  const seeded = concierge.seeded;
  if (!seeded) throw new Error('no seed');
  const journal = createInMemoryJournal();
  const payees = seeded.payees.map((p) => ({
    port: p.portCode,
    payeeId: p.userId,
    withdrawalInstructionId: p.withdrawalInstructionId,
  }));
  const planned = rows(payees);
  (
    await planRun(journal, {
      runId: 'run',
      originPort: 'ar_ars',
      payerId: seeded.payerId,
      chunkSize,
      source: { name: 'payroll.csv', digest: 'digest' },
      rows: planned,
    })
  )._unsafeUnwrap();
  return { concierge, seeded, journal, rows: planned };
};

/** The n-th call whose name is `name` gets `fault`; every other call passes. */
const nth = (name: string, n: number, fault: FaultKind) =>
  (() => {
    let seen = 0;
    return (_: number, call: { readonly name: string }): FaultKind => {
      if (call.name !== name) return 'pass';
      seen += 1;
      return seen === n ? fault : 'pass';
    };
  })();

/** A small seeded generator, so the figures below can be reproduced. */
const mulberry32 = (start: number) => {
  let seed = start;
  return () => {
    seed += 0x6d2b79f5;
    let t = seed;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
};

describe('payout runs against a hostile world', () => {
  it('an output create delivered late, after the run gave up on it, is not paid twice', async () => {
    const w = await setup((p) =>
      [0, 1, 2].map((i) => ({
        line: i + 2,
        reference: `r${i}`,
        portCode: 'cl_clp',
        amount: '5000',
        payeeId: p[2]?.payeeId ?? '',
        withdrawalInstructionId: p[2]?.withdrawalInstructionId ?? '',
      })),
    );
    // The second create times out at once and reaches the service two calls later.
    const network = new FaultyNetwork(nth('outputs.create', 2, 'late'), 2);
    const outcome = await runHostile({ ...w, runId: 'run', payerId: w.seeded.payerId, network });
    expect(outcome.check.violations).toEqual([]);
    expect(outcome.status.state).toBe('finished');
    expect(outcome.status.rows.settled).toBe(3);
    expect(network.delivered).toBe(1);
    // The first build saw a row with an unknown outcome and was cancelled at the quote, or matched if it arrived first.
    const truth = await serviceTruth(w.concierge.client, 'run');
    const paid = truth.requests.filter((r) => r.quoteAcceptedAt !== null);
    expect(paid).toHaveLength(1);
    expect(truth.outputs.get((paid[0] as (typeof paid)[number]).id)).toHaveLength(3);
  });

  it('a process that dies right after the service added an output resumes without adding it again', async () => {
    const w = await setup((p) =>
      [0, 1, 2, 3].map((i) => ({
        line: i + 2,
        reference: `r${i}`,
        portCode: 'mx_mxn',
        amount: '700.50',
        payeeId: p[3]?.payeeId ?? '',
        withdrawalInstructionId: p[3]?.withdrawalInstructionId ?? '',
      })),
    );
    const network = new FaultyNetwork(nth('outputs.create', 3, 'crash_after'));
    const outcome = await runHostile({ ...w, runId: 'run', payerId: w.seeded.payerId, network });
    expect(outcome.restarts).toBe(1);
    expect(outcome.check.violations).toEqual([]);
    expect(outcome.status.rows.settled).toBe(4);
    const truth = await serviceTruth(w.concierge.client, 'run');
    const all = [...truth.outputs.values()].flat();
    // The outputs made before the crash were found in the draft, the one never sent was sent: one exact request.
    expect(all).toHaveLength(4);
  });

  it('a process that dies after asking to accept the quote resumes and reads that the quote was accepted', async () => {
    const w = await setup((p) => [
      {
        line: 2,
        reference: 'r0',
        portCode: 'uy_uyu',
        amount: '900',
        payeeId: p[4]?.payeeId ?? '',
        withdrawalInstructionId: p[4]?.withdrawalInstructionId ?? '',
      },
    ]);
    const network = new FaultyNetwork(nth('requests.acceptQuote', 1, 'crash_after'));
    const outcome = await runHostile({ ...w, runId: 'run', payerId: w.seeded.payerId, network });
    expect(outcome.check.violations).toEqual([]);
    expect(outcome.status.state).toBe('finished');
    expect((await runStatus(w.journal, 'run'))._unsafeUnwrap().requests).toHaveLength(1);
  });

  it('figures: 200 rows through a storm of faults and kills, no duplicate', async () => {
    const random = mulberry32(20_260_105);
    const kinds = FAULT_KINDS.filter((k) => k !== 'pass');
    const w = await setup(
      (p) =>
        Array.from({ length: 200 }, (_, i) => {
          const port = ['cl_clp', 'mx_mxn', 'uy_uyu', 'ar_ars'][i % 4] as string;
          const seededPayee = p.find((x) => x.port === port);
          const who =
            i % 5 === 0
              ? {
                  email: `worker${i % 15}@example.com`,
                  name: 'Worker',
                  body: bodyFor(port, MAGIC_ACCOUNTS.settles),
                }
              : {
                  payeeId: seededPayee?.payeeId ?? '',
                  withdrawalInstructionId: seededPayee?.withdrawalInstructionId ?? '',
                };
          // Every tenth row is the same as the one before it: two invoices, same payee, same amount.
          const amount =
            port === 'ar_ars'
              ? { budget: `${1000 + (i - (i % 10 === 9 ? 4 : 0))}.25` }
              : { amount: `${2000 + (i - (i % 10 === 9 ? 4 : 0)) * 10}` };
          return { line: i + 2, reference: `row-${i}`, portCode: port, ...amount, ...who } as PayoutRowInput;
        }),
      50,
    );
    const network = new FaultyNetwork((n, call) => {
      if (n > 4_000) return 'pass';
      const r = random();
      if (r < 0.02) return random() < 0.5 ? 'crash_before' : 'crash_after';
      if (r < (call.effect ? 0.2 : 0.1)) return kinds[Math.floor(random() * (kinds.length - 2))] as FaultKind;
      return 'pass';
    }, 4);
    const outcome = await runHostile({ ...w, runId: 'run', payerId: w.seeded.payerId, network });
    const figures = {
      rows: w.rows.length,
      calls: network.calls,
      faults: network.faults(),
      byKind: Object.fromEntries(Object.entries(network.counts).filter(([k, v]) => k !== 'pass' && v > 0)),
      lateDelivered: network.delivered,
      restarts: outcome.restarts,
      requests: outcome.status.requests.length,
      state: outcome.status.state,
      rowsByState: outcome.status.rows,
      duplicates: outcome.check.duplicates,
    };
    console.log(`payout fault injection: ${JSON.stringify(figures)}`);
    expect(outcome.check.violations).toEqual([]);
    expect(outcome.check.duplicates).toBe(0);
    expect(outcome.conserved.conserved, outcome.conserved.detail).toBe(true);
    expect(network.faults()).toBeGreaterThan(50);
  });
});
