export * from './policy';
export * from './resolve-policy';
export { isWithinSubtree, normalizeDn, sameDn } from './distinguished-name';
