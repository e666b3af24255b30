/**
 * `@concierge-ts/domain/testing`: the fast-check arbitraries and scenario driver our own
 * property tests use, for integrators to reuse in theirs.
 */
export * from './arbitraries.js';
export * from './freeze.js';
export * from './invariants.js';
export * from './property.js';
export * from './scenario.js';
