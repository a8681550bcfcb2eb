export * from './model';
export { reconcile, DAY_MS, type ReconcileInput } from './reconcile';
export { decideKey, localWinsConflict, type KeyDecision, type ConflictKind } from './merge-rules';
export { filterReason } from './policy-filter';
export * from './apply-plan';
