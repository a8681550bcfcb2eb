import { POLICY_DEFAULTS, POLICY_KNOBS, type PolicyKnob } from '../../policy/policy';
import { type PolicySource } from '../../policy/resolve-policy';

/**
 * Realistic values for contract tests. Binary fields are stand-ins (fixed byte patterns, base64-encoded): the
 * contracts check encoding and size, never CMS structure, so no real envelope is needed here.
 */
export const CERTIFICATE_ID = 'B6AF1EF9D302A7332208091CC8C1EFF836F60620';
export const KEY_CONTAINER_ID = '701577141985b6923998dcca035c007a_f8b7bbef-d227-4ac7-badd-3a238a7f741e';
export const MASTER_KEY_ID = '7fc19508-7b85-4a7c-9e5d-15f9e00e7ce5';
export const HASH_A = '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08';
export const HASH_B = '60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752';
export const EVENT_ID = '3b241101-e2bb-4255-8caf-4136c566a962';
export const CORRELATION_ID = 'c0ffee00-1234-4abc-8def-001122334455';
export const STABLE_ID = 'f81d4fae-7dec-11d0-a765-00a0c91e6bf6';
export const USER_DN = 'uid=alice,ou=people,dc=credroam,dc=test';
export const NOW = Date.UTC(2026, 2, 14, 8, 30, 0);

/** What token-crypto reports about a certificate for the inventory (the facts of CERTIFICATE_ID's stand-in). */
export const CERTIFICATE_FACTS = {
  subject: 'CN=alice,OU=Staff,O=Example',
  issuer: 'CN=Example Issuing CA,O=Example',
  serialNumber: '1A2B3C4D5E6F',
  notBefore: '2026-01-01T00:00:00.000Z',
  notAfter: '2027-01-01T00:00:00.000Z',
  keyAlgorithm: 'RSA',
  keySize: 2048,
  signatureAlgorithm: 'RSA-SHA256',
  weaknesses: [],
};

export function bytes(length: number, fill = 0x5a): string {
  return Buffer.alloc(length, fill).toString('base64');
}

export const STAMP = bytes(16, 0x01);
export const SEALED = bytes(1800);
export const ENVELOPE = bytes(2400);
export const DEVICE_KEY = bytes(91, 0x30); // the size of a P-256 SubjectPublicKeyInfo
export const CERTIFICATE_PEM = `-----BEGIN CERTIFICATE-----\n${bytes(48)}\n${bytes(12)}\n-----END CERTIFICATE-----\n`;

export function certificateMeta() {
  return {
    type: 'certificate' as const,
    id: CERTIFICATE_ID,
    modifiedAt: NOW - 86_400_000,
    hash: HASH_A,
    size: 1342,
    flags: { archived: false, encryptionKey: false, smartCard: false },
  };
}

export function privateKeyMeta() {
  return {
    type: 'private-key' as const,
    id: KEY_CONTAINER_ID,
    modifiedAt: NOW - 86_400_000,
    hash: HASH_B,
    size: 1704,
    flags: { archived: false, encryptionKey: true, smartCard: false },
    linkedCertificate: CERTIFICATE_ID,
  };
}

export function directoryToken(tombstone = false) {
  return { ...certificateMeta(), tombstone };
}

export function effectivePolicy() {
  const sources = Object.fromEntries(POLICY_KNOBS.map((knob) => [knob, 'default'])) as Record<
    PolicyKnob,
    PolicySource
  >;
  sources.maxTokens = 'group:cn=roaming-small,ou=groups,dc=credroam,dc=test';
  return { policy: { ...POLICY_DEFAULTS, maxTokens: 400 }, sources };
}

export function machineBase() {
  return {
    directoryCreatedAt: NOW - 30 * 86_400_000,
    syncedAt: NOW - 3_600_000,
    entries: [
      {
        type: 'certificate' as const,
        id: CERTIFICATE_ID,
        hash: HASH_A,
        modifiedAt: NOW - 86_400_000,
        tombstone: false,
      },
    ],
  };
}

export function directoryState() {
  return {
    createdAt: NOW - 30 * 86_400_000,
    modifiedAt: NOW - 3_600_000,
    entries: [{ ...directoryToken(), ref: 'v1:3f2a9c' }],
    reported: [],
    purgeWatermark: 0,
  };
}

export function syncRequest() {
  return {
    trigger: 'logon',
    machine: 'WS-0042.corp',
    lastStamp: STAMP,
    baseStatus: 'kept',
    manifest: { tokens: [certificateMeta(), privateKeyMeta()], base: machineBase() },
    uploads: [{ type: 'private-key', id: KEY_CONTAINER_ID, envelope: ENVELOPE }],
  };
}
