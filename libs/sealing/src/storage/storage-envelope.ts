import { createHmac, hkdfSync, timingSafeEqual, type KeyObject } from 'node:crypto';
import { fail, ok, TOKEN_TYPES, validateTokenId, type Result, type TokenType } from '@credroam/roaming';
import * as asn1js from 'asn1js';
import { encode } from '../asn1/encode';
import { elementsOf, isDistinguished, type Asn1 } from '../asn1/ber';
import { CREDROAM_OID, OID } from '../asn1/oids';
import { listed, matchSchema } from '../asn1/schema';
import { ATTRIBUTE } from '../asn1/shared-schemas';
import { octetsOf, sameOid } from '../asn1/values';
import {
  assembleEnvelope,
  encryptEnvelopeParts,
  openParsedEnvelope,
  parseEnvelope,
  type EnvelopeParts,
} from '../cms/envelope';
import { ENCODED } from '../cms/encoded-constants';
import { type ParsedCertificate } from '../credentials/certificate';
import { checkSize, MAX_ENVELOPE_BYTES, wipe } from '../limits';

/*
 * The storage envelope: how a token's content is sealed at rest in the directory (the `sealed` bytes after
 * credroam's clear header). It is one standard DER CMS ContentInfo/EnvelopedData:
 *
 *   content encryption  AES-256-CBC, random CEK and IV per value
 *   recipient 1         KEKRecipientInfo: CEK wrapped (AES-256 key wrap, RFC 3394) under the user's storage KEK;
 *                       kekid.keyIdentifier = "CRSK" || key version (u32 big-endian)
 *   recipients 2..n     KeyTransRecipientInfo, RSAES-OAEP-SHA-256, per key-recovery-agent certificate
 *                       (or ECDH KeyAgreeRecipientInfo for an EC recovery certificate), named by issuer and serial
 *   unprotectedAttrs    one attribute, type 2.25.65521463517613359893721542518255798444.1.1, one OCTET STRING:
 *                       mac = HMAC-SHA-256(user MAC key, MAC input below)
 *
 * Per-user keys, for master key M_v of version v and the user's stable id (entryUUID/objectGUID, lower case):
 *   KEK     = HKDF-SHA-256(ikm = M_v, salt = "credroam/storage/v1", info = "credroam/storage/kek" 0x00 v(u32 BE) stableId, 32)
 *   MAC key = HKDF-SHA-256(ikm = M_v, salt = "credroam/storage/v1", info = "credroam/storage/mac" 0x00 v(u32 BE) stableId, 32)
 *
 * MAC input = "credroam/storage/mac/v1" 0x00
 *             || lp(stableId) || lp(type) || lp(id) || v (u32 BE) || hash (32 bytes) || size (u32 BE)
 *             || lp(DER version) || lp(DER recipientInfos) || lp(DER encryptedContentInfo)
 *   with lp(x) = length (u32 BE) || x, strings UTF-8, hash = the token hash from the value's clear header.
 *
 * Opening checks, in order: the bytes are exactly the canonical DER of the parts and the MAC attribute (so no
 * byte anywhere can change unnoticed), then the MAC (so a value moved to another user, token, key version or
 * under a header with another hash fails before anything is decrypted), then unwrap and decrypt, then the
 * plaintext size. Every failure is INTEGRITY_CHECK_FAILED; only a key version not held is KEY_UNAVAILABLE.
 *
 * A recovery agent opens the value with `openssl cms -decrypt -inform DER -inkey agent.key` (or
 * recoverStoredValue); it cannot check the MAC, which needs the storage master key. With the derived KEK,
 * `openssl cms -decrypt -secretkey <KEK hex> -secretkeyid <kekid hex>` opens it too.
 */

export interface StorageContext {
  /** The user's stable directory id. */
  stableId: string;
  type: TokenType;
  id: string;
  /** The storage master key version the value is sealed under (from the clear header). */
  keyVersion: number;
  /** The token hash (from the clear header): HMAC-SHA-256 of the plaintext, 64 lower-case hex digits. */
  hash: string;
  /** The plaintext size in bytes. */
  size: number;
}

/** The per-user keys of one storage master key version. Wipe them (wipeStorageKeys) after use. */
export interface StorageKeys {
  keyVersion: number;
  kek: Buffer;
  macKey: Buffer;
}

export const STORAGE_MASTER_KEY_BYTES = 32;
const HKDF_SALT = Buffer.from('credroam/storage/v1', 'ascii');
const MAC_LABEL = Buffer.from('credroam/storage/mac/v1\0', 'ascii');
const KEK_ID_MAGIC = Buffer.from('CRSK', 'ascii');
const MAC_BYTES = 32;
const U32_MAX = 0xffff_ffff;
const HASH_HEX = /^[0-9a-f]{64}$/;

function u32(value: number): Buffer {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(value);
  return bytes;
}

function lengthPrefixed(value: Uint8Array | string): Buffer {
  const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : Buffer.from(value);
  return Buffer.concat([u32(bytes.length), bytes]);
}

/** The KEK recipient's identifier for a key version: "CRSK" || version (u32 BE). */
export function storageKekId(keyVersion: number): Buffer {
  return Buffer.concat([KEK_ID_MAGIC, u32(keyVersion)]);
}

/** The key version a storage KEK identifier names, or undefined when it is not one. */
export function keyVersionOfKekId(kekId: Buffer): number | undefined {
  return kekId.length === 8 && kekId.subarray(0, 4).equals(KEK_ID_MAGIC) ? kekId.readUInt32BE(4) : undefined;
}

export function deriveStorageKeys(masterKey: Buffer, keyVersion: number, stableId: string): StorageKeys {
  if (masterKey.length !== STORAGE_MASTER_KEY_BYTES) {
    throw new RangeError(`a storage master key is ${STORAGE_MASTER_KEY_BYTES} bytes`);
  }
  const info = (purpose: string) =>
    Buffer.concat([
      Buffer.from(`credroam/storage/${purpose}\0`, 'ascii'),
      u32(keyVersion),
      Buffer.from(stableId, 'utf8'),
    ]);
  return {
    keyVersion,
    kek: Buffer.from(hkdfSync('sha256', masterKey, HKDF_SALT, info('kek'), 32)),
    macKey: Buffer.from(hkdfSync('sha256', masterKey, HKDF_SALT, info('mac'), 32)),
  };
}

export function wipeStorageKeys(keys: StorageKeys): void {
  wipe(keys.kek, keys.macKey);
}

function checkContext(context: StorageContext, keys: StorageKeys): Result<StorageContext> {
  const { stableId, type, id, keyVersion, hash, size } = context;
  if (typeof stableId !== 'string' || stableId.length === 0 || stableId.length > 256) {
    return fail('INVALID_INPUT', 'storage context needs a stable id');
  }
  if (!(TOKEN_TYPES as readonly string[]).includes(type))
    return fail('INVALID_INPUT', 'storage context has no valid token type');
  const checkedId = validateTokenId(type, id);
  if (!checkedId.ok) return checkedId;
  if (!Number.isInteger(keyVersion) || keyVersion < 1 || keyVersion > U32_MAX) {
    return fail('INVALID_INPUT', 'key version must be an integer 1..2^32-1');
  }
  if (typeof hash !== 'string' || !HASH_HEX.test(hash))
    return fail('INVALID_TOKEN_HASH', 'hash must be 64 lower-case hex digits');
  if (!Number.isInteger(size) || size < 0 || size > U32_MAX)
    return fail('INVALID_INPUT', 'size must be an integer 0..2^32-1');
  if (keys.keyVersion !== keyVersion) {
    return fail(
      'KEY_UNAVAILABLE',
      `storage keys are of version ${keys.keyVersion}, the value names version ${keyVersion}`,
    );
  }
  return ok(context);
}

function computeMac(macKey: Buffer, context: StorageContext, parts: EnvelopeParts): Buffer {
  return createHmac('sha256', macKey)
    .update(MAC_LABEL)
    .update(lengthPrefixed(context.stableId))
    .update(lengthPrefixed(context.type))
    .update(lengthPrefixed(context.id))
    .update(u32(context.keyVersion))
    .update(Buffer.from(context.hash, 'hex'))
    .update(u32(context.size))
    .update(lengthPrefixed(parts.version))
    .update(lengthPrefixed(parts.recipientInfos))
    .update(lengthPrefixed(parts.encryptedContentInfo))
    .digest();
}

/** Attribute { credroam storage MAC, SET { OCTET STRING mac } } */
function macAttribute(mac: Buffer): Buffer {
  return encode(
    new asn1js.Sequence({
      value: [
        ENCODED.oid(CREDROAM_OID.storageMac),
        new asn1js.Set({ value: [new asn1js.OctetString({ valueHex: mac })] }),
      ],
    }),
  );
}

/** The MAC of a stored value: its one unprotected attribute, of credroam's type, with one OCTET STRING. */
function macOf(attributes: readonly asn1js.AsnType[]): Buffer | undefined {
  const [attribute, ...others] = attributes;
  const found = matchSchema(attribute, ATTRIBUTE);
  const [value, ...more] = listed(found?.values);
  if (others.length > 0 || more.length > 0 || !sameOid(found?.type, CREDROAM_OID.storageMac))
    return undefined;
  return value instanceof asn1js.OctetString ? octetsOf(value) : undefined;
}

/** A recovery agent: an RSA (or EC) certificate whose private key an administrator keeps offline. */
export type RecoveryRecipient = ParsedCertificate;

export function sealStoredValue(
  plaintext: Uint8Array,
  context: StorageContext,
  keys: StorageKeys,
  recoveryAgents: readonly RecoveryRecipient[] = [],
): Result<Buffer> {
  const checked = checkContext(context, keys);
  if (!checked.ok) return checked;
  if (plaintext.length !== context.size) {
    return fail('INVALID_INPUT', `content is ${plaintext.length} bytes, its metadata says ${context.size}`);
  }
  const parts = encryptEnvelopeParts(
    plaintext,
    [
      { kek: keys.kek, kekId: storageKekId(keys.keyVersion) },
      ...recoveryAgents.map((certificate) => ({ certificate })),
    ],
    { unprotectedAttributes: true },
  );
  if (!parts.ok) return parts;
  return ok(assembleEnvelope(parts.value, [macAttribute(computeMac(keys.macKey, context, parts.value))]));
}

/**
 * Whether a stored value is in the one form credroam writes: DER throughout, and nothing beside the three parts the
 * MAC covers and the MAC itself (ContentInfo { id-envelopedData, [0] { version, recipientInfos, eci, [1] { one
 * attribute with one value } } }). With both, no byte outside the MAC's input can change unnoticed.
 */
function inCredroamsForm(root: Asn1): boolean {
  const [type, wrapper, ...afterContent] = elementsOf(root);
  const [envelope, ...afterEnvelope] = wrapper ? elementsOf(wrapper) : [];
  const fields = envelope ? elementsOf(envelope) : [];
  const attributes = fields[3] ? elementsOf(fields[3]) : [];
  const [attributeType, values, ...afterValues] = attributes[0] ? elementsOf(attributes[0]) : [];
  return (
    isDistinguished(root) &&
    sameOid(type, OID.envelopedData) &&
    sameOid(attributeType, CREDROAM_OID.storageMac) &&
    afterContent.length + afterEnvelope.length + afterValues.length === 0 &&
    fields.length === 4 &&
    fields[1]?.idBlock.tagNumber === 17 &&
    attributes.length === 1 &&
    values !== undefined &&
    elementsOf(values).length === 1
  );
}

const TAMPERED =
  'the stored value failed its integrity check (changed, or moved from another user, token or header)';

export function openStoredValue(
  sealed: Uint8Array,
  context: StorageContext,
  keys: StorageKeys,
): Result<Buffer> {
  const checked = checkContext(context, keys);
  if (!checked.ok) return checked;
  const sized = checkSize(sealed, MAX_ENVELOPE_BYTES, 'stored value');
  if (!sized.ok) return sized;
  const parsed = parseEnvelope(sealed);
  if (!parsed.ok) return fail('INTEGRITY_CHECK_FAILED', TAMPERED);
  const envelope = parsed.value;
  const mac = macOf(envelope.unprotectedAttributes);
  if (mac?.length !== MAC_BYTES || !inCredroamsForm(envelope.root))
    return fail('INTEGRITY_CHECK_FAILED', TAMPERED);
  if (!timingSafeEqual(mac, computeMac(keys.macKey, context, envelope.parts))) {
    return fail('INTEGRITY_CHECK_FAILED', TAMPERED);
  }
  const opened = openParsedEnvelope(envelope, [{ kek: keys.kek, kekId: storageKekId(keys.keyVersion) }]);
  if (!opened.ok) return fail('INTEGRITY_CHECK_FAILED', TAMPERED);
  if (opened.value.length !== context.size) {
    wipe(opened.value);
    return fail('INTEGRITY_CHECK_FAILED', TAMPERED);
  }
  return opened;
}

/** What can be read from a stored value without any key: the key version its KEK recipient names. */
export function storedValueKeyVersion(sealed: Uint8Array): Result<number> {
  const parsed = parseEnvelope(sealed);
  if (!parsed.ok) return parsed;
  for (const recipient of parsed.value.recipients) {
    const version = recipient.kind === 'kek' ? keyVersionOfKekId(recipient.keyId) : undefined;
    if (version !== undefined) return ok(version);
  }
  return fail('CRYPTO_PARSE_FAILED', 'not a credroam storage envelope (no storage KEK recipient)');
}

/**
 * Offline recovery by a key-recovery agent: opens a stored value with the agent's private key (and, when at hand,
 * its certificate, which names the recipient). The MAC cannot be checked without the storage master key, so the caller must trust
 * where the value came from.
 */
export function recoverStoredValue(
  sealed: Uint8Array,
  agent: { privateKey: KeyObject; certificate?: ParsedCertificate },
): Result<Buffer> {
  const parsed = parseEnvelope(sealed);
  if (!parsed.ok) return parsed;
  // Without the certificate the recipient cannot be recognised by name: try the key on each (offline only).
  const key = agent.certificate
    ? { privateKey: agent.privateKey, certificate: agent.certificate }
    : { privateKey: agent.privateKey, anyRecipient: true };
  return openParsedEnvelope(parsed.value, [key]);
}
