import { fail, ok, type Result } from '@credroam/roaming';
import {
  decodePem,
  looksLikePem,
  parseCertificate,
  parseCertificationRequest,
  parsePkcs12,
  parsePrivateKey,
  type ParsedCertificate,
  type ParsedCertificationRequest,
  type ParsedPrivateKey,
} from '@credroam/sealing';
import * as asn1js from 'asn1js';

/** What a credential file holds, in the order found. */
export interface CredentialFile {
  container: 'pem' | 'der' | 'pkcs12';
  certificates: ParsedCertificate[];
  keys: ParsedPrivateKey[];
  requests: ParsedCertificationRequest[];
  /** PKCS#12 only: which certificate the key bag's localKeyId names. */
  pairedCertificate?: ParsedCertificate;
}

export type CredentialFormat = 'auto' | 'pem' | 'der' | 'pkcs12';

const MAX_PEM_BLOCKS = 64;

const PEM_HINTS: Record<string, string> = {
  'RSA PRIVATE KEY': 'PKCS#1 keys are not supported; convert with "openssl pkcs8 -topk8 -nocrypt"',
  'EC PRIVATE KEY': 'SEC 1 EC keys are not supported; convert with "openssl pkcs8 -topk8 -nocrypt"',
  PKCS7: 'PKCS#7 certificate bundles are not supported; export the certificates as PEM',
  'TRUSTED CERTIFICATE':
    'OpenSSL trusted certificates are not supported; use "openssl x509" to strip the trust settings',
};

type DerKind = 'certificate-or-request' | 'private-key' | 'pkcs12';

/** Tells the structures apart by shape, so that each gets its own precise error instead of a generic one. */
function derKind(der: Uint8Array): DerKind | undefined {
  let root: asn1js.AsnType;
  try {
    const parsed = asn1js.fromBER(der);
    if (parsed.offset === -1) return undefined;
    root = parsed.result;
  } catch {
    return undefined;
  }
  const items = root instanceof asn1js.Sequence ? root.valueBlock.value : [];
  const [first, second, third] = items;
  if (first instanceof asn1js.Integer && second instanceof asn1js.Sequence) {
    const version = first.valueBlock.valueDec;
    // PFX { version 3, authSafe ContentInfo { OID, … } } vs PrivateKeyInfo { version 0/1, AlgorithmIdentifier, OCTET STRING }
    if (
      version === 3 &&
      second.valueBlock.value[0] instanceof asn1js.ObjectIdentifier &&
      !(third instanceof asn1js.OctetString)
    ) {
      return 'pkcs12';
    }
    return 'private-key';
  }
  if (first instanceof asn1js.Sequence && second instanceof asn1js.OctetString) return 'private-key';
  if (
    first instanceof asn1js.Sequence &&
    second instanceof asn1js.Sequence &&
    third instanceof asn1js.BitString
  ) {
    return 'certificate-or-request';
  }
  return undefined;
}

function readCertificateOrRequest(der: Buffer, into: CredentialFile): Result<CredentialFile> {
  const certificate = parseCertificate(der);
  if (certificate.ok) {
    into.certificates.push(certificate.value);
    return ok(into);
  }
  const request = parseCertificationRequest(der);
  if (request.ok) {
    into.requests.push(request.value);
    return ok(into);
  }
  return certificate;
}

function readDer(der: Buffer, password: string | undefined): Result<CredentialFile> {
  const file: CredentialFile = { container: 'der', certificates: [], keys: [], requests: [] };
  switch (derKind(der)) {
    case 'certificate-or-request':
      return readCertificateOrRequest(der, file);
    case 'private-key': {
      const key = parsePrivateKey(der, password);
      if (!key.ok) return key;
      file.keys.push(key.value);
      return ok(file);
    }
    case 'pkcs12':
      return readPkcs12(der, password);
    default:
      return fail(
        'CRYPTO_PARSE_FAILED',
        'not a DER certificate, PKCS#8 private key, PKCS#10 request or PKCS#12 file',
      );
  }
}

function readPkcs12(der: Buffer, password: string | undefined): Result<CredentialFile> {
  const parsed = parsePkcs12(der, password ?? '');
  if (!parsed.ok) {
    return password === undefined && parsed.error.code === 'KEY_UNAVAILABLE'
      ? fail('KEY_UNAVAILABLE', 'the PKCS#12 file needs a password')
      : parsed;
  }
  const { certificates, keys } = parsed.value;
  const keyIds = keys.map((key) => key.localKeyId).filter((id): id is Buffer => id !== null);
  const paired = certificates.find(
    (entry) => entry.localKeyId && keyIds.some((id) => id.equals(entry.localKeyId as Buffer)),
  );
  return ok({
    container: 'pkcs12',
    certificates: certificates.map((entry) => entry.value),
    keys: keys.map((entry) => entry.value),
    requests: [],
    ...(paired ? { pairedCertificate: paired.value } : {}),
  });
}

function readPem(data: Buffer, password: string | undefined): Result<CredentialFile> {
  const blocks = decodePem(data);
  if (!blocks.ok) return blocks;
  if (blocks.value.length > MAX_PEM_BLOCKS)
    return fail('INVALID_INPUT', `more than ${MAX_PEM_BLOCKS} PEM blocks`);
  const file: CredentialFile = { container: 'pem', certificates: [], keys: [], requests: [] };
  for (const { label, der } of blocks.value) {
    switch (label) {
      case 'CERTIFICATE':
      case 'X509 CERTIFICATE': {
        const certificate = parseCertificate(der);
        if (!certificate.ok) return certificate;
        file.certificates.push(certificate.value);
        continue;
      }
      case 'CERTIFICATE REQUEST':
      case 'NEW CERTIFICATE REQUEST': {
        const request = parseCertificationRequest(der);
        if (!request.ok) return request;
        file.requests.push(request.value);
        continue;
      }
      case 'PRIVATE KEY':
      case 'ENCRYPTED PRIVATE KEY': {
        const key = parsePrivateKey(der, password);
        if (!key.ok) return key;
        file.keys.push(key.value);
        continue;
      }
      case 'PKCS12':
        return readPkcs12(der, password);
      default: {
        const hint = PEM_HINTS[label];
        return fail(
          'CRYPTO_PARSE_FAILED',
          hint
            ? `PEM "${label}": ${hint}`
            : `PEM label "${label}" is not supported (expected CERTIFICATE, PRIVATE KEY, ENCRYPTED PRIVATE KEY or CERTIFICATE REQUEST)`,
        );
      }
    }
  }
  return ok(file);
}

/** Reads a credential file of the given (or detected) format; every failure is a typed error. */
export function readCredentialFile(
  data: Buffer,
  format: CredentialFormat,
  password?: string,
): Result<CredentialFile> {
  const pem = looksLikePem(data);
  switch (format) {
    case 'pem':
      return pem
        ? readPem(data, password)
        : fail('CRYPTO_PARSE_FAILED', 'expected PEM text, got binary data');
    case 'der':
      return pem ? fail('CRYPTO_PARSE_FAILED', 'expected DER, got PEM text') : readDer(data, password);
    case 'pkcs12':
      return pem
        ? fail('CRYPTO_PARSE_FAILED', 'expected a PKCS#12 file, got PEM text')
        : readPkcs12(data, password);
    case 'auto':
      return pem ? readPem(data, password) : readDer(data, password);
  }
}
