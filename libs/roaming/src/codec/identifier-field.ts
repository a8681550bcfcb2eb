import { isUtf8 } from 'node:buffer';
import { fail, ok, type Result } from '../errors';
import { MAX_IDENTIFIER_BYTES } from '../tokens';

/** The identifier field of a Windows value: 93 bytes, NUL padded. */
export const IDENTIFIER_FIELD_BYTES = MAX_IDENTIFIER_BYTES;

export interface DecodedIdentifier {
  identifier: string;
  /**
   * True when the bytes were not a clean identifier (invalid UTF-8, or bytes hidden after the first NUL): the
   * identifier is then a printable escape of the bytes, good for a report and never for a key.
   */
  escaped: boolean;
}

/**
 * Reads the identifier as the bytes up to the first NUL. Strict UTF-8 (no overlongs, no surrogates) and a byte
 * order mark kept as a character, so the string maps back to exactly the same bytes.
 */
export function decodeIdentifierField(field: Buffer): DecodedIdentifier {
  const nul = field.indexOf(0);
  const end = nul === -1 ? field.length : nul;
  const text = field.subarray(0, end);
  const hidden = nul !== -1 && field.subarray(nul).some((byte) => byte !== 0);
  if (hidden) {
    let last = field.length;
    while (last > 0 && field[last - 1] === 0) last--;
    return { identifier: escapeIdentifierBytes(field.subarray(0, last)), escaped: true };
  }
  if (!isUtf8(text)) return { identifier: escapeIdentifierBytes(text), escaped: true };
  return { identifier: text.toString('utf8'), escaped: false };
}

/** Printable ASCII stays, a backslash doubles, every other byte becomes \xHH. */
export function escapeIdentifierBytes(bytes: Uint8Array): string {
  let out = '';
  for (const byte of bytes) {
    if (byte === 0x5c) out += '\\\\';
    else if (byte >= 0x20 && byte <= 0x7e) out += String.fromCharCode(byte);
    else out += `\\x${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** The 93-byte field for an identifier; the whitelist is the caller's job, this only checks that it fits. */
export function encodeIdentifierField(identifier: string): Result<Buffer> {
  const bytes = Buffer.from(identifier, 'utf8');
  if (bytes.length === 0 || bytes.length > IDENTIFIER_FIELD_BYTES || bytes.includes(0)) {
    return fail('INVALID_TOKEN_ID', `identifier must be 1-${IDENTIFIER_FIELD_BYTES} UTF-8 bytes without NUL`);
  }
  const field = Buffer.alloc(IDENTIFIER_FIELD_BYTES);
  bytes.copy(field);
  return ok(field);
}
