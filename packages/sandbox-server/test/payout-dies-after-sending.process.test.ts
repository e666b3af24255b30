import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CreateTarget, diesAfterSendingTrial } from './support/dies-after-sending.js';
import { type ChaosWorld, pgliteJournals, startChaosWorld } from './support/payout-chaos.js';

let world: ChaosWorld;
let dir: string;
beforeAll(async () => {
  world = await startChaosWorld();
  dir = mkdtempSync(join(tmpdir(), 'concierge-dies-'));
});
afterAll(async () => {
  await world.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('an application that dies right after sending a create, and starts again with a fresh client', () => {
  // A real child process over real HTTP through the fault proxy, its journal on PGlite;
  // SIGKILLed once the service has made what the create asked for, before the answer is back.
  const trials: readonly [CreateTarget, number][] = [
    ['output', 2],
    ['request', 1],
    ['user', 1],
  ];
  it.each(trials)('killed after the %s create #%i was forwarded: nothing paid twice', async (target, nth) => {
    const db = join(dir, 'journal');
    const r = await diesAfterSendingTrial(world, {
      seed: 31,
      target,
      nth,
      dir,
      db,
      journals: pgliteJournals(db),
    });
    expect(r.killed).toBe(true);
    expect(r.violations).toEqual([]);
    expect(r.duplicates).toBe(0);
    expect(r.unpaidWithoutReason).toBe(0);
    expect(r.conserved).toBe(true);
    expect(r.exit).toBe(0);
    expect(r.acceptedOutputs + r.unpaidWithReason).toBeGreaterThan(0);
  });
});
