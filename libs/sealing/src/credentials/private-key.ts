import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import * as pkijs from 'pkijs';
import { fail, ok, type Result } from '@credroam/roaming';
import { algorithmFrom, algorithmNames } from '../asn1/algorithm-id';
import { decodeBer, describeError, type Asn1 } from '../asn1/ber';
import { compileSchema, matchSchema } from '../asn1/schema';
import { octetsOf, smallIntegerOf } from '../asn1/values';
import { checkSize, MAX_CREDENTIAL_BYTES, wipe } from '../limits';
import { type ParsedCertificate } from './certificate';
import { describeKey } from './key-description';
import { decryptWithPassword, WRONG_PASSWORD } from './password-based-encryption';

export interface ParsedPrivateKey {
  readonly key: KeyObject;
  readonly publicKey: KeyObject;
  readonly keyAlgorithm: string;
  readonly keySize: number | null;
  /** Whether the input was an EncryptedPrivateKeyInfo. */
  readonly encrypted: boolean;
}

/** EncryptedPrivateKeyInfo (RFC 5208), which pkijs has under its PKCS#12 name, PKCS8ShroudedKeyBag. */
const ENCRYPTED_PRIVATE_KEY_INFO = compileSchema<'scheme' | 'schemeParameters' | 'encryptedData'>(() =>
  pkijs.PKCS8ShroudedKeyBag.schema({
    names: { encryptionAlgorithm: algorithmNames('scheme'), encryptedData: 'encryptedData' },
  }),
);

/** PrivateKeyInfo / OneAsymmetricKey (RFC 5958): version 0 or 1, AlgorithmIdentifier, OCTET STRING, … */
const PRIVATE_KEY_INFO = compileSchema<'version'>(() =>
  pkijs.PrivateKeyInfo.schema({ names: { version: 'version' } }),
);

export function isEncryptedPrivateKey(der: Uint8Array): boolean {
  const decoded = decodeBer(der, 'private key');
  return decoded.ok && matchSchema(decoded.value, ENCRYPTED_PRIVATE_KEY_INFO) !== undefined;
}

/**
 * A PKCS#8 private key, plain (PrivateKeyInfo) or encrypted (EncryptedPrivateKeyInfo, which needs `password`).
 * A missing or wrong password is KEY_UNAVAILABLE; anything that is not PKCS#8 is CRYPTO_PARSE_FAILED.
 */
export function parsePrivateKey(input: Uint8Array, password?: string): Result<ParsedPrivateKey> {
  const sized = checkSize(input, MAX_CREDENTIAL_BYTES, 'private key');
  if (!sized.ok) return sized;
  const decoded = decodeBer(input, 'private key');
  if (!decoded.ok) return decoded;
  const encrypted = matchSchema(decoded.value, ENCRYPTED_PRIVATE_KEY_INFO);
  if (!encrypted) return loadPlain(decoded.value, Buffer.from(input), false);
  if (password === undefined) {
    return fail('KEY_UNAVAILABLE', 'the private key is encrypted and no password was given');
  }
  const scheme = algorithmFrom(encrypted.scheme, encrypted.schemeParameters);
  const ciphertext = octetsOf(encrypted.encryptedData) ?? Buffer.alloc(0);
  const decrypted = decryptWithPassword(scheme, ciphertext, password);
  if (!decrypted.ok) return decrypted;
  try {
    const inner = decodeBer(decrypted.value, 'decrypted private key');
    // Decrypting with a wrong password can pass the padding check by chance; what comes out is then not PKCS#8.
    if (!inner.ok) return fail('KEY_UNAVAILABLE', WRONG_PASSWORD);
    return loadPlain(inner.value, decrypted.value, true);
  } finally {
    wipe(decrypted.value);
  }
}

function isPrivateKeyInfo(node: Asn1): boolean {
  const version = smallIntegerOf(matchSchema(node, PRIVATE_KEY_INFO)?.version);
  return version === 0 || version === 1;
}

function loadPlain(node: Asn1, der: Buffer, encrypted: boolean): Result<ParsedPrivateKey> {
  // The structure is checked here (asn1js); the key inside is OpenSSL's to judge, and it judges strictly.
  if (!isPrivateKeyInfo(node)) {
    return encrypted
      ? fail('KEY_UNAVAILABLE', WRONG_PASSWORD)
      : fail('CRYPTO_PARSE_FAILED', 'not a PKCS#8 private key (PrivateKeyInfo expected)');
  }
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  } catch (error) {
    return encrypted
      ? fail('KEY_UNAVAILABLE', WRONG_PASSWORD)
      : fail('CRYPTO_PARSE_FAILED', `the private key cannot be loaded (${describeError(error)})`);
  }
  const description = describeKey(key);
  return ok({
    key,
    publicKey: createPublicKey(key),
    keyAlgorithm: description.algorithm,
    keySize: description.size,
    encrypted,
  });
}

/** Whether a private key belongs to a certificate: its public half equals the certificate's public key. */
export function keyMatchesCertificate(
  key: ParsedPrivateKey | KeyObject,
  certificate: ParsedCertificate,
): boolean {
  const publicKey = 'publicKey' in key ? key.publicKey : createPublicKey(key);
  if (certificate.publicKey === null) return false;
  try {
    return publicKey.equals(certificate.publicKey);
  } catch {
    return false;
  }
}

export function checkKeyMatchesCertificate(
  key: ParsedPrivateKey | KeyObject,
  certificate: ParsedCertificate,
): Result<true> {
  if (keyMatchesCertificate(key, certificate)) return ok(true);
  return fail('KEY_MISMATCH', `the private key does not belong to certificate ${certificate.thumbprint}`, {
    thumbprint: certificate.thumbprint,
  });
}
