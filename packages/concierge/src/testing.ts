// Test tools for integrators: the ConciergeClient contract suite and fast-check arbitraries
// (of API input, and, under `domain`, of the domain model).
export * from '@concierge-ts/adapter-memory/testing';
export * as domain from '@concierge-ts/domain/testing';
