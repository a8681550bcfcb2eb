import {
  certificateWeaknesses,
  fail,
  keySizeSchema,
  MAX_CERTIFICATE_NAME_CHARS,
  ok,
  type CertificateMetadata,
  type Result,
} from '@credroam/roaming';
import { type ParsedCertificate } from './certificate';

/** RFC 5280 allows 20 octets; Windows and OpenSSL accept a few more, the contract stops at 32. */
const MAX_SERIAL_HEX = 64;

/** A name clipped to what the contracts carry, with an ellipsis saying so. */
export function clipCertificateName(text: string): string {
  return text.length > MAX_CERTIFICATE_NAME_CHARS
    ? `${text.slice(0, MAX_CERTIFICATE_NAME_CHARS - 1)}…`
    : text;
}

/** A key size the contracts can carry; null for none or an absurd one. */
export function contractKeySize(size: number | null): number | null {
  return keySizeSchema.safeParse(size).success ? size : null;
}

/**
 * A certificate's public facts as the contracts carry them (crypto.inspect, the inventory in the token events):
 * names clipped, weak keys and signatures flagged. Nothing secret: the same facts `openssl x509 -text` prints.
 */
export function certificateFacts(certificate: ParsedCertificate): Result<CertificateMetadata> {
  if (certificate.serialNumber.length > MAX_SERIAL_HEX) {
    return fail(
      'CRYPTO_PARSE_FAILED',
      'certificate serial number is longer than 32 bytes (RFC 5280 allows 20)',
    );
  }
  const facts = {
    keyAlgorithm: certificate.keyAlgorithm,
    keySize: contractKeySize(certificate.keySize),
    signatureAlgorithm: certificate.signatureAlgorithm,
  };
  return ok({
    subject: clipCertificateName(certificate.subject),
    issuer: clipCertificateName(certificate.issuer),
    serialNumber: certificate.serialNumber,
    notBefore: certificate.notBefore.toISOString(),
    notAfter: certificate.notAfter.toISOString(),
    ...facts,
    weaknesses: certificateWeaknesses(facts),
  });
}
