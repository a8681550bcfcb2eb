import { createHash, type KeyObject } from 'node:crypto';
import { fail, ok, type Result, type TokenType } from '@credroam/roaming';
import {
  decodePem,
  isEncryptedPrivateKey,
  keyMatchesCertificate,
  looksLikePem,
  parseCertificate,
  parseCertificationRequest,
  parsePkcs12,
  parsePrivateKey,
  publicKeyIdentifier,
  type ParsedCertificate,
} from '@credroam/sealing';

/** One credential found in a file, ready to become a token (hash and time are added by the caller). */
export interface ParsedCredential {
  type: Extract<TokenType, 'certificate' | 'private-key' | 'certificate-request'>;
  id: string;
  /** DER: a certificate, a plain PKCS#8 key (the roaming envelopes protect it) or a PKCS#10 request. */
  content: Buffer;
  /** For certificates and keys: used to link a key to its certificate. */
  certificate?: ParsedCertificate;
  publicKey?: KeyObject;
  /** For keys: the parsed private key, to match it against certificates. */
  privateKey?: KeyObject;
  linkedCertificate?: string;
}

/**
 * Identifiers are derived, never taken from the file (a friendly name or container name is untrusted text):
 * a certificate is its SHA-1 thumbprint, a key `key-` + its RFC 5280 key identifier (so the same key gets the
 * same id on every machine), a request `req-` + the SHA-1 of its DER.
 */
export function privateKeyId(publicKey: KeyObject): string {
  return `key-${publicKeyIdentifier(publicKey).toString('hex')}`;
}

export function requestId(der: Buffer): string {
  return `req-${createHash('sha1').update(der).digest('hex')}`;
}

/**
 * Reads a PEM or DER file holding certificates, PKCS#8 keys, PKCS#10 requests, or a PKCS#12 bundle, and links each
 * key to a certificate of the same file whose public key it matches.
 */
export function parseCredentialFile(bytes: Buffer, password?: string): Result<ParsedCredential[]> {
  const found = looksLikePem(bytes) ? parsePemFile(bytes, password) : parseDerFile(bytes, password);
  if (!found.ok) return found;
  return ok(linkKeys(found.value, []));
}

/** Sets linkedCertificate on keys whose public key matches one of the certificates (this file's or stored). */
export function linkKeys(credentials: ParsedCredential[], stored: ParsedCertificate[]): ParsedCredential[] {
  const certificates = [...credentials.flatMap((c) => (c.certificate ? [c.certificate] : [])), ...stored];
  return credentials.map((credential) => {
    const { privateKey } = credential;
    if (credential.type !== 'private-key' || credential.linkedCertificate || !privateKey) return credential;
    const match = certificates.find((certificate) => keyMatchesCertificate(privateKey, certificate));
    return match ? { ...credential, linkedCertificate: match.thumbprint } : credential;
  });
}

function parsePemFile(bytes: Buffer, password?: string): Result<ParsedCredential[]> {
  const blocks = decodePem(bytes);
  if (!blocks.ok) return blocks;
  const credentials: ParsedCredential[] = [];
  for (const block of blocks.value) {
    let parsed: Result<ParsedCredential>;
    switch (block.label) {
      case 'CERTIFICATE':
        parsed = certificateCredential(block.der);
        break;
      case 'PRIVATE KEY':
      case 'ENCRYPTED PRIVATE KEY':
        parsed = keyCredential(block.der, password);
        break;
      case 'CERTIFICATE REQUEST':
      case 'NEW CERTIFICATE REQUEST':
        parsed = requestCredential(block.der);
        break;
      case 'PKCS12':
        return pkcs12Credentials(block.der, password);
      default:
        return fail(
          'CRYPTO_PARSE_FAILED',
          `PEM block "${block.label}" is not supported (certificates, PKCS#8 keys, PKCS#10 requests)`,
        );
    }
    if (!parsed.ok) return parsed;
    credentials.push(parsed.value);
  }
  return ok(credentials);
}

function parseDerFile(bytes: Buffer, password?: string): Result<ParsedCredential[]> {
  const certificate = certificateCredential(bytes);
  if (certificate.ok) return ok([certificate.value]);
  const request = requestCredential(bytes);
  if (request.ok) return ok([request.value]);
  if (isEncryptedPrivateKey(bytes)) {
    const key = keyCredential(bytes, password);
    return key.ok ? ok([key.value]) : key;
  }
  const key = keyCredential(bytes, password);
  if (key.ok) return ok([key.value]);
  return pkcs12Credentials(bytes, password);
}

function certificateCredential(der: Buffer): Result<ParsedCredential> {
  const parsed = parseCertificate(der);
  if (!parsed.ok) return parsed;
  const certificate = parsed.value;
  const publicKey = certificate.publicKey ?? undefined;
  return ok({
    type: 'certificate',
    id: certificate.thumbprint,
    content: certificate.der,
    certificate,
    publicKey,
  });
}

function keyCredential(der: Buffer, password?: string): Result<ParsedCredential> {
  const parsed = parsePrivateKey(der, password);
  if (!parsed.ok) return parsed;
  // A plain key keeps its exact bytes; a decrypted one is re-encoded as plain PKCS#8 (its envelope protects it).
  const content = parsed.value.encrypted
    ? parsed.value.key.export({ format: 'der', type: 'pkcs8' })
    : Buffer.from(der);
  return ok({
    type: 'private-key',
    id: privateKeyId(parsed.value.publicKey),
    content,
    publicKey: parsed.value.publicKey,
    privateKey: parsed.value.key,
  });
}

function requestCredential(der: Buffer): Result<ParsedCredential> {
  const parsed = parseCertificationRequest(der);
  if (!parsed.ok) return parsed;
  return ok({ type: 'certificate-request', id: requestId(parsed.value.der), content: parsed.value.der });
}

function pkcs12Credentials(der: Buffer, password?: string): Result<ParsedCredential[]> {
  // Without a password, try the empty one: that tells a PKCS#12 file (wrong password) from anything else.
  const parsed = parsePkcs12(der, password ?? '');
  if (!parsed.ok && parsed.error.code === 'KEY_UNAVAILABLE' && password === undefined) {
    return fail('KEY_UNAVAILABLE', 'the file is PKCS#12, which needs its password (--password-stdin)');
  }
  if (!parsed.ok) {
    return parsed.error.code === 'CRYPTO_PARSE_FAILED'
      ? fail('CRYPTO_PARSE_FAILED', 'not a certificate, PKCS#8 key, PKCS#10 request or PKCS#12 file')
      : parsed;
  }
  const credentials: ParsedCredential[] = [];
  for (const entry of parsed.value.certificates) {
    const certificate = entry.value;
    credentials.push({
      type: 'certificate',
      id: certificate.thumbprint,
      content: certificate.der,
      certificate,
      publicKey: certificate.publicKey ?? undefined,
    });
  }
  for (const entry of parsed.value.keys) {
    credentials.push({
      type: 'private-key',
      id: privateKeyId(entry.value.publicKey),
      content: entry.value.key.export({ format: 'der', type: 'pkcs8' }),
      publicKey: entry.value.publicKey,
      privateKey: entry.value.key,
    });
  }
  if (credentials.length === 0)
    return fail('CRYPTO_PARSE_FAILED', 'the PKCS#12 file holds no certificate or key');
  return ok(credentials);
}
