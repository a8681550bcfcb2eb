import { createHash } from 'node:crypto';
import { fail, ok, type Result } from '../errors';
import { describeUntrusted, isSafeTokenId, type TokenType } from '../tokens';
import { asBuffer } from './byte-input';
import { decodeCredroamPayload } from './credroam-payload';
import { filetimeToMs, MAX_FILETIME } from './filetime';
import { decodeIdentifierField, encodeIdentifierField, IDENTIFIER_FIELD_BYTES } from './identifier-field';
import { MAX_ENCODED_VALUE_BYTES } from './value-limits';
import { isWindowsTypeDigit, LEDGER_TYPE_DIGIT, tokenTypeForTypeDigit } from './windows-type-digit';

/** Identifiers of credroam's ledger records (see LEDGER_TYPE_DIGIT). */
export const PURGE_WATERMARK_ID = 'credroam.purge-watermark';
const LEDGER_IDENTIFIERS: ReadonlySet<unknown> = new Set([PURGE_WATERMARK_ID]);

/*
 * One roaming token as Windows frames it (layout from DSInternals' RoamedCredential.cs, checked on its vectors):
 * little-endian, packed, a 132-byte header, then the data, then the provider data.
 *
 * offset  size  field
 *      0     1  '%'
 *      1     1  type, an ASCII digit
 *      2     1  '\'
 *      3    93  identifier, NUL padded
 *     96     8  last modified, FILETIME
 *    104     2  flags (WINDOWS_VALUE_FLAGS)
 *    106     2  size of the trailing provider data
 *    108    20  SHA-1 of the data
 *    128     4  data size
 *    132     n  data, then the provider data
 */
export const ROAMING_VALUE_HEADER_BYTES = 132;

const OFFSET = {
  marker: 0,
  typeDigit: 1,
  separator: 2,
  identifier: 3,
  filetime: 96,
  flags: 104,
  providerSize: 106,
  sha1: 108,
  dataSize: 128,
  data: 132,
} as const;

const MARKER = 0x25; // '%'
const SEPARATOR = 0x5c; // '\'
const SHA1_BYTES = 20;
const SHA1_HEX = /^[0-9a-fA-F]{40}$/;
const MAX_U16 = 0xffff;

export const WINDOWS_VALUE_FLAGS = {
  tombstone: 0x1,
  unreadable: 0x2,
  unwritable: 0x4,
  unroamable: 0x8,
  knownType: 0x10,
  encryptionKey: 0x20,
} as const;

export type WindowsValueFlags = Record<keyof typeof WINDOWS_VALUE_FLAGS, boolean>;

/** A decoded Windows roaming value, whoever wrote it. Every field comes from untrusted bytes. */
export interface RoamingValueRecord {
  /** Byte 1 as a character; a digit for any value Windows or credroam wrote. */
  typeDigit: string;
  /** null for a type digit nobody has defined: the value still decodes and is reported as unknown. */
  tokenType: TokenType | null;
  /** Never use as a key, path or filter unless identifierSafe. */
  identifier: string;
  /** The identifier bytes were invalid UTF-8 or hid bytes after the first NUL; `identifier` is an escape of them. */
  identifierEscaped: boolean;
  /** The identifier passes the whitelist of its type (and was decoded cleanly). */
  identifierSafe: boolean;
  filetime: bigint;
  /** Unix ms, floored from `filetime`. */
  modifiedAt: number;
  rawFlags: number;
  flags: WindowsValueFlags;
  dataSize: number;
  providerSize: number;
  /** The SHA-1 the value claims for its data, lower-case hex. */
  sha1: string;
  /** Whether `sha1` is the SHA-1 of `data`. */
  sha1Valid: boolean;
  data: Buffer;
  providerData: Buffer;
  /** 'credroam' when `data` is a well-formed credroam payload. */
  origin: 'credroam' | 'foreign';
}

export interface RoamingValueInput {
  typeDigit: string;
  identifier: string;
  /** A decoded record may be passed back in; an escaped identifier is refused rather than written as its escape. */
  identifierEscaped?: boolean;
  filetime: bigint;
  rawFlags: number;
  data: Uint8Array;
  providerData?: Uint8Array;
  /**
   * Writes this hash instead of the SHA-1 of `data`. Only for reproducing a value verbatim (Windows writes an
   * all-zero hash on "unreadable" placeholders); credroam's own values always carry the computed hash.
   */
  sha1Override?: string;
}

export function decodeRoamingValue(input: Uint8Array): Result<RoamingValueRecord> {
  const bytes = asBuffer(input);
  if (bytes === null) return fail('VALUE_MALFORMED', 'roaming value must be bytes');
  if (bytes.length > MAX_ENCODED_VALUE_BYTES) {
    return fail(
      'VALUE_TOO_LARGE',
      `roaming value of ${bytes.length} bytes exceeds ${MAX_ENCODED_VALUE_BYTES}`,
    );
  }
  // The framing bytes are checked as far as they are present, so a short foreign string reads as malformed
  // and only a plausible prefix of a value as truncated.
  if (
    (bytes.length > OFFSET.marker && bytes[OFFSET.marker] !== MARKER) ||
    (bytes.length > OFFSET.separator && bytes[OFFSET.separator] !== SEPARATOR)
  ) {
    return fail('VALUE_MALFORMED', 'roaming value does not start with "%<digit>\\"');
  }
  if (bytes.length < ROAMING_VALUE_HEADER_BYTES) {
    return fail('VALUE_TRUNCATED', `roaming value header needs ${ROAMING_VALUE_HEADER_BYTES} bytes`, {
      length: bytes.length,
    });
  }
  const dataSize = bytes.readUInt32LE(OFFSET.dataSize);
  const providerSize = bytes.readUInt16LE(OFFSET.providerSize);
  const expected = ROAMING_VALUE_HEADER_BYTES + dataSize + providerSize;
  if (bytes.length < expected) {
    return fail('VALUE_TRUNCATED', `roaming value declares ${expected} bytes but has ${bytes.length}`, {
      declared: expected,
      length: bytes.length,
    });
  }
  if (bytes.length > expected) {
    return fail('VALUE_LENGTH_MISMATCH', `roaming value declares ${expected} bytes but has ${bytes.length}`, {
      declared: expected,
      length: bytes.length,
    });
  }

  const typeDigit = String.fromCharCode(bytes.readUInt8(OFFSET.typeDigit));
  const tokenType = tokenTypeForTypeDigit(typeDigit);
  const { identifier, escaped } = decodeIdentifierField(
    bytes.subarray(OFFSET.identifier, OFFSET.identifier + IDENTIFIER_FIELD_BYTES),
  );
  const filetime = bytes.readBigUInt64LE(OFFSET.filetime);
  const modifiedAt = filetimeToMs(filetime);
  if (!modifiedAt.ok) return modifiedAt;
  const rawFlags = bytes.readUInt16LE(OFFSET.flags);
  const sha1 = bytes.subarray(OFFSET.sha1, OFFSET.sha1 + SHA1_BYTES);
  const dataEnd = OFFSET.data + dataSize;
  // Copies, so the record neither aliases the caller's buffer nor pins it in memory.
  const data = Buffer.from(bytes.subarray(OFFSET.data, dataEnd));
  const providerData = Buffer.from(bytes.subarray(dataEnd, dataEnd + providerSize));

  return ok({
    typeDigit,
    tokenType,
    identifier,
    identifierEscaped: escaped,
    identifierSafe: !escaped && tokenType !== null && isSafeTokenId(tokenType, identifier),
    filetime,
    modifiedAt: modifiedAt.value,
    rawFlags,
    flags: decodeWindowsFlags(rawFlags),
    dataSize,
    providerSize,
    sha1: sha1.toString('hex'),
    sha1Valid: sha1.equals(sha1Of(data)),
    data,
    providerData,
    origin: decodeCredroamPayload(data).ok ? 'credroam' : 'foreign',
  });
}

/**
 * Frames a value. The type digit must be one Windows or credroam defines and the identifier must pass the
 * whitelist of that type: nothing unsafe is ever written, whatever the caller hands in.
 */
export function encodeRoamingValue(input: RoamingValueInput): Result<Buffer> {
  const { typeDigit, identifier, filetime, rawFlags, sha1Override } = input;
  const ledger = typeDigit === LEDGER_TYPE_DIGIT && LEDGER_IDENTIFIERS.has(identifier);
  if (typeof typeDigit !== 'string' || (!ledger && !isWindowsTypeDigit(typeDigit))) {
    return fail('INVALID_TOKEN_TYPE', 'type digit must be one of 0-5, 7-9');
  }
  const tokenType = tokenTypeForTypeDigit(typeDigit);
  if (input.identifierEscaped === true) {
    return fail('UNSAFE_IDENTIFIER', 'an escaped identifier cannot be written back');
  }
  if (ledger) {
    // A fixed identifier credroam chose itself.
  } else if (tokenType === null || typeof identifier !== 'string' || !isSafeTokenId(tokenType, identifier)) {
    const shown = typeof identifier === 'string' ? describeUntrusted(identifier) : typeof identifier;
    return fail('INVALID_TOKEN_ID', `${tokenType ?? 'unknown'} identifier ${shown} fails its whitelist`);
  }
  const field = encodeIdentifierField(identifier);
  if (!field.ok) return field;
  if (typeof filetime !== 'bigint' || filetime < 0n || filetime > MAX_FILETIME) {
    return fail('FILETIME_OUT_OF_RANGE', 'FILETIME must be an unsigned 64-bit bigint');
  }
  if (!Number.isInteger(rawFlags) || rawFlags < 0 || rawFlags > MAX_U16) {
    return fail('INVALID_INPUT', 'flags must be an unsigned 16-bit integer');
  }
  const data = asBuffer(input.data);
  const providerData = input.providerData === undefined ? Buffer.alloc(0) : asBuffer(input.providerData);
  if (data === null || providerData === null) {
    return fail('INVALID_INPUT', 'data and provider data must be bytes');
  }
  if (providerData.length > MAX_U16) {
    return fail('VALUE_TOO_LARGE', `provider data of ${providerData.length} bytes exceeds ${MAX_U16}`);
  }
  const size = ROAMING_VALUE_HEADER_BYTES + data.length + providerData.length;
  if (size > MAX_ENCODED_VALUE_BYTES) {
    return fail('VALUE_TOO_LARGE', `roaming value of ${size} bytes exceeds ${MAX_ENCODED_VALUE_BYTES}`);
  }
  if (sha1Override !== undefined && (typeof sha1Override !== 'string' || !SHA1_HEX.test(sha1Override))) {
    return fail('INVALID_INPUT', 'SHA-1 override must be 40 hex digits');
  }

  const out = Buffer.alloc(size);
  out.writeUInt8(MARKER, OFFSET.marker);
  out.write(typeDigit, OFFSET.typeDigit, 1, 'ascii');
  out.writeUInt8(SEPARATOR, OFFSET.separator);
  field.value.copy(out, OFFSET.identifier);
  out.writeBigUInt64LE(filetime, OFFSET.filetime);
  out.writeUInt16LE(rawFlags, OFFSET.flags);
  out.writeUInt16LE(providerData.length, OFFSET.providerSize);
  const sha1 = sha1Override === undefined ? sha1Of(data) : Buffer.from(sha1Override, 'hex');
  sha1.copy(out, OFFSET.sha1);
  out.writeUInt32LE(data.length, OFFSET.dataSize);
  data.copy(out, OFFSET.data);
  providerData.copy(out, OFFSET.data + data.length);
  return ok(out);
}

/**
 * Frames `input` under a type digit and identifier that bypass the whitelists: the bytes someone with write access
 * to a user's entry could plant (CVE-2022-30170 is a roamed identifier like `..\..\x.bat`). For the tests and
 * the demo that show such a value reported and never used; nothing that writes tokens calls it. The identifier is
 * written as UTF-8, cut at the field's 93 bytes.
 */
export function encodePlantedRoamingValue(
  input: Omit<RoamingValueInput, 'typeDigit' | 'identifier' | 'identifierEscaped'>,
  planted: { typeDigit: string; identifier: string },
): Result<Buffer> {
  // encodeRoamingValue refuses unsafe identifiers by design, so the planted ones are patched into its frame.
  const framed = encodeRoamingValue({ ...input, typeDigit: '9', identifier: 'planted' });
  if (!framed.ok) return framed;
  framed.value.write(planted.typeDigit, OFFSET.typeDigit, 1, 'latin1');
  framed.value.fill(0, OFFSET.identifier, OFFSET.identifier + IDENTIFIER_FIELD_BYTES);
  Buffer.from(planted.identifier, 'utf8').copy(framed.value, OFFSET.identifier, 0, IDENTIFIER_FIELD_BYTES);
  return framed;
}

export function decodeWindowsFlags(rawFlags: number): WindowsValueFlags {
  const has = (bit: number) => (rawFlags & bit) !== 0;
  return {
    tombstone: has(WINDOWS_VALUE_FLAGS.tombstone),
    unreadable: has(WINDOWS_VALUE_FLAGS.unreadable),
    unwritable: has(WINDOWS_VALUE_FLAGS.unwritable),
    unroamable: has(WINDOWS_VALUE_FLAGS.unroamable),
    knownType: has(WINDOWS_VALUE_FLAGS.knownType),
    encryptionKey: has(WINDOWS_VALUE_FLAGS.encryptionKey),
  };
}

function sha1Of(data: Buffer): Buffer {
  return createHash('sha1').update(data).digest();
}
