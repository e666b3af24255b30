export * from './arbitraries';
export * from './contract';
