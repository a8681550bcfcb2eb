// What a workstation does, for service specs: hash and seal uploads with the user's hash key and the transport
// certificate (libs/sealing, exactly as the agent does), and open what comes back with its device key.
import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import {
  unwrap,
  type DirectoryToken,
  type StoredValue,
  type TokenMeta,
  type TokenType,
} from '@credroam/roaming';
import { openEnvelope, sealEnvelope, spkiDer, tokenHash } from '@credroam/sealing';
import { type KeyRepository } from '../keys/key.repository';

export const ALICE = { stableId: '0f8fad5b-d9cb-469f-a165-70867728950e', login: 'alice' };
export const BOB = { stableId: '7c9e6679-7425-40de-944b-e07fc1f90ae7', login: 'bob' };
export const LIMITS = { maxTokenBytes: 65_535 };

export function meta(
  keys: KeyRepository,
  user: { stableId: string },
  type: TokenType,
  id: string,
  content: Buffer,
  extra: Partial<TokenMeta> = {},
): TokenMeta {
  const hashKey = keys.hashKey(user.stableId);
  return {
    type,
    id,
    modifiedAt: 1_750_000_000_000,
    hash: tokenHash(hashKey, content),
    size: content.length,
    flags: { archived: false, encryptionKey: false, smartCard: false },
    ...extra,
  };
}

export function upload(keys: KeyRepository, content: Buffer): string {
  return unwrap(sealEnvelope(content, [{ certificate: keys.transportCertificate }])).toString('base64');
}

export function stored(token: TokenMeta, keyVersion: number, sealed: string): StoredValue {
  const directoryToken: DirectoryToken = { ...token, tombstone: false };
  return { token: directoryToken, keyVersion, sealed };
}

export interface Device {
  privateKey: KeyObject;
  publicKey: string;
  open(envelope: string): Buffer;
}

export function device(kind: 'rsa' | 'ec' = 'ec'): Device {
  const pair =
    kind === 'rsa'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return {
    privateKey: pair.privateKey,
    publicKey: spkiDer(pair.publicKey).toString('base64'),
    open: (envelope) =>
      unwrap(openEnvelope(Buffer.from(envelope, 'base64'), [{ privateKey: pair.privateKey }])),
  };
}

export const someSecret = (size = 300) => randomBytes(size);
