// Contract suites an integrator runs against any ConciergeClient.
export { type ContractHarness, describeConciergeClient } from './contract.js';
