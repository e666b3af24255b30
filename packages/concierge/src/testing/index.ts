// Test tools for integrators: the ConciergeClient contract suite, fast-check arbitraries
// of API input (and, under `domain`, of the domain model), a logger that records.
// Needs vitest and fast-check (optional peer dependencies of concierge-ts).
export { createRecordingLogger, type LogEntry, type RecordingLogger } from '@concierge-ts/adapter-logging';
export * from '@concierge-ts/adapter-memory/testing';
export * as domain from '@concierge-ts/domain/testing';
