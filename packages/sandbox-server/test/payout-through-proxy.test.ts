import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { identicalRowsTrial } from './support/identical-rows.js';
import {
  type ChaosWorld,
  faultsAtRate,
  memoryJournals,
  payoutTrial,
  runTrials,
  startChaosWorld,
  totals,
} from './support/payout-chaos.js';

let world: ChaosWorld;
beforeAll(async () => {
  world = await startChaosWorld();
});
afterAll(async () => {
  await world.close();
});

describe('the payout guarantee through the fault proxy, over HTTP (the public client, driveRun)', () => {
  it('randomized payouts, faults on a quarter of the requests and the process dying: every row paid once, or not at all with a reason', async () => {
    const results = await runTrials([11, 12, 13, 14], 2, (seed) =>
      payoutTrial(world, {
        seed,
        rows: [1, 12],
        faults: faultsAtRate(0.25),
        deaths: { afterForwarded: 0.05, atWrite: 0.02 },
        journals: memoryJournals(),
      }),
    );
    const sum = totals(results);
    console.log(
      `payouts through the fault proxy: ${JSON.stringify({ ...sum, violations: sum.violations.length })}`,
    );
    expect(sum.violations).toEqual([]);
    expect(sum.duplicates).toBe(0);
    expect(sum.unpaidWithoutReason).toBe(0);
    expect(sum.conserved).toBe(true);
    // The faults and deaths happened: the figures are not those of a quiet network.
    expect(sum.injected).toBeGreaterThan(40);
    expect(sum.lateDelivered).toBeGreaterThan(0);
    expect(sum.deaths).toBeGreaterThan(0);
    expect(sum.acceptedOutputs).toBeGreaterThan(0);
  });

  describe('identical rows, the second one’s create in trouble', () => {
    it('reset before it reaches the service: sent again, each row paid on its own output', async () => {
      const r = await identicalRowsTrial(world, {
        seed: 21,
        variant: 'reset_before',
        journals: memoryJournals(),
      });
      expect(r.violations).toEqual([]);
      expect(r.injected).toBe(1);
      expect(r.duplicates).toBe(0);
      expect(r.acceptedOutputs).toBe(r.rows);
      expect(r.pair[0]).not.toBeNull();
      expect(r.pair[1]).not.toBeNull();
      expect(r.pair[0]).not.toBe(r.pair[1]);
      // One request: the reset create never reached the service, so the draft matched at the quote.
      expect(r.requests).toBe(1);
      expect(r.outputCreatesForwarded).toBe(r.rows);
    });

    it('landing late, after it was sent again: the request holding the copy is cancelled, the chunk built again', async () => {
      const r = await identicalRowsTrial(world, { seed: 22, variant: 'late', journals: memoryJournals() });
      expect(r.violations).toEqual([]);
      expect(r.lateDelivered).toBe(1);
      expect(r.duplicates).toBe(0);
      expect(r.acceptedOutputs).toBe(r.rows);
      expect(r.pair[0]).not.toBe(r.pair[1]);
      // The first draft held one output too many (the late copy): cancelled at the quote, a second build paid.
      expect(r.requests).toBe(2);
      expect(r.outputCreatesForwarded).toBe(2 * r.rows + 1);
    });
  });
});
