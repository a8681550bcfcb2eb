import { NON_PRINTABLE, tokenKeyString, type BaseEntry } from '@credroam/roaming';
import { displayName } from '../export/certificate-bundle';
import { type StoredToken } from '../store/token.repository';
import { type TokenIssue, type TokenRecords } from '../store/token-records.file';

/** One token as `status --json` shows it (documented in apps/agent/README.md). */
export interface TokenStatus {
  type: StoredToken['meta']['type'];
  id: string;
  /** The certificate's subject CN and short thumbprint, else the identifier (shortened). */
  name: string;
  origin: 'imported-here' | 'roamed' | 'unknown';
  /** ISO 8601, or null: never synced. */
  lastSynced: string | null;
  issue: WithIsoTime<TokenIssue> | null;
  /** The issue in plain English, or null. */
  note: string | null;
}

/** Distributes over the issue kinds, so each keeps its own fields. */
type WithIsoTime<T> = T extends { at: number } ? Omit<T, 'at'> & { at: string } : never;

const SHOWN_ID_LENGTH = 40;

/**
 * The per-token part of `status`. A token without a record (a store from before records were kept) has an unknown
 * origin; it counts as synced at the last sync when that sync's base holds it with its current content.
 */
export function tokenStatuses(
  tokens: readonly StoredToken[],
  records: TokenRecords,
  lastSync: { at: number; entries: readonly BaseEntry[] } | null,
): TokenStatus[] {
  const baseHashes = new Map(
    (lastSync?.entries ?? []).filter((e) => !e.tombstone).map((e) => [tokenKeyString(e), e.hash]),
  );
  return tokens.map(({ meta, content }) => {
    const name = tokenKeyString(meta);
    const record = records[name];
    const fallback = lastSync && baseHashes.get(name) === meta.hash ? lastSync.at : null;
    const lastSyncedAt = record ? record.lastSyncedAt : fallback;
    const issue = record?.issue ?? null;
    return {
      type: meta.type,
      id: meta.id,
      name:
        meta.type === 'certificate'
          ? displayName({ certificate: content, thumbprint: meta.id })
          : shortened(meta.id),
      origin: record?.origin ?? 'unknown',
      lastSynced: lastSyncedAt === null ? null : new Date(lastSyncedAt).toISOString(),
      issue: issue ? ({ ...issue, at: new Date(issue.at).toISOString() } as WithIsoTime<TokenIssue>) : null,
      note: issue ? describeIssue(issue, meta.type) : null,
    };
  });
}

export function describeOrigin(origin: TokenStatus['origin']): string {
  switch (origin) {
    case 'imported-here':
      return 'imported here';
    case 'roamed':
      return 'roamed from the directory';
    case 'unknown':
      return 'unknown (before this version)';
  }
}

/** What happened to a token in a sync, as a user would say it. */
export function describeIssue(issue: TokenIssue, type: TokenStatus['type']): string {
  if (issue.kind === 'conflict') {
    if (issue.conflict === 'both-changed') {
      return issue.winner === 'directory'
        ? 'your change was replaced by a newer one from another computer'
        : 'it was changed here and on another computer; the change made here was newer and was kept';
    }
    return issue.winner === 'directory'
      ? 'it was deleted here but changed on another computer afterwards, so it came back'
      : 'it was deleted on another computer but changed here afterwards, so it was kept';
  }
  const keep = type === 'stored-credential' ? 'set it again ("credential set")' : 'import it again';
  switch (issue.code) {
    case 'POSSIBLY_PURGED_DELETION':
      return `held back: it may have been deleted elsewhere while this computer was away; delete it ("credroam-agent delete ${type} ID") or ${keep} to keep it on every computer`;
    case 'POLICY_FILTERED':
      return `not roamed: the roaming policy leaves it out (${issue.message})`;
    case 'TOKEN_SIZE_EXCEEDED':
      return `not roamed: it is larger than the policy allows (${issue.message})`;
    default:
      return `not roamed (${issue.code}): ${issue.message}`;
  }
}

/** "3 minutes ago (2026-12-03T15:20:00.000Z)", or "never". */
export function describeLastSynced(lastSynced: string | null, now: number): string {
  if (lastSynced === null) return 'never';
  return `${relativeTime(Date.parse(lastSynced), now)} (${lastSynced})`;
}

const UNITS: readonly [Intl.RelativeTimeFormatUnit, number][] = [
  ['day', 86_400_000],
  ['hour', 3_600_000],
  ['minute', 60_000],
];

function relativeTime(at: number, now: number): string {
  const elapsed = now - at;
  for (const [unit, ms] of UNITS) {
    if (Math.abs(elapsed) >= ms) {
      return new Intl.RelativeTimeFormat('en', { numeric: 'auto' }).format(-Math.round(elapsed / ms), unit);
    }
  }
  return 'just now';
}

/** Identifiers come from other machines: no control characters, and long ones cut short. */
function shortened(id: string): string {
  const printable = id
    .split('')
    .filter((character) => !NON_PRINTABLE.test(character))
    .join('');
  return printable.length > SHOWN_ID_LENGTH ? `${printable.slice(0, SHOWN_ID_LENGTH - 1)}…` : printable;
}
