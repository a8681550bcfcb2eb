import { buildPkcs12, encodePem, encryptPrivateKey, type PasswordProtection } from '@credroam/sealing';
import { displayName, type CertificateBundle } from './certificate-bundle';

export const EXPORT_FORMATS = ['pem', 'der', 'pkcs8', 'p12'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** Whether the format carries the private key (and so needs a passphrase to protect it). */
export function needsPassphrase(format: ExportFormat): boolean {
  return format === 'pkcs8' || format === 'p12';
}

/**
 * The bytes of one export: the certificate as PEM or DER, its key as encrypted PKCS#8 (PEM "ENCRYPTED PRIVATE
 * KEY", what `openssl pkcs8 -in` reads by default), or both as PKCS#12 named by displayName(). A key never leaves
 * the store unencrypted.
 */
export function exportBytes(
  bundle: CertificateBundle,
  format: ExportFormat,
  protection: PasswordProtection | null,
): Buffer {
  switch (format) {
    case 'pem':
      return Buffer.from(encodePem('CERTIFICATE', bundle.certificate), 'ascii');
    case 'der':
      return Buffer.from(bundle.certificate);
    case 'pkcs8': {
      if (!bundle.privateKey)
        throw new Error(`certificate ${bundle.thumbprint} has no private key in the store`);
      return Buffer.from(
        encodePem('ENCRYPTED PRIVATE KEY', encryptPrivateKey(bundle.privateKey, required(protection))),
        'ascii',
      );
    }
    case 'p12':
      return buildPkcs12(
        {
          certificate: bundle.certificate,
          ...(bundle.privateKey ? { privateKey: bundle.privateKey } : {}),
          friendlyName: displayName(bundle),
        },
        required(protection),
      );
  }
}

function required(protection: PasswordProtection | null): PasswordProtection {
  if (!protection) throw new Error('a passphrase is needed to protect the private key');
  return protection;
}
