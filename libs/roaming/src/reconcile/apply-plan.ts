import { tokenKeyString } from '../tokens/token-key';
import {
  type DirectoryEntry,
  type DirectoryState,
  type DirectoryToken,
  type LocalManifest,
  type SyncPlan,
  type TokenMeta,
} from './model';

/** True when a plan asks nothing of anyone: reports (rejections, foreign values) may still be present. */
export function isPlanEmpty(plan: SyncPlan): boolean {
  return (
    plan.uploads.length === 0 &&
    plan.downloads.length === 0 &&
    plan.localDeletions.length === 0 &&
    plan.tombstones.length === 0 &&
    plan.purges.length === 0 &&
    plan.conflicts.length === 0
  );
}

/** True when the plan changes the directory, i.e. needs a compare-and-swap write. */
export function planWritesDirectory(plan: SyncPlan): boolean {
  return plan.uploads.length + plan.tombstones.length + plan.purges.length > 0;
}

/** The values a directory write must remove and add, by exact stored value. */
export function directoryChanges(plan: SyncPlan): { remove: DirectoryEntry[]; add: DirectoryToken[] } {
  const remove = [
    ...plan.uploads.flatMap((upload) => (upload.replaces ? [upload.replaces] : [])),
    ...plan.tombstones.map((tombstone) => tombstone.replaces),
    ...plan.purges.map((purge) => purge.entry),
  ];
  const add = [
    ...plan.uploads.map((upload) => upload.token),
    ...plan.tombstones.map((tombstone) => tombstone.token),
  ];
  return { remove, add };
}

export function describeDirectoryValue(token: DirectoryToken): string {
  return `${tokenKeyString(token)}@${token.modifiedAt}/${token.hash}${token.tombstone ? '/tombstone' : ''}`;
}

/**
 * The directory after a plan is written: a model of what the gateway does in one modify, used by tests and by
 * anyone who needs to predict the outcome. `now` is the reconcile time, also the created time of a new stamp.
 */
export function applyPlanToDirectory(
  state: DirectoryState,
  plan: SyncPlan,
  now: number,
  refFor: (token: DirectoryToken) => string = describeDirectoryValue,
): DirectoryState {
  if (plan.blocked || !planWritesDirectory(plan)) return state;
  const { remove, add } = directoryChanges(plan);
  const removed = new Set(remove.map((entry) => entry.ref));
  const entries = [
    ...state.entries.filter((entry) => !removed.has(entry.ref)),
    ...add.map((token) => ({ ...token, ref: refFor(token) })),
  ];
  return {
    ...state,
    createdAt: state.createdAt ?? now,
    modifiedAt: now,
    entries,
    purgeWatermark: plan.purgeWatermark,
  };
}

/**
 * The workstation after it applies a plan: downloads replace or add, deletions remove, the base is recorded.
 * `directoryCreatedAt` is the created time of the stamp the write produced, for a plan that created the stamp.
 */
export function applyPlanToLocal(
  manifest: LocalManifest,
  plan: SyncPlan,
  directoryCreatedAt: number | null = null,
): LocalManifest {
  if (plan.blocked) return manifest;
  const tokens = new Map(manifest.tokens.map((token) => [tokenKeyString(token), token]));
  for (const deletion of plan.localDeletions) tokens.delete(tokenKeyString(deletion));
  for (const { token } of plan.downloads) tokens.set(tokenKeyString(token), toLocalToken(token));
  const base = plan.base && {
    ...plan.base,
    directoryCreatedAt: plan.base.directoryCreatedAt ?? directoryCreatedAt,
  };
  return { tokens: [...tokens.values()], base: base ?? manifest.base };
}

export function toLocalToken(token: DirectoryToken): TokenMeta {
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  const { tombstone, ...meta } = token;
  return meta;
}
