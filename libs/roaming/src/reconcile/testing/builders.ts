import { createHash } from 'node:crypto';
import { POLICY_DEFAULTS, type Policy } from '../../policy/policy';
import { NO_FLAGS } from '../../tokens/token-meta';
import { type TokenType } from '../../tokens/token-type';
import { describeDirectoryValue } from '../apply-plan';
import {
  type BaseEntry,
  type DirectoryEntry,
  type DirectoryState,
  type LocalManifest,
  type MachineBase,
  type TokenMeta,
} from '../model';

/** Builders for reconcile specs: readable names for content, fixed defaults for everything else. */
export const T0 = Date.UTC(2026, 10, 1);

export function hashOf(content: string): string {
  return createHash('sha256').update(content).digest('hex');
}

export function certificateId(name: string): string {
  return createHash('sha1').update(name).digest('hex').toUpperCase();
}

export interface TokenSpec {
  type?: TokenType;
  id?: string;
  content: string;
  at: number;
  size?: number;
  linkedCertificate?: string;
}

export const CERT_ID = certificateId('alice-signing');

export function localToken({
  type = 'certificate',
  id = CERT_ID,
  content,
  at,
  size = 1000,
  linkedCertificate,
}: TokenSpec): TokenMeta {
  return {
    type,
    id,
    hash: hashOf(content),
    modifiedAt: at,
    size,
    flags: { ...NO_FLAGS },
    ...(linkedCertificate ? { linkedCertificate } : {}),
  };
}

export function directoryEntry(spec: TokenSpec & { tombstone?: boolean }): DirectoryEntry {
  const token = { ...localToken(spec), tombstone: spec.tombstone ?? false };
  if (token.tombstone) token.size = 0;
  return { ...token, ref: describeDirectoryValue(token) };
}

export function baseEntry(spec: TokenSpec & { tombstone?: boolean }): BaseEntry {
  const { type = 'certificate', id = CERT_ID } = spec;
  return { type, id, hash: hashOf(spec.content), modifiedAt: spec.at, tombstone: spec.tombstone ?? false };
}

export function machineBase(
  entries: BaseEntry[],
  syncedAt = T0,
  directoryCreatedAt: number | null = T0 - 1000,
): MachineBase {
  return { directoryCreatedAt, syncedAt, entries };
}

export function manifest(tokens: TokenMeta[], base: MachineBase | null): LocalManifest {
  return { tokens, base };
}

export function directoryState(entries: DirectoryEntry[], purgeWatermark = 0): DirectoryState {
  return { createdAt: T0 - 1000, modifiedAt: T0, entries, reported: [], purgeWatermark };
}

export function policy(overrides: Partial<Policy> = {}): Policy {
  return { ...POLICY_DEFAULTS, ...overrides };
}
