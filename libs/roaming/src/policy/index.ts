export * from './policy';
export * from './resolve-policy';
export { isWithinSubtree, normalizeDn, sameDn } from '../directory/distinguished-name';
