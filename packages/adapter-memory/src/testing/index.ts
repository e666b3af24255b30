export * from './arbitraries.js';
export * from './contract.js';
export * from './faulty-client.js';
export * from './hostile-run.js';
export * from './journal-contract.js';
export * from './payout-world.js';
