/**
 * `@concierge-ts/domain/testing`: the fast-check arbitraries and scenario driver our own
 * property tests use, for integrators to reuse in theirs.
 */
export * from './arbitraries';
export * from './freeze';
export * from './invariants';
export * from './property';
export * from './scenario';
