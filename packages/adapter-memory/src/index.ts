// The magic values live with the rest of the sandbox's policy in the application, the
// test identifiers they read in the domain; this adapter, whose sandbox applies them by
// default, still offers them by name.
export { MAGIC_VALUES, magicTable } from '@concierge-ts/application';
export { OTHER_TEST_IDENTIFIERS, TEST_IDENTIFIERS, testInstructionBody } from '@concierge-ts/domain';
export * from './catalog.js';
export * from './clock.js';
export * from './compose.js';
export * from './events.js';
export * from './hints.js';
export * from './ids.js';
export * from './payout-journal.js';
export * from './pricing.js';
export * from './repositories.js';
export * from './seed.js';
