import {
  decodeCredroamPayload,
  decodeDirectoryValue,
  decodeDnBinary,
  fail,
  hasCredroamMagic,
  ok,
  type Result,
  type TokenType,
} from '@credroam/roaming';
import { decodePem, looksLikePem } from '@credroam/sealing';

/** A stored value as an administrator may have saved it, reduced to its sealed CMS bytes and what the header says. */
export interface StoredValueFile {
  sealed: Buffer;
  keyVersion: number | null;
  token: { type: TokenType; id: string; hash: string; size: number } | null;
}

const BASE64_TEXT = /^[A-Za-z0-9+/\s]+={0,2}\s*$/;

/**
 * Accepts every form a value takes on its way out of the directory: the raw attribute value (Windows framing,
 * OpenLDAP), its DN-Binary text (Active Directory, "B:<n>:<hex>:<dn>"), credroam's payload, the bare CMS (DER,
 * PEM "CMS"/"PKCS7"), or any of those in base64 (as ldapsearch prints binary values).
 */
export function readStoredValueFile(bytes: Buffer): Result<StoredValueFile> {
  const text = bytes.toString('latin1').trim();
  if (text.startsWith('B:')) {
    const decoded = decodeDnBinary(text);
    return decoded.ok ? readStoredValueFile(decoded.value.bytes) : decoded;
  }
  if (looksLikePem(bytes)) {
    const blocks = decodePem(bytes);
    if (!blocks.ok) return blocks;
    const block = blocks.value.find((candidate) => candidate.label === 'CMS' || candidate.label === 'PKCS7');
    return block
      ? ok({ sealed: block.der, keyVersion: null, token: null })
      : fail('INVALID_INPUT', 'no CMS PEM block');
  }
  if (bytes[0] === 0x30) return ok({ sealed: bytes, keyVersion: null, token: null });
  if (hasCredroamMagic(bytes)) {
    const payload = decodeCredroamPayload(bytes);
    if (!payload.ok) return payload;
    return ok({ sealed: payload.value.sealed, keyVersion: payload.value.keyVersion, token: null });
  }
  const value = decodeDirectoryValue(bytes);
  if (value.ok) {
    if (value.value.kind !== 'token') {
      return fail('INVALID_INPUT', `the value is not a credroam token (${value.value.kind})`);
    }
    const { token, keyVersion, sealed } = value.value;
    return ok({
      sealed,
      keyVersion,
      token: { type: token.type, id: token.id, hash: token.hash, size: token.size },
    });
  }
  if (BASE64_TEXT.test(text)) return readStoredValueFile(Buffer.from(text.replace(/\s+/g, ''), 'base64'));
  return fail('INVALID_INPUT', `not a stored value: ${value.error.message}`);
}
