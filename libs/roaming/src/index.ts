// libs/roaming: the one library every service and the agent share. No I/O of any kind.
export * from './errors';
export * from './validation';
export * from './tokens';
export * from './codec';
export * from './reconcile';
export * from './policy';
export * from './directory/distinguished-name';
export * from './contracts';
