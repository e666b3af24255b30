export * from './migrations.js';
export * from './open-journal.js';
export * from './postgres-connection.js';
export * from './sql-journal.js';
