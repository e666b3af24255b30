export * from './app';
export * from './caller';
export * from './config';
export * from './listen';
export * from './request-logging';
export * from './start';
export * from './webhook-delivery';
