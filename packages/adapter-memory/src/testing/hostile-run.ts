import {
  driveRun,
  type PayoutJournal,
  type PayoutRowInput,
  type PayoutTuning,
  type RunStatus,
} from '@concierge-ts/application';
import type { InMemoryConcierge } from '../compose.js';
import { createFaultyClient, type FaultKind, type FaultyNetwork, ProcessKilled } from './faulty-client.js';
import { checkGuarantee, type GuaranteeCheck, moneyConserved, sandboxPayoutContext } from './payout-world.js';

export interface HostileOutcome {
  readonly status: RunStatus;
  /** Processes killed (a crash fault) or given up (too many failed steps) and resumed. */
  readonly restarts: number;
  readonly check: GuaranteeCheck;
  readonly conserved: { readonly conserved: boolean; readonly detail: string };
}

/**
 * Runs a payout run through a faulty network, resuming it with a fresh client (a new
 * process: nothing kept but the journal) after each crash, until it is done; then lets
 * every late request arrive, follows the run to the end without faults, and checks the
 * guarantee and the money against the service.
 */
export const runHostile = async (options: {
  readonly concierge: InMemoryConcierge;
  readonly journal: PayoutJournal | (() => PayoutJournal);
  readonly runId: string;
  readonly rows: readonly PayoutRowInput[];
  readonly payerId: string;
  readonly network: FaultyNetwork;
  readonly tuning?: PayoutTuning;
  readonly maxRestarts?: number;
}): Promise<HostileOutcome> => {
  const { concierge, runId, network } = options;
  const journalOf = () => (typeof options.journal === 'function' ? options.journal() : options.journal);
  const before =
    (await concierge.client.users.get(options.payerId))._unsafeUnwrap().balances.ars?.amount ?? 0n;
  const tuning: PayoutTuning = { maxFailedSteps: 30, maxRebuilds: 10, ...options.tuning };
  let restarts = 0;
  let status: RunStatus | undefined;
  for (let life = 0; life <= (options.maxRestarts ?? 200) && status === undefined; life += 1) {
    const ctx = sandboxPayoutContext(concierge, journalOf(), {
      client: createFaultyClient(concierge.client, network),
      tuning,
    });
    try {
      const driven = await driveRun(ctx, runId);
      if (driven.isOk()) status = driven.value;
      else restarts += 1;
    } catch (thrown) {
      if (!(thrown instanceof ProcessKilled)) throw thrown;
      restarts += 1;
    }
  }
  await network.flush();
  const journal = journalOf();
  const clean = sandboxPayoutContext(concierge, journal, { tuning });
  const final = (await driveRun(clean, runId))._unsafeUnwrap();
  return {
    status: final ?? status,
    restarts,
    check: await checkGuarantee(concierge.client, journal, runId, options.rows),
    conserved: await moneyConserved(concierge.client, runId, options.payerId, before, 'ars'),
  };
};

/** A schedule from a list of faults, one per call in order; every call after the list passes. */
export const listedSchedule =
  (faults: readonly FaultKind[]) =>
  (n: number): FaultKind =>
    faults[n] ?? 'pass';
