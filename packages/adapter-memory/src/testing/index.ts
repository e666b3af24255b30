// The contract suite lives in the application layer; re-exported so existing imports keep working.
export { type ContractHarness, describeConciergeClient } from '@concierge-ts/application/testing/vitest';
export * from './arbitraries.js';
export * from './faulty-client.js';
export * from './hostile-run.js';
export * from './journal-contract.js';
export * from './payout-world.js';
