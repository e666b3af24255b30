export * from './open-journal.js';
