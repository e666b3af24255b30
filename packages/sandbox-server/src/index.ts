export * from './app';
export * from './caller';
export * from './config';
export * from './listen';
export * from './webhook-delivery';
