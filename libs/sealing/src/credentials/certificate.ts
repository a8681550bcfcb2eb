import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import * as asn1js from 'asn1js';
import { fail, ok, type Result } from '@credroam/roaming';
import {
  algorithm,
  bitStringBytes,
  children,
  isContext,
  isUniversal,
  octetStringValue,
  oidValue,
  parseDer,
  primitiveContent,
  rawBytes,
  smallInteger,
  UNIVERSAL_TAG,
  type Asn1,
} from '../asn1/der-reader';
import { OID } from '../asn1/oids';
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

function time(node: Asn1 | undefined): Date | undefined {
  if (!(node instanceof asn1js.UTCTime) && !(node instanceof asn1js.GeneralizedTime)) return undefined;
  const date = node.toDate();
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/**
 * Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signature BIT STRING }, with tbsCertificate
 * (RFC 5280 section 4.1) walked field by field; returns why when the structure is anything else.
 */
function readCertificate(root: Asn1) {
  const [tbsNode, signatureAlgorithm, signature, ...extra] = children(root);
  if (
    !isUniversal(root, UNIVERSAL_TAG.sequence) ||
    !isUniversal(tbsNode, UNIVERSAL_TAG.sequence) ||
    extra.length > 0
  ) {
    return 'structure';
  }
  if (!algorithm(signatureAlgorithm) || bitStringBytes(signature) === undefined) return 'signature';
  const tbs = children(tbsNode);
  let index = 0;
  if (isContext(tbs[0], 0)) {
    const version = smallInteger(children(tbs[0] as Asn1)[0]);
    if (version === undefined || version > 2) return 'version';
    index = 1;
  }
  const [serial, innerAlgorithm, issuer, validity, subject, spki, ...optional] = tbs.slice(index);
  if (!isUniversal(serial, UNIVERSAL_TAG.integer) || serial.idBlock.isConstructed) return 'serial number';
  if (!algorithm(innerAlgorithm)) return 'signature algorithm';
  if (!isUniversal(issuer, UNIVERSAL_TAG.sequence) || !isUniversal(subject, UNIVERSAL_TAG.sequence))
    return 'names';
  const [notBeforeNode, notAfterNode, ...moreDates] = isUniversal(validity, UNIVERSAL_TAG.sequence)
    ? children(validity)
    : [];
  const notBefore = time(notBeforeNode);
  const notAfter = time(notAfterNode);
  if (!notBefore || !notAfter || moreDates.length > 0) return 'validity dates';
  const [keyAlgorithm, keyBits, ...moreKey] = isUniversal(spki, UNIVERSAL_TAG.sequence) ? children(spki) : [];
  const keyAlgorithmId = algorithm(keyAlgorithm);
  if (!keyAlgorithmId || !isUniversal(keyBits, UNIVERSAL_TAG.bitString) || moreKey.length > 0)
    return 'public key';
  // issuerUniqueID [1], subjectUniqueID [2], extensions [3]: optional, in this order, nothing else.
  let last = 0;
  for (const node of optional) {
    const tag = node.idBlock.tagNumber;
    if (node.idBlock.tagClass !== 3 || tag <= last || tag > 3) return 'trailing fields';
    last = tag;
  }
  return {
    serial,
    issuer,
    subject,
    spki: spki as Asn1,
    notBefore,
    notAfter,
    keyAlgorithmOid: keyAlgorithmId.oid,
    tbs,
  };
}

/** A DER X.509 certificate. Anything that is not one (truncated, trailing bytes, wrong structure) is a typed error. */
export function parseCertificate(input: Uint8Array): Result<ParsedCertificate> {
  const sized = checkSize(input, MAX_CREDENTIAL_BYTES, 'certificate');
  if (!sized.ok) return sized;
  const der = Buffer.from(input);
  const parsed = parseDer(der, 'certificate');
  if (!parsed.ok) return parsed;
  const fields = readCertificate(parsed.value);
  if (typeof fields === 'string') return fail('CRYPTO_PARSE_FAILED', `not an X.509 certificate (${fields})`);
  const { serial, issuer, subject, spki, notBefore, notAfter, keyAlgorithmOid, tbs } = fields;
  const issuerDer = rawBytes(issuer);
  const subjectText = formatName(subject);
  const issuerText = formatName(issuer);
  if (subjectText === undefined || issuerText === undefined) {
    return fail('CRYPTO_PARSE_FAILED', 'certificate subject or issuer is not a distinguished name');
  }
  const serialDer = primitiveContent(serial);
  if (serialDer.length === 0) return fail('CRYPTO_PARSE_FAILED', 'certificate serial number is empty');
  return ok(
    new CertificateView({
      der,
      thumbprint: certificateThumbprint(der),
      subject: subjectText,
      issuer: issuerText,
      serialNumber: serialHex(serialDer),
      notBefore,
      notAfter,
      publicKeyInfo: rawBytes(spki),
      subjectKeyIdentifier: subjectKeyIdentifier(tbs),
      issuerDer,
      serialDer,
      keyAlgorithmOid,
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

function subjectKeyIdentifier(tbs: Asn1[]): Buffer | null {
  const extensions = tbs.find((node) => isContext(node, 3));
  const list = extensions ? children(extensions)[0] : undefined;
  if (!isUniversal(list, UNIVERSAL_TAG.sequence)) return null;
  for (const extension of children(list)) {
    const parts = children(extension);
    if (oidValue(parts[0]) !== OID.subjectKeyIdentifier) continue;
    const value = parts[parts.length - 1];
    if (!isUniversal(value, UNIVERSAL_TAG.octetString)) return null;
    const inner = parseDer(octetStringValue(value), 'subject key identifier');
    if (!inner.ok || !isUniversal(inner.value, UNIVERSAL_TAG.octetString)) return null;
    return octetStringValue(inner.value);
  }
  return null;
}
