import * as pkijs from 'pkijs';
import { NON_PRINTABLE } from '@credroam/roaming';
import { type StoredToken, type TokenRepository } from '../store/token.repository';
import { type WindowsRoamed } from '../store/windows-roamed.file';

/** A stored certificate with the private key linked to it, when the store holds one. */
export interface CertificateBundle {
  thumbprint: string;
  certificate: Buffer;
  privateKey: Buffer | null;
}

const COMMON_NAME = '2.5.4.3';

/** A certificate id as people paste it: any case, with or without colons or spaces (`openssl x509 -fingerprint`). */
export function normalizeThumbprint(text: string): string {
  return text.replace(/[:\s]/g, '').toUpperCase();
}

/** The key tokens linked to each certificate thumbprint (the link the import and the sync keep). */
export function keysByCertificate(tokens: readonly StoredToken[]): Map<string, StoredToken> {
  const keys = new Map<string, StoredToken>();
  for (const token of tokens) {
    if (token.meta.type === 'private-key' && token.meta.linkedCertificate) {
      keys.set(token.meta.linkedCertificate, token);
    }
  }
  return keys;
}

/** Every certificate of the store with its linked key: what the applications' stores mirror. */
export function certificateBundles(tokens: readonly StoredToken[]): CertificateBundle[] {
  const keys = keysByCertificate(tokens);
  return tokens
    .filter((token) => token.meta.type === 'certificate')
    .map((token) => ({
      thumbprint: token.meta.id,
      certificate: token.content,
      privateKey: keys.get(token.meta.id)?.content ?? null,
    }));
}

/** The stored certificate with this thumbprint, with its linked key; null when the store has none. */
export function findCertificateBundle(tokens: TokenRepository, thumbprint: string): CertificateBundle | null {
  const certificate = tokens.get({ type: 'certificate', id: thumbprint });
  if (!certificate) return null;
  const key = keysByCertificate(tokens.list().tokens).get(thumbprint);
  return { thumbprint, certificate: certificate.content, privateKey: key?.content ?? null };
}

/** The certificates Windows clients roamed, as bundles without a key (their keys are Windows-only). */
export function windowsCertificateBundles(windows: WindowsRoamed): CertificateBundle[] {
  return windows.certificates.map((certificate) => ({
    thumbprint: certificate.thumbprint,
    certificate: Buffer.from(certificate.der, 'base64'),
    privateKey: null,
  }));
}

/**
 * Every certificate the applications' stores mirror: the store's own with their keys, then those Windows clients
 * roamed (read-only) that the store does not hold itself.
 */
export function allCertificateBundles(
  tokens: readonly StoredToken[],
  windows: WindowsRoamed,
): CertificateBundle[] {
  const own = certificateBundles(tokens);
  const held = new Set(own.map((bundle) => bundle.thumbprint));
  return [...own, ...windowsCertificateBundles(windows).filter((bundle) => !held.has(bundle.thumbprint))];
}

/**
 * The name a certificate goes by in other stores (NSS nickname, PKCS#12 friendlyName): its subject common name and
 * the first 8 hex digits of its thumbprint, "Alice Example (1E0CB8FA)", so two certificates of one person (a
 * renewal) stay apart. Control characters are dropped (a hostile name must not forge output lines).
 */
export function displayName(bundle: Pick<CertificateBundle, 'certificate' | 'thumbprint'>): string {
  const prefix = bundle.thumbprint.slice(0, 8);
  const commonName = subjectCommonName(bundle.certificate)
    ?.split('')
    .filter((character) => !NON_PRINTABLE.test(character))
    .join('')
    .trim()
    .slice(0, 64);
  return commonName ? `${commonName} (${prefix})` : `credroam ${prefix}`;
}

function subjectCommonName(der: Buffer): string | undefined {
  try {
    const certificate = pkijs.Certificate.fromBER(der);
    const attribute = certificate.subject.typesAndValues.find((entry) => entry.type === COMMON_NAME);
    const value: unknown = (attribute?.value as { valueBlock?: { value?: unknown } } | undefined)?.valueBlock
      ?.value;
    return typeof value === 'string' ? value : undefined;
  } catch {
    // Stored certificates were parsed on import or download; a name that does not decode just goes unnamed.
    return undefined;
  }
}
