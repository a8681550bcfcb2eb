import { z } from 'zod';
import { isoInstantSchema } from './identifiers';

/**
 * What the fleet inventory knows about a roaming certificate: its public facts, as token-crypto read them when it
 * sealed or re-sealed the token (the only service that sees the certificate). Never a key or the certificate
 * itself; the thumbprint is the token id.
 */

/** A name as RFC 4514 renders it, clipped by token-crypto to this length. */
export const MAX_CERTIFICATE_NAME_CHARS = 4096;

export const certificateNameSchema = z.string().max(MAX_CERTIFICATE_NAME_CHARS);
export const certificateSerialSchema = z
  .string()
  .regex(/^[0-9A-F]{1,64}$/, { message: 'serial number must be upper-case hex' });
export const keyAlgorithmSchema = z.string().regex(/^[A-Za-z0-9-]{1,32}$/);
export const keySizeSchema = z.number().int().min(1).max(65_536);
/** `RSA-SHA256`, `ECDSA-SHA384`, `Ed25519` …, or the dotted OID of an algorithm without a name. */
export const signatureAlgorithmSchema = z.string().regex(/^[A-Za-z0-9.-]{1,64}$/);

/**
 * Why a certificate is weak: an RSA key under 2048 bits (NIST SP 800-131A disallows it), or a signature over a
 * broken digest (SHA-1: chosen-prefix collisions, as SHAttered; MD5 long before).
 */
export const CERTIFICATE_WEAKNESSES = ['rsa-key-under-2048', 'sha1-signature', 'md5-signature'] as const;
export type CertificateWeakness = (typeof CERTIFICATE_WEAKNESSES)[number];

const MIN_RSA_BITS = 2048;

export const certificateMetadataSchema = z
  .object({
    subject: certificateNameSchema,
    issuer: certificateNameSchema,
    serialNumber: certificateSerialSchema,
    notBefore: isoInstantSchema,
    notAfter: isoInstantSchema,
    keyAlgorithm: keyAlgorithmSchema,
    keySize: keySizeSchema.nullable(),
    signatureAlgorithm: signatureAlgorithmSchema,
    weaknesses: z
      .array(z.enum(CERTIFICATE_WEAKNESSES))
      .max(CERTIFICATE_WEAKNESSES.length)
      .refine((list) => new Set(list).size === list.length, { message: 'a weakness is listed twice' }),
  })
  .strict()
  .refine((certificate) => certificateWeaknesses(certificate).join() === certificate.weaknesses.join(), {
    message: 'weaknesses must be those of the key and signature algorithm',
    path: ['weaknesses'],
  });
export type CertificateMetadata = z.output<typeof certificateMetadataSchema>;

/** The weaknesses of a certificate's key and signature, in CERTIFICATE_WEAKNESSES order. */
export function certificateWeaknesses(certificate: {
  keyAlgorithm: string;
  keySize: number | null;
  signatureAlgorithm: string;
}): CertificateWeakness[] {
  const found = new Set<CertificateWeakness>();
  const rsa = certificate.keyAlgorithm === 'RSA' || certificate.keyAlgorithm === 'RSA-PSS';
  if (rsa && certificate.keySize !== null && certificate.keySize < MIN_RSA_BITS)
    found.add('rsa-key-under-2048');
  const digest = certificate.signatureAlgorithm.split('-').at(-1);
  if (digest === 'SHA1') found.add('sha1-signature');
  if (digest === 'MD5') found.add('md5-signature');
  return CERTIFICATE_WEAKNESSES.filter((weakness) => found.has(weakness));
}

/**
 * A certificate token's public facts, for the fleet inventory: set where token-crypto read a certificate's content
 * (seal-for-storage, seal-for-device) and in the token events built from those answers; absent for every other
 * token type, for re-sealing, and from producers that predate the inventory.
 */
export const certificateFacts = {
  certificate: certificateMetadataSchema.optional(),
};

/** Certificate facts only on certificate tokens. */
export function factsOnCertificatesOnly<T extends z.ZodType<{ type: string; certificate?: unknown }>>(
  schema: T,
) {
  return schema.refine((item) => item.certificate === undefined || item.type === 'certificate', {
    message: 'only a certificate token carries certificate metadata',
    path: ['certificate'],
  });
}
