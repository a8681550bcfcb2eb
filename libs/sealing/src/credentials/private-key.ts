import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { fail, ok, type Result } from '@credroam/roaming';
import {
  algorithm,
  children,
  describeError,
  isUniversal,
  octetStringValue,
  parseDer,
  smallInteger,
  UNIVERSAL_TAG,
  type Asn1,
} from '../asn1/der-reader';
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

/** EncryptedPrivateKeyInfo ::= SEQUENCE { AlgorithmIdentifier, OCTET STRING }; PrivateKeyInfo starts with a version. */
function isEncryptedShape(node: Asn1): boolean {
  const [first, second] = children(node);
  return (
    isUniversal(node, UNIVERSAL_TAG.sequence) &&
    isUniversal(first, UNIVERSAL_TAG.sequence) &&
    isUniversal(second, UNIVERSAL_TAG.octetString)
  );
}

export function isEncryptedPrivateKey(der: Uint8Array): boolean {
  const parsed = parseDer(der, 'private key');
  return parsed.ok && isEncryptedShape(parsed.value);
}

/**
 * A PKCS#8 private key, plain (PrivateKeyInfo) or encrypted (EncryptedPrivateKeyInfo, which needs `password`).
 * A missing or wrong password is KEY_UNAVAILABLE; anything that is not PKCS#8 is CRYPTO_PARSE_FAILED.
 */
export function parsePrivateKey(input: Uint8Array, password?: string): Result<ParsedPrivateKey> {
  const sized = checkSize(input, MAX_CREDENTIAL_BYTES, 'private key');
  if (!sized.ok) return sized;
  const parsed = parseDer(input, 'private key');
  if (!parsed.ok) return parsed;
  if (!isEncryptedShape(parsed.value)) return loadPlain(parsed.value, Buffer.from(input), false);
  if (password === undefined) {
    return fail('KEY_UNAVAILABLE', 'the private key is encrypted and no password was given');
  }
  const [scheme, ciphertext] = children(parsed.value);
  const decrypted = decryptWithPassword(scheme, octetStringValue(ciphertext as Asn1), password);
  if (!decrypted.ok) return decrypted;
  try {
    const inner = parseDer(decrypted.value, 'decrypted private key');
    // Decrypting with a wrong password can pass the padding check by chance; what comes out is then not PKCS#8.
    if (!inner.ok) return fail('KEY_UNAVAILABLE', WRONG_PASSWORD);
    return loadPlain(inner.value, decrypted.value, true);
  } finally {
    wipe(decrypted.value);
  }
}

/** PrivateKeyInfo / OneAsymmetricKey ::= SEQUENCE { version 0|1, AlgorithmIdentifier, OCTET STRING, … } */
function isPrivateKeyInfo(node: Asn1): boolean {
  const [version, algorithmNode, key] = children(node);
  const number = smallInteger(version);
  return (
    isUniversal(node, UNIVERSAL_TAG.sequence) &&
    (number === 0 || number === 1) &&
    algorithm(algorithmNode) !== undefined &&
    isUniversal(key, UNIVERSAL_TAG.octetString)
  );
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
