export * from './token-type';
export * from './token-id';
export * from './token-key';
export * from './token-meta';
