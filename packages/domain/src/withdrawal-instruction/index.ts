export * from './body.js';
export * from './identifiers.js';
export * from './port-requirements.js';
export * from './test-identifiers.js';
export * from './withdrawal-instruction.js';
