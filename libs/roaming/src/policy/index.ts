export * from './policy';
export * from './resolve-policy';
export * from './directory-policy';
export { isWithinSubtree, normalizeDn, sameDn } from '../directory/distinguished-name';
