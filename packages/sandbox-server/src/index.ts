export * from './app.js';
export * from './caller.js';
export * from './config.js';
export * from './listen.js';
export * from './request-logging.js';
export * from './serve.js';
export * from './start.js';
export * from './webhook-delivery.js';
