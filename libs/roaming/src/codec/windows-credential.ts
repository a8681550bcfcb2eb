import { createHash } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { fail, ok, type ErrorInfo, type Result } from '../errors';
import { type RoamingValueRecord } from './roaming-value';

/*
 * What a Windows client roams, read just far enough for a Linux workstation: the certificates (which are public
 * and usable anywhere) and the facts about the private keys and DPAPI master keys that only Windows can open.
 *
 * A roamed certificate (type 3 CAPI, 7 CNG) is a "serialized certificate store element" (what
 * CertSerializeCertificateStoreElement writes): a sequence of properties, each `u32 property id, u32 encoding
 * type (1, X509_ASN_ENCODING), u32 length, value`, little-endian; property 32 (CERT_CERT_PROP_ID) is the DER
 * certificate, property 3 (CERT_SHA1_HASH_PROP_ID) its SHA-1 thumbprint, which is also the value's identifier.
 *
 * A roamed private key (type 1 CAPI RSA, 2 CAPI DSA, 9 CNG) is the key file of its provider, whose secret part is
 * a DPAPI blob: `u32 version (1), GUID provider df9d8cd0-1501-11d1-8c7a-00c04fc297eb, u32 master key version,
 * GUID master key, ...`, sealed under one of the user's DPAPI master keys (type 0 values, identified by that
 * GUID). Opening it needs the master key, which needs the user's password and SID: not done here.
 */

/** wincrypt.h property ids of a serialized certificate store element. */
const CERT_SHA1_HASH_PROP_ID = 3;
const CERT_CERT_PROP_ID = 32;
const PROPERTY_HEADER_BYTES = 12;
/** Far more than Windows writes (about a dozen); bounds the walk of a hostile value. */
const MAX_PROPERTIES = 256;

/** The DPAPI blob header every CAPI and CNG private key carries: version 1, then the DPAPI provider GUID. */
const DPAPI_BLOB_HEADER = Buffer.from('01000000d08c9ddf0115d1118c7a00c04fc297eb', 'hex');
const GUID_BYTES = 16;
const MAX_MASTER_KEYS = 8;

/** CAPI key file header: ten u32 (version, reserved, name length, then the lengths of the key parts). */
const CAPI_HEADER_BYTES = 40;
const CAPI_NAME_MAX = 255;
const PRINTABLE_NAME = /^[\x20-\x7e]{1,255}$/;
const GUID_TEXT = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A certificate a Windows client roamed, checked: the DER is an X.509 certificate whose SHA-1 is its identifier. */
export interface WindowsCertificate {
  /** SHA-1 of `der`, 40 upper-case hex digits: credroam's certificate id. */
  thumbprint: string;
  der: Buffer;
  modifiedAt: number;
}

export type WindowsKeyProvider = 'capi-rsa' | 'capi-dsa' | 'cng';

/** A private key only Windows can open: what it is, its container and the DPAPI master key(s) it needs. */
export interface WindowsOnlyKey {
  kind: 'private-key';
  provider: WindowsKeyProvider;
  /** The key container's name (CAPI keys carry it in their header); null when not read. */
  container: string | null;
  /** GUIDs (lower case) of the DPAPI master keys its protected parts are sealed under. */
  masterKeys: string[];
  /** Windows marked it unreadable (flag 0x2): a placeholder without the key. */
  unreadable: boolean;
}

/** A DPAPI master key: it opens the user's keys on Windows, sealed under the user's password. */
export interface WindowsMasterKey {
  kind: 'master-key';
  /** The master key's GUID (its identifier), lower case; null when the identifier is not a GUID. */
  guid: string | null;
}

/**
 * What a value that a Windows client wrote means to a Linux workstation:
 * - `certificate`: offered read-only, thumbprint verified;
 * - `windows-only`: a key or master key reported as usable on Windows only;
 * - `refused`: a certificate that fails its checks (a thumbprint that lies, bytes that are no certificate):
 *   reported as unsafe, never offered;
 * - `other`: anything else (requests, tombstones, unknown types): reported as foreign, as before.
 */
export type WindowsValueClass =
  | { kind: 'certificate'; certificate: WindowsCertificate }
  | { kind: 'windows-only'; value: WindowsOnlyKey | WindowsMasterKey }
  | { kind: 'refused'; reason: ErrorInfo }
  | { kind: 'other' };

const KEY_PROVIDERS: ReadonlyMap<string, WindowsKeyProvider> = new Map([
  ['1', 'capi-rsa'],
  ['2', 'capi-dsa'],
  ['9', 'cng'],
]);

/** Classifies a decoded value whose data is not credroam's (a `foreign` directory value). */
export function classifyWindowsValue(record: RoamingValueRecord): WindowsValueClass {
  if (record.flags.tombstone) return { kind: 'other' };
  if (record.tokenType === 'certificate') {
    const certificate = decodeWindowsCertificate(record);
    return certificate.ok
      ? { kind: 'certificate', certificate: certificate.value }
      : { kind: 'refused', reason: certificate.error };
  }
  const provider = KEY_PROVIDERS.get(record.typeDigit);
  if (provider) return { kind: 'windows-only', value: describeWindowsKey(record, provider) };
  if (record.typeDigit === '0') {
    const guid = GUID_TEXT.test(record.identifier) ? record.identifier.toLowerCase() : null;
    return { kind: 'windows-only', value: { kind: 'master-key', guid } };
  }
  return { kind: 'other' };
}

/**
 * The certificate inside a Windows-roamed certificate value, with its thumbprint verified three ways: the value's
 * SHA-1 over its data, the identifier, and the element's own SHA-1 property must all agree with the DER.
 */
export function decodeWindowsCertificate(record: RoamingValueRecord): Result<WindowsCertificate> {
  if (record.tokenType !== 'certificate') {
    return fail('INVALID_TOKEN_TYPE', `type digit ${record.typeDigit} is not a certificate`);
  }
  if (!record.sha1Valid) return fail('VALUE_MALFORMED', 'certificate value does not match its SHA-1');
  const properties = readCertificateElement(record.data);
  if (!properties.ok) return properties;
  const der = properties.value.get(CERT_CERT_PROP_ID);
  if (der === undefined)
    return fail('VALUE_MALFORMED', 'certificate value holds no certificate (property 32)');
  const parsed = checkX509(der);
  if (!parsed.ok) return parsed;
  const thumbprint = createHash('sha1').update(der).digest('hex').toUpperCase();
  if (record.identifierEscaped || record.identifier.toUpperCase() !== thumbprint) {
    return fail('THUMBPRINT_MISMATCH', `the identifier is not the certificate's thumbprint ${thumbprint}`);
  }
  const claimed = properties.value.get(CERT_SHA1_HASH_PROP_ID);
  if (claimed !== undefined && claimed.toString('hex').toUpperCase() !== thumbprint) {
    return fail(
      'THUMBPRINT_MISMATCH',
      `the SHA-1 property is not the certificate's thumbprint ${thumbprint}`,
    );
  }
  return ok({ thumbprint, der, modifiedAt: record.modifiedAt });
}

/** The properties of a serialized certificate store element, by id; refuses truncation and repeated ids. */
function readCertificateElement(data: Buffer): Result<Map<number, Buffer>> {
  const properties = new Map<number, Buffer>();
  let offset = 0;
  while (offset < data.length) {
    if (properties.size >= MAX_PROPERTIES)
      return fail('VALUE_MALFORMED', 'certificate element has too many properties');
    if (data.length - offset < PROPERTY_HEADER_BYTES) {
      return fail('VALUE_TRUNCATED', 'certificate element ends inside a property header');
    }
    const id = data.readUInt32LE(offset);
    const length = data.readUInt32LE(offset + 8);
    const start = offset + PROPERTY_HEADER_BYTES;
    if (length > data.length - start)
      return fail('VALUE_TRUNCATED', `certificate property ${id} is truncated`);
    if (properties.has(id)) return fail('VALUE_MALFORMED', `certificate property ${id} appears twice`);
    properties.set(id, Buffer.from(data.subarray(start, start + length)));
    offset = start + length;
  }
  return ok(properties);
}

/** The bytes are exactly one X.509 certificate (asn1js/pkijs), nothing before or after it. */
function checkX509(der: Buffer): Result<void> {
  const decoded = asn1js.fromBER(new Uint8Array(der));
  if (decoded.offset === -1 || decoded.offset !== der.length) {
    return fail('CRYPTO_PARSE_FAILED', 'certificate property is not one DER value');
  }
  try {
    new pkijs.Certificate({ schema: decoded.result });
  } catch (error) {
    return fail(
      'CRYPTO_PARSE_FAILED',
      `certificate property is not an X.509 certificate: ${(error as Error).message}`,
    );
  }
  return ok(undefined);
}

function describeWindowsKey(record: RoamingValueRecord, provider: WindowsKeyProvider): WindowsOnlyKey {
  return {
    kind: 'private-key',
    provider,
    container: provider === 'cng' ? null : capiContainerName(record.data),
    masterKeys: dpapiMasterKeys(record.data),
    unreadable: record.flags.unreadable || record.data.length === 0,
  };
}

/** The container name of a CAPI key file (header, then the NUL-terminated ASCII name); null when not plausible. */
function capiContainerName(data: Buffer): string | null {
  if (data.length < CAPI_HEADER_BYTES) return null;
  const nameLength = data.readUInt32LE(8);
  if (nameLength === 0 || nameLength > CAPI_NAME_MAX + 1 || CAPI_HEADER_BYTES + nameLength > data.length) {
    return null;
  }
  const name = data.subarray(CAPI_HEADER_BYTES, CAPI_HEADER_BYTES + nameLength).toString('latin1');
  const trimmed = name.replace(/\0+$/, '');
  return PRINTABLE_NAME.test(trimmed) ? trimmed : null;
}

/** The master key GUIDs named by the DPAPI blobs inside a key file, in order of appearance, without repeats. */
function dpapiMasterKeys(data: Buffer): string[] {
  const found: string[] = [];
  const guidAt = DPAPI_BLOB_HEADER.length + 4;
  for (let at = data.indexOf(DPAPI_BLOB_HEADER); at !== -1; at = data.indexOf(DPAPI_BLOB_HEADER, at + 1)) {
    if (at + guidAt + GUID_BYTES > data.length) break;
    const guid = formatGuid(data.subarray(at + guidAt, at + guidAt + GUID_BYTES));
    if (!found.includes(guid)) found.push(guid);
    if (found.length >= MAX_MASTER_KEYS) break;
  }
  return found;
}

/** A Windows GUID from its 16 bytes (the first three fields little-endian), lower case. */
function formatGuid(bytes: Buffer): string {
  const hex = (buffer: Buffer) => buffer.toString('hex');
  const reversed = (start: number, end: number) => hex(Buffer.from(bytes.subarray(start, end)).reverse());
  return [
    reversed(0, 4),
    reversed(4, 6),
    reversed(6, 8),
    hex(bytes.subarray(8, 10)),
    hex(bytes.subarray(10, 16)),
  ].join('-');
}
