import {
  describeUntrusted,
  tokenKeyString,
  type Conflict,
  type Rejection,
  type SyncResponse,
  type TokenMeta,
} from '@credroam/roaming';
import {
  EMPTY_RECORD,
  type TokenIssue,
  type TokenRecord,
  type TokenRecords,
} from '../store/token-records.file';

export interface SyncRecordInput {
  previous: TokenRecords;
  /** An applied (not blocked) sync answer. */
  response: SyncResponse;
  /** The tokens in the store once the answer is applied. */
  present: readonly Pick<TokenMeta, 'type' | 'id' | 'hash'>[];
  now: number;
}

/**
 * The records after a sync. A token the new base holds with its current content synced now; a download roamed
 * from the directory. A conflict of this sync replaces the token's last issue, and stays (as history) until the
 * next one; a rejection describes a token held back, so it stands until the token syncs again. Records of tokens
 * no longer in the store are dropped.
 */
export function recordSync({ previous, response, present, now }: SyncRecordInput): TokenRecords {
  const synced = new Map(
    response.base.entries
      .filter((entry) => !entry.tombstone)
      .map((entry) => [tokenKeyString(entry), entry.hash]),
  );
  const downloaded = new Set(response.downloads.map((download) => tokenKeyString(download.token)));
  const conflicts = new Map(response.conflicts.map((conflict) => [tokenKeyString(conflict), conflict]));
  const rejections = rejectionsByKey(response.rejections);

  const next: Record<string, TokenRecord> = {};
  for (const token of present) {
    const name = tokenKeyString(token);
    const before = previous[name] ?? EMPTY_RECORD;
    const rejection = rejections.get(`${token.type}:${describeUntrusted(token.id)}`);
    const conflict = conflicts.get(name);
    const inBase = synced.get(name) === token.hash && !rejection;
    next[name] = {
      origin: downloaded.has(name) ? 'roamed' : before.origin,
      lastSyncedAt: inBase ? now : before.lastSyncedAt,
      issue: rejection
        ? rejectionIssue(rejection, now)
        : conflict
          ? conflictIssue(conflict, now)
          : inBase && before.issue?.kind === 'rejection'
            ? null
            : before.issue,
    };
  }
  return next;
}

/** Rejections name their token by its quoted display id (describeUntrusted); store-wide ones have no type. */
function rejectionsByKey(rejections: readonly Rejection[]): Map<string, Rejection> {
  const byKey = new Map<string, Rejection>();
  for (const rejection of rejections) {
    if (rejection.tokenType !== null) byKey.set(`${rejection.tokenType}:${rejection.displayId}`, rejection);
  }
  return byKey;
}

function rejectionIssue(rejection: Rejection, at: number): TokenIssue {
  return { kind: 'rejection', at, side: rejection.side, code: rejection.code, message: rejection.message };
}

function conflictIssue(conflict: Conflict, at: number): TokenIssue {
  return { kind: 'conflict', at, conflict: conflict.kind, winner: conflict.winner };
}
