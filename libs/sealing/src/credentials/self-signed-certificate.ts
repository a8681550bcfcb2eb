import { randomBytes, sign, type KeyObject } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { fail, type Result } from '@credroam/roaming';
import { encode } from '../asn1/encode';
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
const COMMON_NAME = '2.5.4.3';

/** RFC 5280 Time: UTCTime through 2049, GeneralizedTime from 1950 back and 2050 on, whole seconds. */
function time(date: Date): pkijs.Time {
  const year = date.getUTCFullYear();
  const wholeSeconds = new Date(Math.floor(date.getTime() / 1000) * 1000);
  return new pkijs.Time({ type: year >= 1950 && year < 2050 ? 0 : 1, value: wholeSeconds });
}

function extension(extnID: string, value: asn1js.AsnType, critical = false): pkijs.Extension {
  return new pkijs.Extension({ extnID, critical, extnValue: value.toBER() });
}

/**
 * A self-signed end-entity certificate for a key that receives envelopes (token-crypto's transport key): key
 * usage keyEncipherment for RSA, keyAgreement for EC, not a CA. Agents pin it by thumbprint; no chain is needed.
 * Built with pkijs and signed with node:crypto (pkijs signs through WebCrypto, which is asynchronous).
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
  const signatureAlgorithm = () =>
    type === 'rsa'
      ? new pkijs.AlgorithmIdentifier({ algorithmId: SHA256_WITH_RSA, algorithmParams: new asn1js.Null() })
      : new pkijs.AlgorithmIdentifier({ algorithmId: ECDSA_WITH_SHA256 });
  const name = () =>
    new pkijs.RelativeDistinguishedNames({
      typesAndValues: [
        new pkijs.AttributeTypeAndValue({
          type: COMMON_NAME,
          value: new asn1js.Utf8String({ value: options.commonName }),
        }),
      ],
    });
  const serial = randomBytes(16);
  serial[0] = ((serial[0] as number) & 0x7f) | 0x40; // positive, and 16 bytes long
  // keyEncipherment is bit 2, keyAgreement bit 4 (RFC 5280 section 4.2.1.3).
  const keyUsage =
    type === 'rsa'
      ? new asn1js.BitString({ valueHex: Buffer.of(0x20), unusedBits: 5 })
      : new asn1js.BitString({ valueHex: Buffer.of(0x08), unusedBits: 3 });
  const certificate = new pkijs.Certificate({
    version: 2,
    serialNumber: new asn1js.Integer({ valueHex: serial }),
    signature: signatureAlgorithm(),
    issuer: name(),
    notBefore: time(options.notBefore),
    notAfter: time(options.notAfter),
    subject: name(),
    subjectPublicKeyInfo: pkijs.PublicKeyInfo.fromBER(spkiDer(privateKey)),
    extensions: [
      extension(EXTENSION.basicConstraints, new pkijs.BasicConstraints({}).toSchema(), true),
      extension(EXTENSION.keyUsage, keyUsage, true),
      extension(
        OID.subjectKeyIdentifier,
        new asn1js.OctetString({ valueHex: publicKeyIdentifier(privateKey) }),
      ),
    ],
    signatureAlgorithm: signatureAlgorithm(),
  });
  const signature = sign('sha256', encode(certificate.encodeTBS()), privateKey);
  certificate.signatureValue = new asn1js.BitString({ valueHex: signature });
  return parseCertificate(encode(certificate.toSchema(true)));
}
