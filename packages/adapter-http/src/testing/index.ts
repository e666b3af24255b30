export * from './arbitraries';
