import { describeUntrusted } from '../tokens/token-id';
import { compareText, compareTokenKeys, tokenKeyString, type TokenKey } from '../tokens/token-key';
import { type Policy } from '../policy/policy';
import { decideKey, mayUndoPurgedDeletion, type ConflictKind, type KeyDecision } from './merge-rules';
import {
  type BaseEntry,
  type Block,
  type Conflict,
  type DirectoryEntry,
  type DirectoryState,
  type DirectoryToken,
  type FullResyncReason,
  type LocalDeletion,
  type LocalManifest,
  type PlannedDownload,
  type PlannedPurge,
  type PlannedTombstone,
  type PlannedUpload,
  type Rejection,
  type SyncPlan,
  type TokenMeta,
} from './model';
import { filterReason } from './policy-filter';

export const DAY_MS = 86_400_000;

export interface ReconcileInput {
  local: LocalManifest;
  directory: DirectoryState;
  policy: Policy;
  /** The server's receive time (ms UTC); every time-based rule is relative to it. */
  now: number;
}

interface KeySlot {
  key: TokenKey;
  local?: TokenMeta;
  /** As stored: a plan refers to the exact value it replaces. */
  stored?: DirectoryEntry;
  /** As compared: timestamps clamped to now + allowed skew. */
  directory?: DirectoryEntry;
  base?: BaseEntry;
}

/**
 * The sync decision, as a pure function from (local manifest with base, directory state, policy, now) to a plan.
 * Deterministic: the same input always gives the same plan, in key order.
 */
export function reconcile({ local, directory, policy, now }: ReconcileInput): SyncPlan {
  const builder = new PlanBuilder(directory, now);
  builder.reportDirectoryValues();
  if (!policy.enabled) {
    return builder.blockedPlan({
      code: 'ROAMING_DISABLED',
      message: 'credential roaming is disabled by policy',
      limit: null,
    });
  }

  const fullResync = fullResyncReason(local, directory, policy, now);
  const useBase = fullResync === null || fullResync === 'stale-base';
  // A local token that neither the directory nor this machine's base knows may be one whose deletion was
  // purged: always so without a trustworthy base; with one, only when it predates the last sync (allowing for
  // clock skew), since anything created after that sync is new. Held tokens predate it by a tombstone lifetime.
  const skewMs = policy.clockSkewSeconds * 1000;
  const newAfter = useBase && local.base ? local.base.syncedAt - skewMs : Number.POSITIVE_INFINITY;
  builder.guardPurgedDeletions(newAfter);
  const latestAllowed = now + skewMs;
  const slots = collectSlots(
    local,
    directory,
    useBase ? (local.base?.entries ?? []) : [],
    latestAllowed,
    builder,
  );
  const roamedCertificates = liveCertificates(slots);

  for (const slot of slots.values()) {
    const held = heldBackReason(slot, policy, roamedCertificates);
    if (held) {
      builder.reject(held.side, slot.key, 'POLICY_FILTERED', held.reason);
      builder.keepBase(slot);
      continue;
    }
    builder.apply(slot, decideKey({ ...slot, newAfter }), policy);
  }
  builder.purgeExpiredTombstones(policy.tombstoneDays);
  builder.setFullResync(fullResync);

  const block = checkLimits(builder.directoryAfter(), policy);
  return block ? builder.blockedPlan(block) : builder.plan(directory.createdAt);
}

function fullResyncReason(
  local: LocalManifest,
  directory: DirectoryState,
  policy: Policy,
  now: number,
): FullResyncReason | null {
  const base = local.base;
  if (!base) return 'no-base';
  if (base.directoryCreatedAt !== null && base.directoryCreatedAt !== directory.createdAt)
    return 'directory-reset';
  // Per-key bases stay exact however old they are (a purged tombstone reads as "absent", which the rules
  // handle), so a stale base is kept; the flag tells the caller to skip any stamp-based shortcut.
  if (base.syncedAt < now - policy.tombstoneDays * DAY_MS) return 'stale-base';
  return null;
}

function collectSlots(
  local: LocalManifest,
  directory: DirectoryState,
  baseEntries: readonly BaseEntry[],
  latestAllowed: number,
  builder: PlanBuilder,
): Map<string, KeySlot> {
  const slots = new Map<string, KeySlot>();
  const slotFor = (key: TokenKey): KeySlot => {
    const name = tokenKeyString(key);
    let slot = slots.get(name);
    if (!slot) {
      slot = { key: { type: key.type, id: key.id } };
      slots.set(name, slot);
    }
    return slot;
  };
  const clamp = <T extends { modifiedAt: number }>(value: T): T =>
    value.modifiedAt > latestAllowed ? { ...value, modifiedAt: latestAllowed } : value;

  for (const token of local.tokens) slotFor(token).local = clamp(token);
  for (const entry of baseEntries) slotFor(entry).base = entry;
  for (const entry of directory.entries) {
    const slot = slotFor(entry);
    const candidate = clamp(entry);
    if (!slot.directory || !slot.stored) {
      slot.stored = entry;
      slot.directory = candidate;
    } else if (preferDirectoryValue(candidate, slot.directory)) {
      builder.purge(slot.stored, 'duplicate');
      slot.stored = entry;
      slot.directory = candidate;
    } else {
      builder.purge(entry, 'duplicate');
    }
  }
  return new Map([...slots.entries()].sort(([, a], [, b]) => compareTokenKeys(a.key, b.key)));
}

/** Two of our values for one key should never exist; if they do, keep one every machine agrees on. */
function preferDirectoryValue(candidate: DirectoryEntry, current: DirectoryEntry): boolean {
  if (candidate.modifiedAt !== current.modifiedAt) return candidate.modifiedAt > current.modifiedAt;
  if (candidate.tombstone !== current.tombstone) return !candidate.tombstone;
  if (candidate.hash !== current.hash) return candidate.hash > current.hash;
  return candidate.ref > current.ref;
}

function liveCertificates(slots: Map<string, KeySlot>): Set<string> {
  const ids = new Set<string>();
  for (const slot of slots.values()) {
    if (slot.key.type !== 'certificate') continue;
    if (slot.local || (slot.directory && !slot.directory.tombstone)) ids.add(slot.key.id);
  }
  return ids;
}

function heldBackReason(
  slot: KeySlot,
  policy: Policy,
  roamedCertificates: ReadonlySet<string>,
): { side: 'local' | 'directory'; reason: string } | null {
  if (slot.local) {
    const reason = filterReason(slot.local, policy, roamedCertificates, 'local');
    return reason ? { side: 'local', reason } : null;
  }
  if (slot.directory && !slot.directory.tombstone) {
    const reason = filterReason(slot.directory, policy, roamedCertificates, 'directory');
    return reason ? { side: 'directory', reason } : null;
  }
  return null;
}

function checkLimits(after: Iterable<DirectoryToken>, policy: Policy): Block | null {
  let count = 0;
  let liveBytes = 0;
  for (const token of after) {
    count++;
    if (!token.tombstone) liveBytes += token.size;
  }
  if (count > policy.maxTokens) {
    return {
      code: 'TOKEN_LIMIT_EXCEEDED',
      message: `the directory would hold ${count} tokens, more than the policy's maxTokens of ${policy.maxTokens}; nothing was roamed`,
      limit: { name: 'maxTokens', allowed: policy.maxTokens, actual: count },
    };
  }
  if (liveBytes > policy.maxTotalBytes) {
    return {
      code: 'TOTAL_SIZE_EXCEEDED',
      message: `the directory would hold ${liveBytes} bytes of tokens, more than the policy's maxTotalBytes of ${policy.maxTotalBytes}; nothing was roamed`,
      limit: { name: 'maxTotalBytes', allowed: policy.maxTotalBytes, actual: liveBytes },
    };
  }
  return null;
}

function summary(token: { hash: string; modifiedAt: number; tombstone?: boolean }) {
  return { hash: token.hash, modifiedAt: token.modifiedAt, tombstone: token.tombstone ?? false };
}

function toBaseEntry(token: DirectoryToken): BaseEntry {
  return {
    type: token.type,
    id: token.id,
    hash: token.hash,
    modifiedAt: token.modifiedAt,
    tombstone: token.tombstone,
  };
}

function withoutRef(entry: DirectoryEntry): DirectoryToken {
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  const { ref, ...token } = entry;
  return token;
}

/** Accumulates one plan; each method records one kind of outcome. */
class PlanBuilder {
  private readonly uploads: PlannedUpload[] = [];
  private readonly downloads: PlannedDownload[] = [];
  private readonly localDeletions: LocalDeletion[] = [];
  private readonly tombstones: PlannedTombstone[] = [];
  private readonly purges: PlannedPurge[] = [];
  private readonly conflicts: Conflict[] = [];
  private readonly rejections: Rejection[] = [];
  private readonly baseEntries = new Map<string, BaseEntry>();
  /** The value each key holds in the directory once the plan is written. */
  private readonly after = new Map<string, DirectoryToken>();
  private readonly storedByKey = new Map<string, DirectoryEntry>();
  private purgeWatermark: number;
  private fullResync: FullResyncReason | null = null;
  /** Base-less local tokens modified up to this time are checked against the purge watermark. */
  private guardedUntil = 0;

  constructor(
    private readonly directory: DirectoryState,
    private readonly now: number,
  ) {
    this.purgeWatermark = directory.purgeWatermark;
  }

  reportDirectoryValues(): void {
    for (const value of this.directory.reported) {
      if (value.reason !== 'unsafe-identifier') continue;
      this.rejections.push({
        tokenType: value.tokenType,
        displayId: value.displayId,
        side: 'directory',
        code: 'UNSAFE_IDENTIFIER',
        message: `a directory value with the identifier ${value.displayId} fails the identifier rules; it is never written to disk`,
      });
    }
  }

  reject(side: 'local' | 'directory', key: TokenKey, code: Rejection['code'], message: string): void {
    this.rejections.push({ tokenType: key.type, displayId: describeUntrusted(key.id), side, code, message });
  }

  purge(entry: DirectoryEntry, reason: PlannedPurge['reason']): void {
    this.purges.push({ entry, reason });
  }

  guardPurgedDeletions(until: number): void {
    this.guardedUntil = until;
  }

  setFullResync(reason: FullResyncReason | null): void {
    this.fullResync = reason;
  }

  keepBase(slot: KeySlot): void {
    const name = tokenKeyString(slot.key);
    if (slot.base) this.baseEntries.set(name, slot.base);
    this.recordStored(slot);
  }

  apply(slot: KeySlot, decision: KeyDecision, policy: Policy): void {
    const name = tokenKeyString(slot.key);
    this.recordStored(slot);
    switch (decision.action) {
      case 'none':
        if (slot.stored) this.baseEntries.set(name, toBaseEntry(withoutRef(slot.stored)));
        return;
      case 'upload':
        return this.planUpload(slot, decision.conflict, policy);
      case 'download':
        return this.planDownload(slot, decision.conflict, policy);
      case 'delete-local':
        this.localDeletions.push({ ...slot.key, reason: decision.reason });
        if (slot.stored) this.baseEntries.set(name, toBaseEntry(withoutRef(slot.stored)));
        return;
      case 'tombstone':
        return this.planTombstone(slot);
    }
  }

  private recordStored(slot: KeySlot): void {
    if (!slot.stored) return;
    const name = tokenKeyString(slot.key);
    this.storedByKey.set(name, slot.stored);
    this.after.set(name, withoutRef(slot.stored));
  }

  /** An oversize token is not roamed (as Windows does); the rest of the sync goes on. */
  private rejectOversize(side: 'local' | 'directory', slot: KeySlot, size: number, policy: Policy): boolean {
    if (size <= policy.maxTokenBytes) return false;
    this.reject(
      side,
      slot.key,
      'TOKEN_SIZE_EXCEEDED',
      `the token is ${size} bytes, over the policy's maxTokenBytes of ${policy.maxTokenBytes}; it was not roamed`,
    );
    this.keepBase(slot);
    return true;
  }

  private planUpload(slot: KeySlot, conflict: ConflictKind | null, policy: Policy): void {
    const local = slot.local as TokenMeta;
    const name = tokenKeyString(slot.key);
    if (this.rejectOversize('local', slot, local.size, policy)) return;
    if (mayUndoPurgedDeletion(local, slot.base, this.guardedUntil, this.directory.purgeWatermark)) {
      this.reject(
        'local',
        slot.key,
        'POSSIBLY_PURGED_DELETION',
        'this machine has no record of the token and it is older than a deletion whose tombstone was already purged; it was not uploaded, so a deletion is not undone blindly' +
          (slot.directory ? ", and the directory's other version was not downloaded over it" : '') +
          ' (delete it or import it again to roam it)',
      );
      return this.keepBase(slot);
    }
    const token: DirectoryToken = { ...local, tombstone: false };
    this.uploads.push({ token, replaces: slot.stored ?? null, conflict: conflict !== null });
    if (conflict) this.recordConflict(slot, conflict, 'local');
    this.after.set(name, token);
    this.baseEntries.set(name, toBaseEntry(token));
  }

  private planDownload(slot: KeySlot, conflict: ConflictKind | null, policy: Policy): void {
    const stored = slot.stored as DirectoryEntry;
    if (this.rejectOversize('directory', slot, stored.size, policy)) return;
    const token = withoutRef(stored);
    this.downloads.push({ token, conflict: conflict !== null });
    if (conflict) this.recordConflict(slot, conflict, 'directory');
    this.baseEntries.set(tokenKeyString(slot.key), toBaseEntry(token));
  }

  private planTombstone(slot: KeySlot): void {
    const stored = slot.stored as DirectoryEntry;
    const token: DirectoryToken = {
      type: stored.type,
      id: stored.id,
      hash: stored.hash,
      size: 0,
      flags: stored.flags,
      modifiedAt: this.now,
      tombstone: true,
    };
    const name = tokenKeyString(slot.key);
    this.tombstones.push({ token, replaces: stored });
    this.after.set(name, token);
    this.baseEntries.set(name, toBaseEntry(token));
  }

  private recordConflict(slot: KeySlot, kind: ConflictKind, winner: 'local' | 'directory'): void {
    this.conflicts.push({
      ...slot.key,
      kind,
      winner,
      local: slot.local ? summary(slot.local) : null,
      directory: slot.stored ? summary(slot.stored) : null,
    });
  }

  /** Tombstones past their lifetime leave the directory; the watermark remembers the newest one purged. */
  purgeExpiredTombstones(tombstoneDays: number): void {
    const expiry = this.now - tombstoneDays * DAY_MS;
    for (const [name, token] of this.after) {
      const stored = this.storedByKey.get(name);
      if (!token.tombstone || !stored || !stored.tombstone || token.modifiedAt !== stored.modifiedAt)
        continue;
      if (Math.min(stored.modifiedAt, this.now) >= expiry) continue;
      this.purges.push({ entry: stored, reason: 'expired-tombstone' });
      this.purgeWatermark = Math.max(this.purgeWatermark, stored.modifiedAt);
      this.after.delete(name);
      this.baseEntries.delete(name);
    }
  }

  directoryAfter(): Iterable<DirectoryToken> {
    return this.after.values();
  }

  blockedPlan(blocked: Block): SyncPlan {
    return {
      fullResync: this.fullResync,
      blocked,
      uploads: [],
      downloads: [],
      localDeletions: [],
      tombstones: [],
      purges: [],
      conflicts: [],
      rejections: this.rejections,
      reported: this.directory.reported,
      base: null,
      purgeWatermark: this.directory.purgeWatermark,
    };
  }

  plan(directoryCreatedAt: number | null): SyncPlan {
    return {
      fullResync: this.fullResync,
      blocked: null,
      uploads: this.uploads,
      downloads: this.downloads,
      localDeletions: this.localDeletions,
      tombstones: this.tombstones,
      purges: [...this.purges].sort(
        (a, b) => compareTokenKeys(a.entry, b.entry) || compareText(a.entry.ref, b.entry.ref),
      ),
      conflicts: this.conflicts,
      rejections: this.rejections,
      reported: this.directory.reported,
      base: {
        // Null when the entry has no stamp yet: whoever writes the first one records its created time here.
        directoryCreatedAt,
        syncedAt: this.now,
        entries: [...this.baseEntries.values()].sort(compareTokenKeys),
      },
      purgeWatermark: this.purgeWatermark,
    };
  }
}
