import { createHmac, timingSafeEqual } from 'node:crypto';
import { fail, ok, type Result } from '@credroam/roaming';
import {
  absentOrNull,
  algorithm,
  children,
  isContext,
  isUniversal,
  octetStringValue,
  oidValue,
  parseDer,
  rawBytes,
  smallInteger,
  UNIVERSAL_TAG,
  type Asn1,
} from '../asn1/der-reader';
import { OID } from '../asn1/oids';
import { checkSize, MAX_CREDENTIAL_BYTES, MAX_KDF_ITERATIONS, wipe } from '../limits';
import { parseCertificate, type ParsedCertificate } from './certificate';
import { bmpPassword, decryptWithPassword, pkcs12Kdf, WRONG_PASSWORD } from './password-based-encryption';
import { parsePrivateKey, type ParsedPrivateKey } from './private-key';

/**
 * PKCS#12 (RFC 7292) in password privacy and integrity mode, as OpenSSL, Windows and macOS export it:
 * MAC with the PKCS#12 KDF, certificates and keys in plain or password-encrypted safes.
 */
export interface Pkcs12Entry<T> {
  readonly value: T;
  /** The localKeyId attribute that pairs a certificate with its key, when present. */
  readonly localKeyId: Buffer | null;
  readonly friendlyName: string | null;
}

export interface ParsedPkcs12 {
  readonly certificates: Pkcs12Entry<ParsedCertificate>[];
  readonly keys: Pkcs12Entry<ParsedPrivateKey>[];
  /** Whether the file carried a MAC (and it was checked). */
  readonly integrityChecked: boolean;
}

const MAX_BAGS = 1000;

const MAC_DIGESTS: Record<string, string> = {
  [OID.sha1]: 'sha1',
  [OID.sha224]: 'sha224',
  [OID.sha256]: 'sha256',
  [OID.sha384]: 'sha384',
  [OID.sha512]: 'sha512',
};

class Pkcs12Error {
  constructor(readonly result: Result<never>) {}
}

function need<T>(value: T | undefined | false, message: string): T {
  if (value === undefined || value === false) throw new Pkcs12Error(fail('CRYPTO_PARSE_FAILED', message));
  return value;
}

function unwrap<T>(result: Result<T>): T {
  if (!result.ok) throw new Pkcs12Error(result as Result<never>);
  return result.value;
}

/** ContentInfo { contentType, [0] EXPLICIT content } */
function contentInfo(node: Asn1 | undefined): { type: string; content: Asn1 } {
  const [typeNode, wrapper] = node && isUniversal(node, UNIVERSAL_TAG.sequence) ? children(node) : [];
  const type = need(oidValue(typeNode), 'PKCS#12 content info is malformed');
  const content = need(
    isContext(wrapper, 0) && children(wrapper as Asn1)[0],
    'PKCS#12 content info has no content',
  );
  return { type, content };
}

function verifyMac(macData: Asn1, authSafe: Buffer, password: string): void {
  const [digestInfo, saltNode, iterationsNode] = children(macData);
  const [algorithmNode, digestNode] = digestInfo ? children(digestInfo) : [];
  const macAlgorithm = need(algorithm(algorithmNode), 'PKCS#12 MAC algorithm is malformed');
  if (macAlgorithm.oid === OID.pbmac1) {
    throw new Pkcs12Error(fail('CRYPTO_PARSE_FAILED', 'PKCS#12 PBMAC1 integrity is not supported yet'));
  }
  const digest = need(
    absentOrNull(macAlgorithm.parameters) && MAC_DIGESTS[macAlgorithm.oid],
    'PKCS#12 MAC digest is not supported',
  );
  need(
    isUniversal(digestNode, UNIVERSAL_TAG.octetString) && isUniversal(saltNode, UNIVERSAL_TAG.octetString),
    'PKCS#12 MAC is malformed',
  );
  const iterations =
    iterationsNode === undefined
      ? 1
      : need(smallInteger(iterationsNode), 'PKCS#12 MAC iterations are malformed');
  if (iterations < 1 || iterations > MAX_KDF_ITERATIONS) {
    throw new Pkcs12Error(
      fail('INVALID_INPUT', `PKCS#12 MAC asks for ${iterations} iterations (at most ${MAX_KDF_ITERATIONS})`),
    );
  }
  const expected = octetStringValue(digestNode as Asn1);
  const salt = octetStringValue(saltNode as Asn1);
  // OpenSSL tries an empty password both as an empty BMPString and as no password at all.
  const candidates = password === '' ? [bmpPassword(''), Buffer.alloc(0)] : [bmpPassword(password)];
  for (const candidate of candidates) {
    const key = pkcs12Kdf(digest, candidate, salt, 3, iterations, expected.length);
    const actual = createHmac(digest, key).update(authSafe).digest();
    wipe(key, candidate);
    if (actual.length === expected.length && timingSafeEqual(actual, expected)) return;
  }
  throw new Pkcs12Error(fail('KEY_UNAVAILABLE', `${WRONG_PASSWORD}: the PKCS#12 integrity check failed`));
}

function bagAttributes(node: Asn1 | undefined): { localKeyId: Buffer | null; friendlyName: string | null } {
  let localKeyId: Buffer | null = null;
  let friendlyName: string | null = null;
  for (const attribute of node && isUniversal(node, UNIVERSAL_TAG.set) ? children(node) : []) {
    const [typeNode, values] = children(attribute);
    const first = values ? children(values)[0] : undefined;
    const type = oidValue(typeNode);
    if (type === OID.localKeyId && isUniversal(first, UNIVERSAL_TAG.octetString))
      localKeyId = octetStringValue(first);
    if (type === OID.friendlyName && first) {
      const text = (first.valueBlock as { value?: unknown }).value;
      if (typeof text === 'string') friendlyName = text.slice(0, 256);
    }
  }
  return { localKeyId, friendlyName };
}

/** Parses a DER PKCS#12 file; a wrong password is KEY_UNAVAILABLE, anything malformed CRYPTO_PARSE_FAILED. */
export function parsePkcs12(input: Uint8Array, password: string): Result<ParsedPkcs12> {
  const sized = checkSize(input, MAX_CREDENTIAL_BYTES, 'PKCS#12 file');
  if (!sized.ok) return sized;
  try {
    return ok(parse(input, password));
  } catch (error) {
    if (error instanceof Pkcs12Error) return error.result;
    if (error instanceof RangeError) return fail('CRYPTO_PARSE_FAILED', 'PKCS#12 file is nested too deeply');
    throw error;
  }
}

function parse(input: Uint8Array, password: string): ParsedPkcs12 {
  const pfx = unwrap(parseDer(input, 'PKCS#12 file'));
  const [versionNode, authSafeNode, macData] = isUniversal(pfx, UNIVERSAL_TAG.sequence) ? children(pfx) : [];
  need(smallInteger(versionNode) === 3, 'not a PKCS#12 file (PFX version 3 expected)');
  const authSafe = contentInfo(authSafeNode);
  if (authSafe.type === OID.signedData) {
    throw new Pkcs12Error(fail('CRYPTO_PARSE_FAILED', 'PKCS#12 public-key integrity mode is not supported'));
  }
  need(
    authSafe.type === OID.data && isUniversal(authSafe.content, UNIVERSAL_TAG.octetString),
    'PKCS#12 content is not data',
  );
  const authSafeBytes = octetStringValue(authSafe.content);
  const integrityChecked = macData !== undefined;
  if (macData) verifyMac(macData, authSafeBytes, password);

  const safes = unwrap(parseDer(authSafeBytes, 'PKCS#12 authenticated safe'));
  need(isUniversal(safes, UNIVERSAL_TAG.sequence), 'PKCS#12 authenticated safe is malformed');
  const certificates: Pkcs12Entry<ParsedCertificate>[] = [];
  const keys: Pkcs12Entry<ParsedPrivateKey>[] = [];
  let bagCount = 0;
  for (const safe of children(safes)) {
    const { type, content } = contentInfo(safe);
    let safeContents: Buffer;
    if (type === OID.data) {
      safeContents = octetStringValue(
        need(isUniversal(content, UNIVERSAL_TAG.octetString) && content, 'PKCS#12 safe is malformed'),
      );
    } else if (type === OID.encryptedData) {
      safeContents = decryptSafe(content, password);
    } else {
      throw new Pkcs12Error(fail('CRYPTO_PARSE_FAILED', `PKCS#12 safe of type ${type} is not supported`));
    }
    const bags = unwrap(parseDer(safeContents, 'PKCS#12 safe contents'));
    need(isUniversal(bags, UNIVERSAL_TAG.sequence), 'PKCS#12 safe contents are malformed');
    for (const bag of children(bags)) {
      bagCount += 1;
      if (bagCount > MAX_BAGS)
        throw new Pkcs12Error(fail('INVALID_INPUT', `PKCS#12 file has more than ${MAX_BAGS} bags`));
      readBag(bag, password, certificates, keys);
    }
    wipe(safeContents);
  }
  return { certificates, keys, integrityChecked };
}

/** EncryptedData { version, EncryptedContentInfo { contentType, algorithm, [0] IMPLICIT encryptedContent } } */
function decryptSafe(content: Asn1, password: string): Buffer {
  const [, encryptedContentInfo] = isUniversal(content, UNIVERSAL_TAG.sequence) ? children(content) : [];
  const [, scheme, encrypted] = encryptedContentInfo ? children(encryptedContentInfo) : [];
  need(isContext(encrypted, 0), 'PKCS#12 encrypted safe is malformed');
  const decrypted = decryptWithPassword(scheme, octetStringValue(encrypted as Asn1), password);
  if (!decrypted.ok) throw new Pkcs12Error(decrypted as Result<never>);
  // Without a MAC a wrong password shows only here: what comes out is not a SEQUENCE of bags.
  if (!parseDer(decrypted.value, 'safe').ok) throw new Pkcs12Error(fail('KEY_UNAVAILABLE', WRONG_PASSWORD));
  return decrypted.value;
}

function readBag(
  bag: Asn1,
  password: string,
  certificates: Pkcs12Entry<ParsedCertificate>[],
  keys: Pkcs12Entry<ParsedPrivateKey>[],
): void {
  const [idNode, wrapper, attributes] = isUniversal(bag, UNIVERSAL_TAG.sequence) ? children(bag) : [];
  const bagId = need(oidValue(idNode), 'PKCS#12 bag is malformed');
  const value = need(isContext(wrapper, 0) && children(wrapper as Asn1)[0], 'PKCS#12 bag has no value');
  const meta = bagAttributes(attributes);
  switch (bagId) {
    case OID.certBag: {
      const [certId, certWrapper] = children(value);
      if (oidValue(certId) !== OID.x509Certificate) return; // SDSI and attribute certificates are not ours
      const certValue = need(
        isContext(certWrapper, 0) && children(certWrapper as Asn1)[0],
        'PKCS#12 certificate bag is malformed',
      );
      need(isUniversal(certValue, UNIVERSAL_TAG.octetString), 'PKCS#12 certificate bag is malformed');
      certificates.push({ value: unwrap(parseCertificate(octetStringValue(certValue))), ...meta });
      return;
    }
    case OID.keyBag:
      keys.push({ value: unwrap(parsePrivateKey(rawBytes(value))), ...meta });
      return;
    case OID.pkcs8ShroudedKeyBag:
      keys.push({ value: unwrap(parsePrivateKey(rawBytes(value), password)), ...meta });
      return;
    default:
      // CRL, secret and nested safe-contents bags carry nothing credroam roams.
      return;
  }
}
