export * from './roaming-error';
export * from './result';
