import { type BaseEntry, type DirectoryEntry, type TokenMeta } from './model';

/**
 * The per-key three-way merge (DESIGN.md section 5). Pure and total: every combination of local token, directory
 * value and base maps to exactly one decision. Timestamps arrive already clamped.
 *
 * Machines that synced before their changes end with the same directory whatever order they sync in (a property
 * test shows it), with one exception: the very same content made independently on two machines at different times
 * keeps the time of whichever synced first, so a third, different version made between the two may win or lose by
 * order. Moving content only to record a later time for identical content is not worth its cost. Nor does it hold
 * for a machine that lost its state file: its edit, made since its last sync, beats a deletion when it syncs first,
 * and goes with the deletion when it syncs after (with no base nothing tells the edit from an old copy, and a
 * tombstone's time is when the deletion synced). A regression test in reconcile.spec.ts keeps that case.
 */
export type KeyDecision =
  | { action: 'none' }
  | { action: 'upload'; conflict: ConflictKind | null }
  | { action: 'download'; conflict: ConflictKind | null }
  | { action: 'delete-local'; reason: 'deleted-elsewhere' | 'deletion-already-purged' }
  | { action: 'tombstone' };

export type ConflictKind = 'both-changed' | 'edit-beats-delete';

export interface KeyVersions {
  local?: TokenMeta;
  directory?: DirectoryEntry;
  base?: BaseEntry;
  /**
   * A local token without a base entry that is newer than this (the machine's last sync less the allowed skew)
   * was made here since that sync. Infinity without a trustworthy base: then nothing is known to be new.
   */
  newAfter?: number;
}

const NONE: KeyDecision = { action: 'none' };

function localEqualsBase(local: TokenMeta, base: BaseEntry | undefined): boolean {
  return base !== undefined && !base.tombstone && local.hash === base.hash;
}

function directoryEqualsBase(directory: DirectoryEntry, base: BaseEntry | undefined): boolean {
  return base !== undefined && directory.hash === base.hash && directory.tombstone === base.tombstone;
}

/** Newer wins; an exact tie goes to the higher hash, so every machine decides the same way. */
export function localWinsConflict(local: TokenMeta, directory: DirectoryEntry): boolean {
  if (local.modifiedAt !== directory.modifiedAt) return local.modifiedAt > directory.modifiedAt;
  return local.hash > directory.hash;
}

export function decideKey({
  local,
  directory,
  base,
  newAfter = Number.POSITIVE_INFINITY,
}: KeyVersions): KeyDecision {
  if (local) return decidePresentLocally(local, directory, base, newAfter);
  return decideAbsentLocally(directory, base);
}

function decidePresentLocally(
  local: TokenMeta,
  directory: DirectoryEntry | undefined,
  base: BaseEntry | undefined,
  newAfter: number,
): KeyDecision {
  if (directory && !directory.tombstone) {
    if (directory.hash === local.hash) return NONE;
    if (localEqualsBase(local, base)) return { action: 'download', conflict: null };
    if (directoryEqualsBase(directory, base)) return { action: 'upload', conflict: null };
    return localWinsConflict(local, directory)
      ? { action: 'upload', conflict: 'both-changed' }
      : { action: 'download', conflict: 'both-changed' };
  }
  if (directory) {
    // A tombstone in the directory.
    if (base) {
      if (localEqualsBase(local, base)) return { action: 'delete-local', reason: 'deleted-elsewhere' };
      if (directoryEqualsBase(directory, base)) return { action: 'upload', conflict: null };
      return { action: 'upload', conflict: 'edit-beats-delete' };
    }
    // No base entry: the tombstone keeps the hash of what it deleted, so the same content goes. A token made here
    // since the last sync is an edit concurrent with the deletion and beats it, as it would have had it synced
    // before the deleting machine (the tombstone's time is when the deletion synced, not when it was made, so
    // comparing with it would make the outcome depend on the order of the syncs). Anything else older goes.
    if (local.hash === directory.hash) return { action: 'delete-local', reason: 'deleted-elsewhere' };
    if (local.modifiedAt <= newAfter && local.modifiedAt <= directory.modifiedAt) {
      return { action: 'delete-local', reason: 'deleted-elsewhere' };
    }
    return { action: 'upload', conflict: 'edit-beats-delete' };
  }
  // Absent from the directory.
  if (base) {
    if (localEqualsBase(local, base)) return { action: 'delete-local', reason: 'deletion-already-purged' };
    return { action: 'upload', conflict: base.tombstone ? null : 'edit-beats-delete' };
  }
  return { action: 'upload', conflict: null };
}

/**
 * The purged-deletion guard, applied to every planned upload. A local token this machine has no base entry for,
 * made before its last sync (or on a machine without a trustworthy base) and no newer than the newest purged
 * deletion, may be an old copy of a token deleted elsewhere whose tombstone is gone: nothing can tell it from an
 * edit any more, so it is not uploaded but held back and reported (the user or an admin decides).
 *
 * This holds whatever the directory has for the key. A value another machine put there after the purge (a token
 * re-created by a machine that had synced the deletion) says nothing about this copy. Guarding only keys absent
 * from the directory (as before issue 12) let a held token win a conflict against such a re-created value on a
 * later sync, by time alone: a deletion undone blindly, and an upload in the round after everything had settled,
 * so the machines that had already synced that round never converged on it.
 */
export function mayUndoPurgedDeletion(
  local: TokenMeta,
  base: BaseEntry | undefined,
  newAfter: number,
  purgeWatermark: number,
): boolean {
  return base === undefined && local.modifiedAt <= newAfter && local.modifiedAt <= purgeWatermark;
}

function decideAbsentLocally(
  directory: DirectoryEntry | undefined,
  base: BaseEntry | undefined,
): KeyDecision {
  if (!directory || directory.tombstone) return NONE;
  if (!base) return { action: 'download', conflict: null };
  if (directoryEqualsBase(directory, base)) return { action: 'tombstone' };
  if (base.tombstone) return { action: 'download', conflict: null };
  return { action: 'download', conflict: 'edit-beats-delete' };
}
