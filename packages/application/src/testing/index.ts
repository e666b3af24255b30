// Contract suites an integrator runs against any ConciergeClient, under any test runner:
// `./testing/vitest` and `./testing/node` bind them to vitest and to node:test.
export { type ContractHarness, describeConciergeClientWith } from './contract.js';
export type { ContractExpect, ContractMatchers, ContractRunner } from './runner.js';
