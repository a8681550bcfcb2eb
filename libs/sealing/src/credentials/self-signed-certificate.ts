import { randomBytes, sign, type KeyObject } from 'node:crypto';
import { fail, type Result } from '@credroam/roaming';
import {
  algorithmIdentifier,
  bitStringWithUnused,
  booleanValue,
  explicit,
  integer,
  nullValue,
  objectIdentifier,
  octetString,
  sequence,
  setOf,
  time,
  utf8String,
} from '../asn1/der-writer';
import { OID } from '../asn1/oids';
import { parseCertificate, type ParsedCertificate } from './certificate';
import { publicKeyIdentifier, spkiDer } from './key-description';

export interface SelfSignedCertificateOptions {
  /** The common name; the certificate's subject and issuer are CN=<commonName>. */
  commonName: string;
  notBefore: Date;
  notAfter: Date;
}

const SHA256_WITH_RSA = '1.2.840.113549.1.1.11';
const ECDSA_WITH_SHA256 = '1.2.840.10045.4.3.2';
const EXTENSION = { basicConstraints: '2.5.29.19', keyUsage: '2.5.29.15' } as const;

/**
 * A self-signed end-entity certificate for a key that receives envelopes (token-crypto's transport key): key
 * usage keyEncipherment for RSA, keyAgreement for EC, not a CA. Agents pin it by thumbprint; no chain is needed.
 */
export function createSelfSignedCertificate(
  privateKey: KeyObject,
  options: SelfSignedCertificateOptions,
): Result<ParsedCertificate> {
  const type = privateKey.asymmetricKeyType;
  if (privateKey.type !== 'private' || (type !== 'rsa' && type !== 'ec')) {
    return fail('INVALID_INPUT', 'a transport certificate needs an RSA or EC private key');
  }
  if (!/^[\x20-\x7e]{1,64}$/.test(options.commonName)) {
    return fail('INVALID_INPUT', 'common name must be 1-64 printable ASCII characters');
  }
  const signatureAlgorithm =
    type === 'rsa'
      ? algorithmIdentifier(SHA256_WITH_RSA, nullValue())
      : algorithmIdentifier(ECDSA_WITH_SHA256);
  const name = sequence(setOf(sequence(objectIdentifier('2.5.4.3'), utf8String(options.commonName))));
  // keyEncipherment is bit 2, keyAgreement bit 4 (RFC 5280 section 4.2.1.3).
  const keyUsage =
    type === 'rsa' ? bitStringWithUnused(Buffer.of(0x20), 5) : bitStringWithUnused(Buffer.of(0x08), 3);
  const serial = randomBytes(16);
  serial[0] = ((serial[0] as number) & 0x7f) | 0x40; // positive, and 16 bytes long
  const tbs = sequence(
    explicit(0, integer(2)),
    integer(serial),
    signatureAlgorithm,
    name,
    sequence(time(options.notBefore), time(options.notAfter)),
    name,
    spkiDer(privateKey),
    explicit(
      3,
      sequence(
        sequence(objectIdentifier(EXTENSION.basicConstraints), booleanValue(true), octetString(sequence())),
        sequence(objectIdentifier(EXTENSION.keyUsage), booleanValue(true), octetString(keyUsage)),
        sequence(
          objectIdentifier(OID.subjectKeyIdentifier),
          octetString(octetString(publicKeyIdentifier(privateKey))),
        ),
      ),
    ),
  );
  const signature = sign('sha256', tbs, privateKey);
  return parseCertificate(sequence(tbs, signatureAlgorithm, bitStringWithUnused(signature, 0)));
}
