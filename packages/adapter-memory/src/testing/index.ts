export * from './arbitraries.js';
export * from './contract.js';
