// The ConciergeClient contract suite under node:test, asserting with node:assert. Loads
// neither vitest nor fast-check: run it with `node --test` in an app that has neither.
export type {
  ContractExpect,
  ContractHarness,
  ContractMatchers,
  ContractRunner,
} from '@concierge-ts/application/testing';
export { describeConciergeClientWith } from '@concierge-ts/application/testing';
export { describeConciergeClient, nodeTestRunner } from '@concierge-ts/application/testing/node';
