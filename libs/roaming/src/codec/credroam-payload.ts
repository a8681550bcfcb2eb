import { fail, ok, type Result } from '../errors';
import { type TokenFlags } from '../tokens';
import { asBuffer } from './byte-input';
import { MAX_ENCODED_VALUE_BYTES } from './value-limits';

/*
 * credroam's own `data` inside a Windows-framed value: a short clear header that reconcile reads without
 * decrypting anything, then the sealed CMS structure, opaque here.
 *
 * offset  size  field
 *      0     4  magic, ASCII "CRDR"
 *      4     1  format version, 1
 *      5     1  token flags: 0x1 archived, 0x2 encryptionKey, 0x4 smartCard; every other bit 0
 *      6     4  key version (storage master key version the sealed bytes are bound to), u32 LE
 *     10    32  token hash: HMAC-SHA-256 of the plaintext under the user's hash key
 *     42     4  plaintext size, u32 LE
 *     46    20  linked certificate: SHA-1 thumbprint of the certificate a private key belongs to; all zeros = none
 *     66     n  sealed CMS bytes, empty for a tombstone
 */
export const CREDROAM_PAYLOAD_MAGIC = 'CRDR';
// Private: an exported Buffer could be mutated by any importer.
const MAGIC = Buffer.from(CREDROAM_PAYLOAD_MAGIC, 'ascii');
export const CREDROAM_PAYLOAD_VERSION = 1;
export const CREDROAM_PAYLOAD_HEADER_BYTES = 66;

const OFFSET = {
  version: 4,
  flags: 5,
  keyVersion: 6,
  hash: 10,
  plaintextSize: 42,
  linkedCertificate: 46,
  sealed: 66,
} as const;

const FLAG = { archived: 0x1, encryptionKey: 0x2, smartCard: 0x4 } as const;
const KNOWN_FLAGS = FLAG.archived | FLAG.encryptionKey | FLAG.smartCard;
const HASH_BYTES = 32;
const THUMBPRINT_BYTES = 20;
const MAX_U32 = 0xffff_ffff;
const HASH_HEX = /^[0-9a-f]{64}$/;
const THUMBPRINT_HEX = /^[0-9A-F]{40}$/;
const NO_THUMBPRINT = '0'.repeat(THUMBPRINT_BYTES * 2);

export interface CredroamPayload {
  version: typeof CREDROAM_PAYLOAD_VERSION;
  flags: TokenFlags;
  keyVersion: number;
  /** 64 lower-case hex digits. */
  hash: string;
  plaintextSize: number;
  /** 40 upper-case hex digits, or undefined when the token is linked to no certificate. */
  linkedCertificate: string | undefined;
  sealed: Buffer;
}

export type CredroamPayloadInput = Omit<CredroamPayload, 'version' | 'sealed'> & { sealed: Uint8Array };

/** Whether `data` claims to be credroam's: anything else in a roaming value is foreign, not an error. */
export function hasCredroamMagic(data: Uint8Array): boolean {
  return data.length >= MAGIC.length && MAGIC.every((byte, i) => data[i] === byte);
}

export function encodeCredroamPayload(payload: CredroamPayloadInput): Result<Buffer> {
  const { flags, keyVersion, hash, plaintextSize, linkedCertificate } = payload;
  const sealed = asBuffer(payload.sealed);
  if (sealed === null) return fail('INVALID_INPUT', 'sealed content must be bytes');
  if (!isU32(keyVersion)) return fail('INVALID_INPUT', 'key version must be an unsigned 32-bit integer');
  if (!isU32(plaintextSize)) {
    return fail('INVALID_INPUT', 'plaintext size must be an unsigned 32-bit integer');
  }
  if (typeof hash !== 'string' || !HASH_HEX.test(hash)) {
    return fail('INVALID_TOKEN_HASH', 'hash must be 64 lower-case hex digits (HMAC-SHA-256)');
  }
  if (linkedCertificate !== undefined) {
    if (typeof linkedCertificate !== 'string' || !THUMBPRINT_HEX.test(linkedCertificate)) {
      return fail('INVALID_INPUT', 'linked certificate must be a thumbprint of 40 upper-case hex digits');
    }
    // All zeros is the on-disk "none"; a real thumbprint of zeros cannot be told apart, so refuse it.
    if (linkedCertificate === NO_THUMBPRINT) {
      return fail('INVALID_INPUT', 'linked certificate must not be the all-zero thumbprint');
    }
  }
  const size = CREDROAM_PAYLOAD_HEADER_BYTES + sealed.length;
  if (size > MAX_ENCODED_VALUE_BYTES) {
    return fail('VALUE_TOO_LARGE', `payload of ${size} bytes exceeds ${MAX_ENCODED_VALUE_BYTES}`);
  }
  const out = Buffer.alloc(size);
  MAGIC.copy(out, 0);
  out.writeUInt8(CREDROAM_PAYLOAD_VERSION, OFFSET.version);
  out.writeUInt8(
    (flags.archived ? FLAG.archived : 0) |
      (flags.encryptionKey ? FLAG.encryptionKey : 0) |
      (flags.smartCard ? FLAG.smartCard : 0),
    OFFSET.flags,
  );
  out.writeUInt32LE(keyVersion, OFFSET.keyVersion);
  out.write(hash, OFFSET.hash, HASH_BYTES, 'hex');
  out.writeUInt32LE(plaintextSize, OFFSET.plaintextSize);
  if (linkedCertificate !== undefined) {
    out.write(linkedCertificate, OFFSET.linkedCertificate, THUMBPRINT_BYTES, 'hex');
  }
  sealed.copy(out, OFFSET.sealed);
  return ok(out);
}

export function decodeCredroamPayload(input: Uint8Array): Result<CredroamPayload> {
  const data = asBuffer(input);
  if (data === null) return fail('VALUE_MALFORMED', 'credroam payload must be bytes');
  if (data.length > MAX_ENCODED_VALUE_BYTES) {
    return fail('VALUE_TOO_LARGE', `payload of ${data.length} bytes exceeds ${MAX_ENCODED_VALUE_BYTES}`);
  }
  const present = Math.min(data.length, MAGIC.length);
  if (!data.subarray(0, present).equals(MAGIC.subarray(0, present))) {
    return fail('VALUE_MALFORMED', 'data does not start with the credroam magic "CRDR"');
  }
  if (data.length < CREDROAM_PAYLOAD_HEADER_BYTES) {
    return fail('VALUE_TRUNCATED', `credroam payload header needs ${CREDROAM_PAYLOAD_HEADER_BYTES} bytes`, {
      length: data.length,
    });
  }
  const version = data.readUInt8(OFFSET.version);
  if (version !== CREDROAM_PAYLOAD_VERSION) {
    return fail('VALUE_MALFORMED', `unknown credroam payload version ${version}`, { version });
  }
  const rawFlags = data.readUInt8(OFFSET.flags);
  if ((rawFlags & ~KNOWN_FLAGS) !== 0) {
    return fail('VALUE_MALFORMED', `unknown credroam token flags 0x${rawFlags.toString(16)}`, {
      flags: rawFlags,
    });
  }
  const linked = data.toString('hex', OFFSET.linkedCertificate, OFFSET.sealed).toUpperCase();
  return ok({
    version: CREDROAM_PAYLOAD_VERSION,
    flags: {
      archived: (rawFlags & FLAG.archived) !== 0,
      encryptionKey: (rawFlags & FLAG.encryptionKey) !== 0,
      smartCard: (rawFlags & FLAG.smartCard) !== 0,
    },
    keyVersion: data.readUInt32LE(OFFSET.keyVersion),
    hash: data.toString('hex', OFFSET.hash, OFFSET.hash + HASH_BYTES),
    plaintextSize: data.readUInt32LE(OFFSET.plaintextSize),
    linkedCertificate: linked === NO_THUMBPRINT ? undefined : linked,
    // A copy, so the decoded payload does not alias (and pin) the caller's buffer.
    sealed: Buffer.from(data.subarray(OFFSET.sealed)),
  });
}

function isU32(value: unknown): value is number {
  return Number.isInteger(value) && (value as number) >= 0 && (value as number) <= MAX_U32;
}
