import { createHmac, timingSafeEqual } from 'node:crypto';
import { fail, ok, type Result } from '@credroam/roaming';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { algorithmFrom, algorithmNames } from '../asn1/algorithm-id';
import { decodeBer, type Asn1 } from '../asn1/ber';
import { OID } from '../asn1/oids';
import { compileSchema, listed, matchSchema } from '../asn1/schema';
import { ATTRIBUTE, CONTENT_INFO } from '../asn1/shared-schemas';
import { absentOrNull, encodingOf, octetsOf, oidOf, smallIntegerOf, stringOf } from '../asn1/values';
import { DIGESTS } from '../cms/primitives';
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

// pkijs' PKCS#12 schemas, with names for what is read. pkijs' own PFX parsing decrypts through WebCrypto
// (asynchronous, and without PKCS#12's 3DES scheme), so the decryption and the MAC are done here on node:crypto.
const PFX = compileSchema<
  | 'version'
  | 'authSafe'
  | 'macData'
  | 'macDigest'
  | 'macDigestParameters'
  | 'macValue'
  | 'macSalt'
  | 'macIterations'
>(() =>
  pkijs.PFX.schema({
    names: {
      version: 'version',
      authSafe: { names: { blockName: 'authSafe' } },
      macData: {
        names: {
          blockName: 'macData',
          optional: true,
          mac: { names: { digestAlgorithm: algorithmNames('macDigest'), digest: 'macValue' } },
          macSalt: 'macSalt',
          iterations: 'macIterations',
        },
      },
    },
  }),
);

const AUTHENTICATED_SAFE = compileSchema<never, 'safes'>(() =>
  pkijs.AuthenticatedSafe.schema({ names: { contentInfos: 'safes' } }),
);

const ENCRYPTED_DATA = compileSchema<'scheme' | 'schemeParameters' | 'encryptedContent'>(() =>
  pkijs.EncryptedData.schema({
    names: {
      encryptedContentInfo: {
        names: { contentEncryptionAlgorithm: algorithmNames('scheme'), encryptedContent: 'encryptedContent' },
      },
    },
  }),
);

const SAFE_CONTENTS = compileSchema<never, 'bags'>(() =>
  pkijs.SafeContents.schema({ names: { safeBags: 'bags' } }),
);

const SAFE_BAG = compileSchema<'bagId' | 'bagValue', 'bagAttributes'>(() =>
  pkijs.SafeBag.schema({ names: { bagId: 'bagId', bagValue: 'bagValue', bagAttributes: 'bagAttributes' } }),
);

const CERT_BAG = compileSchema<'certId' | 'certValue'>(() =>
  pkijs.CertBag.schema({ names: { id: 'certId', value: 'certValue' } }),
);

/** ContentInfo { contentType, [0] EXPLICIT content } */
function contentInfo(node: Asn1 | undefined): { type: string; content: Asn1 } {
  const found = need(matchSchema(node, CONTENT_INFO), 'PKCS#12 content info is malformed');
  const type = need(oidOf(found.contentType), 'PKCS#12 content info is malformed');
  return { type, content: need(found.content, 'PKCS#12 content info has no content') };
}

function verifyMac(pfx: NonNullable<ReturnType<typeof matchPfx>>, authSafe: Buffer, password: string): void {
  const macAlgorithm = need(
    algorithmFrom(pfx.macDigest, pfx.macDigestParameters),
    'PKCS#12 MAC algorithm is malformed',
  );
  if (macAlgorithm.oid === OID.pbmac1) {
    throw new Pkcs12Error(fail('CRYPTO_PARSE_FAILED', 'PKCS#12 PBMAC1 integrity is not supported yet'));
  }
  const digest = need(
    absentOrNull(macAlgorithm.parameters) && DIGESTS[macAlgorithm.oid],
    'PKCS#12 MAC digest is not supported',
  );
  const expected = need(octetsOf(pfx.macValue), 'PKCS#12 MAC is malformed');
  const salt = need(octetsOf(pfx.macSalt), 'PKCS#12 MAC is malformed');
  const iterations =
    pfx.macIterations === undefined
      ? 1
      : need(smallIntegerOf(pfx.macIterations), 'PKCS#12 MAC iterations are malformed');
  if (iterations < 1 || iterations > MAX_KDF_ITERATIONS) {
    throw new Pkcs12Error(
      fail('INVALID_INPUT', `PKCS#12 MAC asks for ${iterations} iterations (at most ${MAX_KDF_ITERATIONS})`),
    );
  }
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

function bagAttributes(attributes: Asn1[]): { localKeyId: Buffer | null; friendlyName: string | null } {
  let localKeyId: Buffer | null = null;
  let friendlyName: string | null = null;
  for (const attribute of attributes) {
    const found = matchSchema(attribute, ATTRIBUTE);
    const first = listed(found?.values)[0];
    const type = oidOf(found?.type);
    if (type === OID.localKeyId && first instanceof asn1js.OctetString) localKeyId = octetsOf(first) ?? null;
    if (type === OID.friendlyName) {
      const text = stringOf(first);
      if (text !== undefined) friendlyName = text.slice(0, 256);
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

function matchPfx(node: Asn1) {
  return matchSchema(node, PFX);
}

function parse(input: Uint8Array, password: string): ParsedPkcs12 {
  const pfx = need(
    matchPfx(unwrap(decodeBer(input, 'PKCS#12 file'))),
    'not a PKCS#12 file (PFX version 3 expected)',
  );
  need(smallIntegerOf(pfx.version) === 3, 'not a PKCS#12 file (PFX version 3 expected)');
  const authSafe = contentInfo(pfx.authSafe);
  if (authSafe.type === OID.signedData) {
    throw new Pkcs12Error(fail('CRYPTO_PARSE_FAILED', 'PKCS#12 public-key integrity mode is not supported'));
  }
  const authSafeBytes = need(
    authSafe.type === OID.data &&
      authSafe.content instanceof asn1js.OctetString &&
      octetsOf(authSafe.content),
    'PKCS#12 content is not data',
  );
  const integrityChecked = pfx.macData !== undefined;
  if (integrityChecked) verifyMac(pfx, authSafeBytes, password);

  const safes = need(
    matchSchema(unwrap(decodeBer(authSafeBytes, 'PKCS#12 authenticated safe')), AUTHENTICATED_SAFE),
    'PKCS#12 authenticated safe is malformed',
  );
  const certificates: Pkcs12Entry<ParsedCertificate>[] = [];
  const keys: Pkcs12Entry<ParsedPrivateKey>[] = [];
  let bagCount = 0;
  for (const safe of listed(safes.safes)) {
    const { type, content } = contentInfo(safe);
    let safeContents: Buffer;
    if (type === OID.data) {
      safeContents = need(
        content instanceof asn1js.OctetString && octetsOf(content),
        'PKCS#12 safe is malformed',
      );
    } else if (type === OID.encryptedData) {
      safeContents = decryptSafe(content, password);
    } else {
      throw new Pkcs12Error(fail('CRYPTO_PARSE_FAILED', `PKCS#12 safe of type ${type} is not supported`));
    }
    const bags = need(
      matchSchema(unwrap(decodeBer(safeContents, 'PKCS#12 safe contents')), SAFE_CONTENTS),
      'PKCS#12 safe contents are malformed',
    );
    for (const bag of listed(bags.bags)) {
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
  const found = need(matchSchema(content, ENCRYPTED_DATA), 'PKCS#12 encrypted safe is malformed');
  const ciphertext = need(octetsOf(found.encryptedContent), 'PKCS#12 encrypted safe is malformed');
  const decrypted = decryptWithPassword(
    algorithmFrom(found.scheme, found.schemeParameters),
    ciphertext,
    password,
  );
  if (!decrypted.ok) throw new Pkcs12Error(decrypted as Result<never>);
  // Without a MAC a wrong password shows only here: what comes out is not a SEQUENCE of bags.
  if (!decodeBer(decrypted.value, 'safe').ok) throw new Pkcs12Error(fail('KEY_UNAVAILABLE', WRONG_PASSWORD));
  return decrypted.value;
}

function readBag(
  bag: Asn1,
  password: string,
  certificates: Pkcs12Entry<ParsedCertificate>[],
  keys: Pkcs12Entry<ParsedPrivateKey>[],
): void {
  const found = need(matchSchema(bag, SAFE_BAG), 'PKCS#12 bag is malformed');
  const bagId = need(oidOf(found.bagId), 'PKCS#12 bag is malformed');
  const value = need(found.bagValue, 'PKCS#12 bag has no value');
  const meta = bagAttributes(listed(found.bagAttributes));
  switch (bagId) {
    case OID.certBag: {
      const certBag = need(matchSchema(value, CERT_BAG), 'PKCS#12 certificate bag is malformed');
      if (oidOf(certBag.certId) !== OID.x509Certificate) return; // SDSI and attribute certificates are not ours
      const der = need(
        certBag.certValue instanceof asn1js.OctetString && octetsOf(certBag.certValue),
        'PKCS#12 certificate bag is malformed',
      );
      certificates.push({ value: unwrap(parseCertificate(der)), ...meta });
      return;
    }
    case OID.keyBag:
      keys.push({ value: unwrap(parsePrivateKey(encodingOf(value))), ...meta });
      return;
    case OID.pkcs8ShroudedKeyBag:
      keys.push({ value: unwrap(parsePrivateKey(encodingOf(value), password)), ...meta });
      return;
    default:
      // CRL, secret and nested safe-contents bags carry nothing credroam roams.
      return;
  }
}
