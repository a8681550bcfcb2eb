import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { fail, ok, type Result } from '@credroam/roaming';
import { decodeBer, elementsOf, type Asn1 } from '../asn1/ber';
import { OID } from '../asn1/oids';
import { compileSchema, listed, matchSchema } from '../asn1/schema';
import {
  bitStringBytesOf,
  encodingOf,
  integerContentOf,
  octetsOf,
  oidOf,
  smallIntegerOf,
} from '../asn1/values';
import { checkSize, MAX_CREDENTIAL_BYTES } from '../limits';
import { describeKey, type KeyDescription } from './key-description';
import { formatName } from './distinguished-name';

export interface ParsedCertificate {
  /** The certificate's DER, exactly as given. */
  readonly der: Buffer;
  /** SHA-1 of the DER, 40 upper-case hex digits: Windows' thumbprint and credroam's certificate token id. */
  readonly thumbprint: string;
  /** RFC 4514 renderings. */
  readonly subject: string;
  readonly issuer: string;
  /** Upper-case hex of the serial number's content octets (as Windows and `openssl x509 -serial` show it). */
  readonly serialNumber: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** The DER SubjectPublicKeyInfo. */
  readonly publicKeyInfo: Buffer;
  /** The public key, or null when this platform cannot load its algorithm (it still parses and describes). */
  readonly publicKey: KeyObject | null;
  readonly keyAlgorithm: string;
  readonly keySize: number | null;
  /** The issuer's signature algorithm (`RSA-SHA256`, `ECDSA-SHA384` …), the dotted OID when it has no name here. */
  readonly signatureAlgorithm: string;
  /** The subjectKeyIdentifier extension's value, when present. */
  readonly subjectKeyIdentifier: Buffer | null;
  /** The issuer Name's DER and the serial INTEGER's content: a CMS IssuerAndSerialNumber. */
  readonly issuerDer: Buffer;
  readonly serialDer: Buffer;
}

/** Windows' thumbprint of DER bytes: SHA-1, upper-case hex. */
export function certificateThumbprint(der: Uint8Array): string {
  return createHash('sha1').update(der).digest('hex').toUpperCase();
}

const KEY_ALGORITHM_NAMES: Record<string, string> = {
  [OID.rsaEncryption]: 'RSA',
  '1.2.840.113549.1.1.10': 'RSA-PSS',
  [OID.ecPublicKey]: 'EC',
  '1.2.840.10040.4.1': 'DSA',
  '1.3.101.112': 'Ed25519',
  '1.3.101.113': 'Ed448',
};

/** Signature algorithms by OID (RFC 3279, 4055, 5758, 8410), named as `<key>-<digest>`. */
const SIGNATURE_ALGORITHM_NAMES: Record<string, string> = {
  '1.2.840.113549.1.1.4': 'RSA-MD5',
  '1.2.840.113549.1.1.5': 'RSA-SHA1',
  '1.2.840.113549.1.1.14': 'RSA-SHA224',
  '1.2.840.113549.1.1.11': 'RSA-SHA256',
  '1.2.840.113549.1.1.12': 'RSA-SHA384',
  '1.2.840.113549.1.1.13': 'RSA-SHA512',
  '1.2.840.113549.1.1.10': 'RSA-PSS',
  '1.2.840.10045.4.1': 'ECDSA-SHA1',
  '1.2.840.10045.4.3.1': 'ECDSA-SHA224',
  '1.2.840.10045.4.3.2': 'ECDSA-SHA256',
  '1.2.840.10045.4.3.3': 'ECDSA-SHA384',
  '1.2.840.10045.4.3.4': 'ECDSA-SHA512',
  '1.2.840.10040.4.3': 'DSA-SHA1',
  '2.16.840.1.101.3.4.3.2': 'DSA-SHA256',
  '1.3.101.112': 'Ed25519',
  '1.3.101.113': 'Ed448',
};

/** pkijs' Certificate schema (RFC 5280 section 4.1), with names for what is read. */
const CERTIFICATE = compileSchema<
  | 'tbs'
  | 'version'
  | 'serial'
  | 'issuer'
  | 'notBefore'
  | 'notAfter'
  | 'subject'
  | 'spki'
  | 'keyAlgorithm'
  | 'issuerUniqueId'
  | 'subjectUniqueId'
  | 'signatureAlgorithm'
  | 'signature',
  'extensions'
>(() =>
  pkijs.Certificate.schema({
    names: {
      tbsCertificate: {
        names: {
          blockName: 'tbs',
          tbsCertificateVersion: 'version',
          tbsCertificateSerialNumber: 'serial',
          issuer: { names: { blockName: 'issuer' } },
          notBefore: { names: { utcTimeName: 'notBefore', generalTimeName: 'notBefore' } },
          notAfter: { names: { utcTimeName: 'notAfter', generalTimeName: 'notAfter' } },
          subject: { names: { blockName: 'subject' } },
          subjectPublicKeyInfo: {
            names: { blockName: 'spki', algorithm: { names: { algorithmIdentifier: 'keyAlgorithm' } } },
          },
          tbsCertificateIssuerUniqueID: 'issuerUniqueId',
          tbsCertificateSubjectUniqueID: 'subjectUniqueId',
          extensions: { names: { extensions: 'extensions' } },
        },
      },
      signatureAlgorithm: { names: { algorithmIdentifier: 'signatureAlgorithm' } },
      signatureValue: 'signature',
    },
  }),
);

const EXTENSION = compileSchema<'id' | 'value'>(() =>
  pkijs.Extension.schema({ names: { extnID: 'id', extnValue: 'value' } }),
);

function time(node: Asn1 | undefined): Date | undefined {
  if (!(node instanceof asn1js.UTCTime) && !(node instanceof asn1js.GeneralizedTime)) return undefined;
  const date = node.toDate();
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** What the schema leaves open: a version X.509 knows, no elements beyond the schema's, whole-byte signature. */
function problemWith(
  root: Asn1,
  found: NonNullable<ReturnType<typeof matchCertificate>>,
): string | undefined {
  const version = found.version === undefined ? 0 : smallIntegerOf(found.version);
  if (version === undefined || version > 2) return 'version';
  const optional = [found.version, found.issuerUniqueId, found.subjectUniqueId, found.extensions];
  const expected = 6 + optional.filter((part) => part !== undefined).length;
  if (elementsOf(root).length !== 3 || elementsOf(found.tbs as Asn1).length !== expected)
    return 'trailing fields';
  if (bitStringBytesOf(found.signature) === undefined) return 'signature';
  if (found.serial?.idBlock.isConstructed !== false) return 'serial number';
  return undefined;
}

function matchCertificate(root: Asn1) {
  return matchSchema(root, CERTIFICATE);
}

/** A DER X.509 certificate. Anything that is not one (truncated, trailing bytes, wrong structure) is a typed error. */
export function parseCertificate(input: Uint8Array): Result<ParsedCertificate> {
  const sized = checkSize(input, MAX_CREDENTIAL_BYTES, 'certificate');
  if (!sized.ok) return sized;
  const der = Buffer.from(input);
  const decoded = decodeBer(der, 'certificate');
  if (!decoded.ok) return decoded;
  const found = matchCertificate(decoded.value);
  const problem = found ? problemWith(decoded.value, found) : 'structure';
  if (!found || problem) return fail('CRYPTO_PARSE_FAILED', `not an X.509 certificate (${problem})`);
  const notBefore = time(found.notBefore);
  const notAfter = time(found.notAfter);
  if (!notBefore || !notAfter)
    return fail('CRYPTO_PARSE_FAILED', 'not an X.509 certificate (validity dates)');
  const { issuer, subject, spki } = found;
  const subjectText = subject && formatName(subject);
  const issuerText = issuer && formatName(issuer);
  if (!issuer || !spki || subjectText === undefined || issuerText === undefined) {
    return fail('CRYPTO_PARSE_FAILED', 'certificate subject or issuer is not a distinguished name');
  }
  const signatureOid = oidOf(found.signatureAlgorithm);
  if (!signatureOid) return fail('CRYPTO_PARSE_FAILED', 'not an X.509 certificate (signature algorithm)');
  const serialDer = integerContentOf(found.serial);
  if (!serialDer?.length) return fail('CRYPTO_PARSE_FAILED', 'certificate serial number is empty');
  return ok(
    new CertificateView({
      der,
      thumbprint: certificateThumbprint(der),
      subject: subjectText,
      issuer: issuerText,
      serialNumber: serialHex(serialDer),
      notBefore,
      notAfter,
      publicKeyInfo: encodingOf(spki),
      subjectKeyIdentifier: subjectKeyIdentifier(listed(found.extensions)),
      issuerDer: encodingOf(issuer),
      serialDer,
      keyAlgorithmOid: oidOf(found.keyAlgorithm) ?? '',
      signatureAlgorithm: SIGNATURE_ALGORITHM_NAMES[signatureOid] ?? signatureOid,
    }),
  );
}

type CertificateFields = Omit<ParsedCertificate, 'publicKey' | 'keyAlgorithm' | 'keySize'> & {
  keyAlgorithmOid: string;
};

/**
 * The public key is loaded into OpenSSL only when asked for (~0.3 ms with OpenSSL 3's decoders): checking an
 * upload's thumbprint, or naming a recipient by issuer and serial, does not need it.
 */
class CertificateView implements ParsedCertificate {
  readonly der: Buffer;
  readonly thumbprint: string;
  readonly subject: string;
  readonly issuer: string;
  readonly serialNumber: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly publicKeyInfo: Buffer;
  readonly subjectKeyIdentifier: Buffer | null;
  readonly issuerDer: Buffer;
  readonly serialDer: Buffer;
  readonly signatureAlgorithm: string;
  private readonly keyAlgorithmOid: string;
  private loaded: { key: KeyObject | null; description: KeyDescription } | undefined;

  constructor(fields: CertificateFields) {
    this.der = fields.der;
    this.thumbprint = fields.thumbprint;
    this.subject = fields.subject;
    this.issuer = fields.issuer;
    this.serialNumber = fields.serialNumber;
    this.notBefore = fields.notBefore;
    this.notAfter = fields.notAfter;
    this.publicKeyInfo = fields.publicKeyInfo;
    this.subjectKeyIdentifier = fields.subjectKeyIdentifier;
    this.issuerDer = fields.issuerDer;
    this.serialDer = fields.serialDer;
    this.keyAlgorithmOid = fields.keyAlgorithmOid;
    this.signatureAlgorithm = fields.signatureAlgorithm;
  }

  private load(): { key: KeyObject | null; description: KeyDescription } {
    if (!this.loaded) {
      const key = loadPublicKey(this.publicKeyInfo);
      this.loaded = {
        key,
        description: key
          ? describeKey(key)
          : { algorithm: KEY_ALGORITHM_NAMES[this.keyAlgorithmOid] ?? 'unknown', size: null },
      };
    }
    return this.loaded;
  }

  get publicKey(): KeyObject | null {
    return this.load().key;
  }

  get keyAlgorithm(): string {
    return this.load().description.algorithm;
  }

  get keySize(): number | null {
    return this.load().description.size;
  }
}

export function isExpired(certificate: ParsedCertificate, now: Date): boolean {
  return now.getTime() > certificate.notAfter.getTime();
}

/** OpenSSL's and Windows' rendering: the content octets, without the sign octet a positive serial may carry. */
function serialHex(content: Buffer): string {
  const magnitude = content.length > 1 && content[0] === 0 ? content.subarray(1) : content;
  return magnitude.toString('hex').toUpperCase();
}

function loadPublicKey(spki: Buffer): KeyObject | null {
  try {
    return createPublicKey({ key: spki, format: 'der', type: 'spki' });
  } catch {
    return null;
  }
}

/** The subjectKeyIdentifier extension's value: an OCTET STRING inside the extension's OCTET STRING. */
function subjectKeyIdentifier(extensions: Asn1[]): Buffer | null {
  for (const extension of extensions) {
    const found = matchSchema(extension, EXTENSION);
    if (oidOf(found?.id) !== OID.subjectKeyIdentifier) continue;
    const value = octetsOf(found?.value);
    const inner = value === undefined ? undefined : decodeBer(value, 'subject key identifier');
    if (!inner?.ok || !(inner.value instanceof asn1js.OctetString)) return null;
    return octetsOf(inner.value) ?? null;
  }
  return null;
}
