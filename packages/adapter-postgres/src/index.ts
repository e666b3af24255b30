export * from './migrations.js';
export * from './open-journal.js';
export * from './payout-queue.js';
export * from './payout-worker.js';
export * from './postgres-connection.js';
export * from './shared-rate-limit.js';
export * from './sql-journal.js';
