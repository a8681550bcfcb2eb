import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { OID } from '../asn1/oids';

/**
 * The symmetric pieces of a CMS envelope, on node:crypto (OpenSSL): AES-CBC content encryption (RFC 3565), AES
 * key wrap (RFC 3394) and the ANSI X9.63 KDF that ECDH key agreement uses (RFC 5753). They stay on node:crypto
 * rather than pkijs' WebCrypto engine because sealing is synchronous for its callers and WebCrypto is not. Every
 * function that can fail on untrusted input returns undefined instead of throwing; the caller reports one uniform
 * error.
 */

export const CONTENT_CIPHERS: Readonly<Record<string, { name: string; keyLength: number }>> = {
  [OID.aes128Cbc]: { name: 'aes-128-cbc', keyLength: 16 },
  [OID.aes192Cbc]: { name: 'aes-192-cbc', keyLength: 24 },
  [OID.aes256Cbc]: { name: 'aes-256-cbc', keyLength: 32 },
};

export const KEY_WRAPS: Readonly<Record<string, { name: string; keyLength: number }>> = {
  [OID.aes128Wrap]: { name: 'id-aes128-wrap', keyLength: 16 },
  [OID.aes192Wrap]: { name: 'id-aes192-wrap', keyLength: 24 },
  [OID.aes256Wrap]: { name: 'id-aes256-wrap', keyLength: 32 },
};

export const DIGESTS: Readonly<Record<string, string>> = {
  [OID.sha1]: 'sha1',
  [OID.sha224]: 'sha224',
  [OID.sha256]: 'sha256',
  [OID.sha384]: 'sha384',
  [OID.sha512]: 'sha512',
};

/** What credroam seals with: AES-256-CBC content (OpenSSL opens it; GCM would need AuthEnvelopedData). */
export const CONTENT_KEY_BYTES = 32;
const IV_BYTES = 16;
const WRAP_IV = Buffer.from('A6A6A6A6A6A6A6A6', 'hex');

/** Encrypts content with AES-256-CBC under a fresh IV. */
export function encryptContent(content: Uint8Array, contentKey: Buffer): { iv: Buffer; ciphertext: Buffer } {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-cbc', contentKey, iv);
  return { iv, ciphertext: Buffer.concat([cipher.update(content), cipher.final()]) };
}

export function decryptContent(
  cipherName: string,
  contentKey: Buffer,
  iv: Buffer,
  ciphertext: Buffer,
): Buffer | undefined {
  try {
    const decipher = createDecipheriv(cipherName, contentKey, iv);
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]);
  } catch {
    return undefined;
  }
}

export function wrapKey(wrapName: string, keyEncryptionKey: Buffer, contentKey: Buffer): Buffer {
  const cipher = createCipheriv(wrapName, keyEncryptionKey, WRAP_IV);
  return Buffer.concat([cipher.update(contentKey), cipher.final()]);
}

export function unwrapKey(wrapName: string, keyEncryptionKey: Buffer, wrapped: Buffer): Buffer | undefined {
  try {
    const decipher = createDecipheriv(wrapName, keyEncryptionKey, WRAP_IV);
    return Buffer.concat([decipher.update(wrapped), decipher.final()]);
  } catch {
    return undefined;
  }
}

/** ANSI X9.63 KDF: Hash(Z || counter || SharedInfo) for counter = 1, 2, … (RFC 5753 section 7.2). */
export function x963Kdf(digest: string, sharedSecret: Buffer, sharedInfo: Buffer, length: number): Buffer {
  const blocks: Buffer[] = [];
  let produced = 0;
  for (let counter = 1; produced < length; counter += 1) {
    const counterBytes = Buffer.alloc(4);
    counterBytes.writeUInt32BE(counter);
    const block = createHash(digest).update(sharedSecret).update(counterBytes).update(sharedInfo).digest();
    blocks.push(block);
    produced += block.length;
  }
  const output = Buffer.concat(blocks);
  const key = Buffer.from(output.subarray(0, length));
  output.fill(0);
  return key;
}
