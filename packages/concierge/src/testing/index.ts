// Test tools for integrators: the ConciergeClient contract suite as vitest tests, fast-check
// arbitraries of API input (and, under `domain`, of the domain model), a logger that records.
// Needs vitest and fast-check (optional peer dependencies of concierge-ts). Under node:test,
// import `concierge-ts/testing/node` instead: it loads neither.
export { createRecordingLogger, type LogEntry, type RecordingLogger } from '@concierge-ts/adapter-logging';
export * from '@concierge-ts/adapter-memory/testing';
export {
  type ContractExpect,
  type ContractMatchers,
  type ContractRunner,
  describeConciergeClientWith,
} from '@concierge-ts/application/testing';
export { vitestRunner } from '@concierge-ts/application/testing/vitest';
export * as domain from '@concierge-ts/domain/testing';
