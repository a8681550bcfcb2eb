import { isDeepStrictEqual } from 'node:util';
import {
  describeUntrusted,
  isSafeTokenId,
  RoamingError,
  tokenKeyString,
  type Download,
  type SyncResponse,
  type SyncTrigger,
  type TokenKey,
  type TokenMeta,
} from '@credroam/roaming';
import {
  certificateThumbprint,
  openDownloadKey,
  openEnvelope,
  parseCertificate,
  tokenHashMatches,
  wipe,
  type OpeningKey,
} from '@credroam/sealing';
import { type AgentStore } from '../store/agent-store';
import { type StoredToken } from '../store/token.repository';
import { type WindowsRoamed } from '../store/windows-roamed.file';
import { type UnlockedSession } from './credentials';
import { localWrite } from './local-failure';
import { manifestDigest } from './manifest-digest';
import { recordSync } from './sync-records';

export interface AppliedSync {
  downloaded: number;
  deleted: number;
  /** Why the per-token records (what `status` shows) could not be written; the sync itself stands. */
  recordsProblem: string | null;
}

export interface ApplyInput {
  store: AgentStore;
  response: SyncResponse;
  unlocked: UnlockedSession;
  /** The local tokens the request was built from, by tokenKeyString. */
  local: ReadonlyMap<string, StoredToken>;
  trigger: SyncTrigger;
  now: number;
}

/**
 * Applies a validated sync answer. Everything is checked first (identifiers against the whitelist, envelopes
 * opened with the device key or the download keys sealed to it, each content's keyed hash and size against its
 * metadata), so a bad download aborts the whole apply with nothing written. Then tokens are written and removed one atomic file at a time,
 * and the state file goes last: a crash before it leaves the old base, and the next sync sees the written tokens
 * as "changed locally, same hash as the directory", which reconcile records as synced.
 */
export function applySyncResponse(input: ApplyInput): AppliedSync {
  const { store, response, unlocked, now, trigger } = input;
  if (response.status === 'blocked') return { downloaded: 0, deleted: 0, recordsProblem: null };

  const keys = openingKeys(response, unlocked);
  let downloads: StoredToken[];
  try {
    downloads = response.downloads.map((download) => openDownload(download, unlocked, keys));
  } finally {
    for (const key of keys) if ('kek' in key) wipe(key.kek);
  }
  const deletions: TokenKey[] = response.localDeletions.map((deletion) => {
    if (!isSafeTokenId(deletion.type, deletion.id)) {
      throw new RoamingError(
        'UNSAFE_IDENTIFIER',
        `the server asked to delete ${deletion.type} ${describeUntrusted(deletion.id)}, whose identifier is not allowed`,
      );
    }
    return { type: deletion.type, id: deletion.id };
  });

  const windows = windowsRoamed(response);

  const present = new Map([...input.local].map(([name, token]) => [name, token.meta]));
  const deleted = localWrite(1003, 'writing the local store', () => {
    store.tokens.putAll(downloads);
    for (const token of downloads) present.set(tokenKeyString(token.meta), token.meta);
    let count = 0;
    for (const key of deletions) {
      // Only what the request listed: a token imported while the sync ran is newer than this decision.
      const before = input.local.get(tokenKeyString(key));
      const current = store.tokens.get(key);
      if (current && before && current.meta.hash !== before.meta.hash) continue;
      if (store.tokens.delete(key)) count += 1;
      present.delete(tokenKeyString(key));
    }
    return count;
  });
  if (windows && !sameWindowsValues(store.windows.read(), windows)) {
    localWrite(1003, 'writing the Windows-roamed values', () =>
      store.windows.write({ ...windows, syncedAt: now }),
    );
  }
  localWrite(1007, 'writing the state file', () =>
    store.state.write({
      format: 1,
      machine: unlocked.session.machine,
      base: response.base,
      lastStamp: response.stamp,
      ...(response.settled === undefined
        ? {}
        : { settled: { mark: response.settled, manifest: manifestDigest([...present.values()]) } }),
      lastSync: {
        at: now,
        trigger,
        status: response.status,
        code: response.code,
        correlationId: response.correlationId,
      },
    }),
  );
  return {
    downloaded: downloads.length,
    deleted,
    recordsProblem: writeRecords(store, response, present, now),
  };
}

/**
 * The keys the downloads open with: the download keys the answer carries (each opened once with the device key),
 * or, from a server that sends none, the device key itself. A download key that does not open fails the sync. No
 * download, no key: the device key is read only when it is needed.
 */
function openingKeys(response: SyncResponse, unlocked: UnlockedSession): OpeningKey[] {
  if (response.downloads.length === 0) return [];
  if (response.downloadKeys === undefined) return [{ privateKey: unlocked.deviceKey.privateKey }];
  const keys: OpeningKey[] = [];
  for (const envelope of response.downloadKeys) {
    const opened = openDownloadKey(Buffer.from(envelope, 'base64'), unlocked.deviceKey.privateKey);
    if (!opened.ok) {
      for (const key of keys) if ('kek' in key) wipe(key.kek);
      throw new RoamingError(
        'INTEGRITY_CHECK_FAILED',
        `a download key could not be opened: ${opened.error.message}`,
      );
    }
    keys.push(opened.value);
  }
  return keys;
}

/** One download opened and checked against its metadata (identifier, keyed hash, size, thumbprint). */
function openDownload(
  download: Download,
  unlocked: UnlockedSession,
  keys: readonly OpeningKey[],
): StoredToken {
  const { token } = download;
  const label = `${token.type} ${describeUntrusted(token.id)}`;
  if (!isSafeTokenId(token.type, token.id)) {
    throw new RoamingError('UNSAFE_IDENTIFIER', `the server sent ${label}, whose identifier is not allowed`);
  }
  const opened = openEnvelope(Buffer.from(download.envelope, 'base64'), keys);
  if (!opened.ok)
    throw new RoamingError(
      'INTEGRITY_CHECK_FAILED',
      `download ${label} could not be opened: ${opened.error.message}`,
    );
  const content = opened.value;
  if (content.length !== token.size || !tokenHashMatches(unlocked.hashKey, content, token.hash)) {
    throw new RoamingError('INTEGRITY_CHECK_FAILED', `download ${label} does not match its hash or size`);
  }
  if (token.type === 'certificate' && certificateThumbprint(content) !== token.id) {
    throw new RoamingError('THUMBPRINT_MISMATCH', `download ${label} is not the certificate its id names`);
  }
  return { meta: token, content };
}

/**
 * The certificates Windows clients roamed, each checked as downloads are (an X.509 certificate whose SHA-1 is the
 * thumbprint it is offered under), and the values only Windows can open; null when the server did not say (a
 * server that predates them), so the file keeps what it has.
 */
function windowsRoamed(response: SyncResponse): Omit<WindowsRoamed, 'syncedAt'> | null {
  if (response.windowsCertificates === undefined) return null;
  for (const certificate of response.windowsCertificates) {
    const der = Buffer.from(certificate.der, 'base64');
    if (certificateThumbprint(der) !== certificate.thumbprint || !parseCertificate(der).ok) {
      throw new RoamingError(
        'THUMBPRINT_MISMATCH',
        `the Windows-roamed certificate ${certificate.thumbprint} is not the certificate its thumbprint names`,
      );
    }
  }
  return {
    certificates: response.windowsCertificates,
    windowsOnly: response.reported.filter((value) => value.windows && value.windows.kind !== 'certificate'),
  };
}

/** Unchanged Windows values are not written again (their file's time is not shown anywhere). */
function sameWindowsValues(stored: WindowsRoamed, received: Omit<WindowsRoamed, 'syncedAt'>): boolean {
  return (
    isDeepStrictEqual(stored.certificates, received.certificates) &&
    isDeepStrictEqual(stored.windowsOnly, received.windowsOnly)
  );
}

/** The records only inform `status`: failing to write them must not turn an applied sync into a failure. */
function writeRecords(
  store: AgentStore,
  response: SyncResponse,
  present: ReadonlyMap<string, TokenMeta>,
  now: number,
): string | null {
  try {
    store.records.write(
      recordSync({ previous: store.records.read(), response, present: [...present.values()], now }),
    );
    return null;
  } catch (error) {
    return (error as Error).message;
  }
}
