export * from './identifiers';
export * from './base64';
export * from './error-info';
export * from './effective-policy';
export * from './event-codes';
export * from './events';
export * from './rpc';
export * from './sync';
