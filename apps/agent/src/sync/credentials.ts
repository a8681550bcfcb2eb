import { type KeyObject } from 'node:crypto';
import { RoamingError, unwrap } from '@credroam/roaming';
import {
  decodePem,
  openSecret,
  parseCertificate,
  SECRET_PURPOSES,
  type ParsedCertificate,
} from '@credroam/sealing';
import { type DeviceKeyPair } from '../store/device-keys';
import { type AgentStore } from '../store/agent-store';
import { type Session } from '../store/session.file';

/**
 * What every command that hashes, seals or opens needs: a live session, the device key and the hash key. The keys
 * are opened on first use (a sync with nothing to download needs neither).
 */
export interface UnlockedSession {
  readonly session: Session;
  readonly deviceKey: DeviceKeyPair;
  readonly hashKey: Buffer;
}

/**
 * The session, while it is live or the device key may still renew it (the next sync does; local commands need only
 * the hash key, which a renewal does not change).
 */
export function requireSession(store: AgentStore, now: number): UnlockedSession {
  const session = store.session.read();
  if (!session) throw new RoamingError('UNAUTHENTICATED', 'not logged in: run "credroam-agent login" first');
  const usableUntil = Math.max(
    Date.parse(session.expiresAt),
    session.renewableUntil === undefined ? 0 : Date.parse(session.renewableUntil),
  );
  if (usableUntil <= now) {
    throw new RoamingError('SESSION_EXPIRED', 'the session has expired: run "credroam-agent login" again');
  }
  const deviceKey = store.deviceKeys.load();
  if (!deviceKey)
    throw new RoamingError('UNAUTHENTICATED', 'the device key is missing: run "credroam-agent login"');
  let hashKey: Buffer | undefined;
  return {
    session,
    deviceKey,
    get hashKey() {
      hashKey ??= openHashKey(session.hashKeyEnvelope, deviceKey.privateKey);
      return hashKey;
    },
  };
}

export function openHashKey(envelope: string, privateKey: KeyObject): Buffer {
  const opened = openSecret(SECRET_PURPOSES.hashKey, Buffer.from(envelope, 'base64'), [{ privateKey }]);
  if (!opened.ok) {
    throw new RoamingError(
      'INTEGRITY_CHECK_FAILED',
      `the hash key could not be opened with the device key (${opened.error.message})`,
    );
  }
  if (opened.value.length !== 32)
    throw new RoamingError('CONTRACT_VIOLATION', 'the hash key is not 32 bytes');
  return opened.value;
}

export function transportCertificate(pem: string): ParsedCertificate {
  const blocks = unwrap(decodePem(pem));
  const first = blocks[0];
  if (!first) throw new RoamingError('CONTRACT_VIOLATION', 'the transport certificate is missing');
  const parsed = parseCertificate(first.der);
  if (!parsed.ok)
    throw new RoamingError(
      'CONTRACT_VIOLATION',
      `the transport certificate is unusable: ${parsed.error.message}`,
    );
  return parsed.value;
}
