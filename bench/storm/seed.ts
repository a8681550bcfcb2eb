import { spawnSync } from 'node:child_process';
import { generateKeyPairSync, randomBytes, randomUUID, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  encodeDirectoryToken,
  encodeRoamingTimestamp,
  attributeForType,
  NO_FLAGS,
  unwrap,
  type TokenMeta,
  type TokenType,
} from '@credroam/roaming';
import { createSelfSignedCertificate, sealStoredValue, tokenHash, wipeStorageKeys } from '@credroam/sealing';
import { type KeyRepository } from '../../apps/token-crypto/src/keys/key.repository';

/**
 * The fast loader of the logon storm: N users' roaming entries written straight into the throwaway slapd's LDIF
 * (slapadd), in exactly the form directory-gateway writes them after an upload sync:
 * - each token value is token-crypto's stored value (sealStoredValue under the user's storage keys of the current
 *   key version, bound to the user's stable id, with token-crypto's recovery agents) in the directory framing
 *   (encodeDirectoryToken, the Windows value header around credroam's payload), the hash being the user's token
 *   hash (HMAC under token-crypto's per-user hash key), on the attribute the gateway picks (attributeForType);
 * - the entry has the credroamRoamingUser class and a roaming timestamp, and its entryUUID (the gateway's stable
 *   id) is fixed here, since the sealing is bound to it.
 * The keys are the very ones the stack's token-crypto loads (its key directory is made before the stack starts).
 */

/** One token of the template set every seeded user holds (realistic kinds and sizes). */
export interface TemplateToken {
  type: TokenType;
  id: string;
  content: Buffer;
  linkedCertificate?: string;
}

/** The kinds in order, repeated up to T: certificates with their keys, a request, stored credentials, a master key. */
const PATTERN: readonly string[] = [
  'ec-certificate',
  'rsa-certificate',
  'stored-credential',
  'certificate-request',
  'stored-credential',
  'master-key',
  'ec-certificate',
  'stored-credential',
  'rsa-certificate',
  'stored-credential',
];

function certificateOf(key: KeyObject, name: string) {
  const now = Date.now();
  return unwrap(
    createSelfSignedCertificate(key, {
      commonName: name,
      notBefore: new Date(now - 86_400_000),
      notAfter: new Date(now + 365 * 86_400_000),
    }),
  );
}

/** A PKCS#10 request made by OpenSSL for `key` (DER); the key goes through a private temporary file. */
function certificationRequest(key: KeyObject, name: string): Buffer {
  const dir = mkdtempSync(join(tmpdir(), 'credroam-storm-request-'));
  try {
    const keyFile = join(dir, 'request.key');
    writeFileSync(keyFile, key.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    const made = spawnSync('openssl', [
      'req',
      '-new',
      '-key',
      keyFile,
      '-subj',
      `/CN=${name}`,
      '-outform',
      'DER',
    ]);
    if (made.status !== 0) throw new Error(`openssl req failed: ${made.stderr.toString()}`);
    return made.stdout;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * T distinct tokens: a certificate comes with its private key (two tokens, the key linked to it), so T tokens hold
 * about a third certificates, a third keys, requests, stored credentials (300-1,500 bytes) and master keys.
 */
export function templateTokens(count: number): TemplateToken[] {
  const tokens: TemplateToken[] = [];
  for (let index = 0; tokens.length < count; index++) {
    const kind = PATTERN[index % PATTERN.length] ?? 'stored-credential';
    const name = `storm ${kind} ${index}`;
    if (kind === 'ec-certificate' || kind === 'rsa-certificate') {
      const { privateKey } =
        kind === 'ec-certificate'
          ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
          : generateKeyPairSync('rsa', { modulusLength: 2048 });
      const certificate = certificateOf(privateKey, name);
      tokens.push({ type: 'certificate', id: certificate.thumbprint, content: certificate.der });
      if (tokens.length < count) {
        tokens.push({
          type: 'private-key',
          id: `storm-key-${index}-${randomBytes(4).toString('hex')}`,
          content: privateKey.export({ type: 'pkcs8', format: 'der' }),
          linkedCertificate: certificate.thumbprint,
        });
      }
    } else if (kind === 'certificate-request') {
      const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      tokens.push({
        type: 'certificate-request',
        id: `storm-request-${index}`,
        content: certificationRequest(privateKey, name),
      });
    } else if (kind === 'master-key') {
      tokens.push({ type: 'master-key', id: randomUUID(), content: randomBytes(740) });
    } else {
      tokens.push({
        type: 'stored-credential',
        id: `Domain:target=storm-${index}.example.test`,
        content: randomBytes(300 + ((index * 397) % 1200)),
      });
    }
  }
  return tokens;
}

export interface SeededUser {
  uid: string;
  password: string;
  stableId: string;
}

/** A token's metadata as the user's workstations would list it (the hash is the user's). */
export function metaFor(
  keys: KeyRepository,
  stableId: string,
  token: TemplateToken,
  modifiedAt: number,
): TokenMeta {
  const hashKey = keys.hashKey(stableId);
  try {
    return {
      type: token.type,
      id: token.id,
      modifiedAt,
      hash: tokenHash(hashKey, token.content),
      size: token.content.length,
      flags: { ...NO_FLAGS },
      ...(token.linkedCertificate ? { linkedCertificate: token.linkedCertificate } : {}),
    };
  } finally {
    hashKey.fill(0);
  }
}

/** The attributes of one user's roaming entry, as the gateway would have written them. */
export function roamingAttributes(
  keys: KeyRepository,
  stableId: string,
  tokens: readonly TemplateToken[],
  modifiedAt: number,
): Record<string, Buffer[]> {
  const keyVersion = keys.currentKeyVersion;
  const storageKeys = unwrap(keys.storageKeys(keyVersion, stableId));
  const attributes: Record<string, Buffer[]> = {
    msPKIRoamingTimeStamp: [unwrap(encodeRoamingTimestamp({ createdAt: modifiedAt, modifiedAt }))],
  };
  try {
    for (const token of tokens) {
      const meta = metaFor(keys, stableId, token, modifiedAt);
      const sealed = unwrap(
        sealStoredValue(
          token.content,
          { stableId, type: meta.type, id: meta.id, keyVersion, hash: meta.hash, size: meta.size },
          storageKeys,
          keys.recoveryAgents,
        ),
      );
      const value = unwrap(
        encodeDirectoryToken({ token: { ...meta, tombstone: false }, keyVersion, sealed }),
      );
      (attributes[attributeForType(meta.type)] ??= []).push(value);
    }
  } finally {
    wipeStorageKeys(storageKeys);
  }
  return attributes;
}

/** The slapd users of the storm: uid storm-<i>, a fixed entryUUID, their roaming entry loaded with them. */
export function seedUsers(
  keys: KeyRepository,
  count: number,
  tokens: readonly TemplateToken[],
  modifiedAt: number,
): {
  seeded: SeededUser[];
  slapdUsers: {
    uid: string;
    password: string;
    roaming: boolean;
    attributes: Record<string, Buffer[] | string>;
  }[];
} {
  const seeded: SeededUser[] = [];
  const slapdUsers = [];
  for (let index = 0; index < count; index++) {
    const user = { uid: `storm-${index}`, password: `storm-${index}-pass`, stableId: randomUUID() };
    seeded.push(user);
    slapdUsers.push({
      uid: user.uid,
      password: user.password,
      roaming: true,
      attributes: { entryUUID: user.stableId, ...roamingAttributes(keys, user.stableId, tokens, modifiedAt) },
    });
  }
  return { seeded, slapdUsers };
}
