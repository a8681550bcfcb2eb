import { fail, ok, type Result } from '../errors';
import { sameDn } from '../directory/distinguished-name';
import { describeUntrusted } from '../tokens';
import { MAX_ENCODED_VALUE_BYTES } from './value-limits';

/*
 * Active Directory's DN-Binary string form (MS-ADTS 3.1.1.2.2.2.3): `B:<count>:<hex>:<DN>`, where count is the
 * decimal number of hex digits (always even). The DN is the owning object's own, and may itself contain ':'.
 */

/** Longest DN accepted; AD DNs are far shorter, this only bounds the work a hostile value can cause. */
export const MAX_DN_LENGTH = 16 * 1024;

const MAX_HEX_DIGITS = 2 * MAX_ENCODED_VALUE_BYTES;
const PREFIX = 'B:';
const MAX_DN_BINARY_LENGTH =
  PREFIX.length + String(MAX_HEX_DIGITS).length + 1 + MAX_HEX_DIGITS + 1 + MAX_DN_LENGTH;
const COUNT = /^(?:0|[1-9][0-9]*)$/;
const HEX = /^[0-9A-Fa-f]*$/;

export interface DnBinary {
  bytes: Buffer;
  dn: string;
}

/** The caller passes its own (non-empty) DN as read from the directory; the hex is upper-case, as AD writes it. */
export function encodeDnBinary(bytes: Uint8Array, dn: string): string {
  const hex = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex').toUpperCase();
  return `${PREFIX}${hex.length}:${hex}:${dn}`;
}

/**
 * Strict parse: canonical decimal count (no sign, no leading zeros), even and equal to the number of hex digits,
 * hex in either case, non-empty DN. With `expectedDn`, the DN must name the same entry (sameDn).
 */
export function decodeDnBinary(text: string, expectedDn?: string): Result<DnBinary> {
  if (typeof text !== 'string') return fail('DN_BINARY_MALFORMED', 'DN-Binary value must be a string');
  if (text.length > MAX_DN_BINARY_LENGTH) {
    return fail(
      'VALUE_TOO_LARGE',
      `DN-Binary value of ${text.length} characters exceeds ${MAX_DN_BINARY_LENGTH}`,
    );
  }
  if (!text.startsWith(PREFIX)) return fail('DN_BINARY_MALFORMED', 'DN-Binary value must start with "B:"');
  const countEnd = text.indexOf(':', PREFIX.length);
  if (countEnd === -1) return fail('DN_BINARY_MALFORMED', 'DN-Binary value has no hex part');
  const countText = text.slice(PREFIX.length, countEnd);
  if (!COUNT.test(countText)) {
    return fail(
      'DN_BINARY_MALFORMED',
      `DN-Binary count ${describeUntrusted(countText, 20)} is not a decimal number`,
    );
  }
  // Bounded by the total length check above, so the digits parse exactly.
  const count = Number(countText);
  if (count > MAX_HEX_DIGITS) {
    return fail(
      'VALUE_TOO_LARGE',
      `DN-Binary value of ${count / 2} bytes exceeds ${MAX_ENCODED_VALUE_BYTES}`,
    );
  }
  if (count % 2 !== 0) return fail('DN_BINARY_MALFORMED', `DN-Binary count ${count} is odd`);
  const hexEnd = text.indexOf(':', countEnd + 1);
  if (hexEnd === -1) return fail('DN_BINARY_MALFORMED', 'DN-Binary value has no DN');
  const hex = text.slice(countEnd + 1, hexEnd);
  if (hex.length !== count) {
    return fail('DN_BINARY_MALFORMED', `DN-Binary count ${count} does not match ${hex.length} hex digits`);
  }
  if (!HEX.test(hex)) return fail('DN_BINARY_MALFORMED', 'DN-Binary binary part is not hex');
  const dn = text.slice(hexEnd + 1);
  if (dn.length === 0) return fail('DN_BINARY_MALFORMED', 'DN-Binary DN is empty');
  if (dn.length > MAX_DN_LENGTH) return fail('VALUE_TOO_LARGE', `DN of ${dn.length} characters is too long`);
  if (expectedDn !== undefined && !sameDn(dn, expectedDn)) {
    return fail(
      'DN_BINARY_DN_MISMATCH',
      `DN-Binary value names ${describeUntrusted(dn)}, not the entry read`,
    );
  }
  return ok({ bytes: Buffer.from(hex, 'hex'), dn });
}
