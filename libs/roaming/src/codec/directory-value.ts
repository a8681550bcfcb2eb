import { fail, ok, RoamingError, type ErrorInfo, type Result } from '../errors';
import { describeUntrusted, directoryTokenSchema, type DirectoryToken } from '../tokens';
import { parseWith } from '../validation';
import { asBuffer } from './byte-input';
import {
  decodeCredroamPayload,
  encodeCredroamPayload,
  hasCredroamMagic,
  type CredroamPayload,
} from './credroam-payload';
import { msToFiletime } from './filetime';
import { isPurgeWatermarkRecord, purgeWatermarkOf } from './purge-watermark';
import {
  decodeRoamingValue,
  encodeRoamingValue,
  WINDOWS_VALUE_FLAGS,
  type RoamingValueRecord,
} from './roaming-value';
import { typeDigitForTokenType } from './windows-type-digit';

export interface DirectoryTokenInput {
  token: DirectoryToken;
  /** Version of the storage master key `sealed` is bound to. */
  keyVersion: number;
  /** The sealed CMS bytes; empty for a tombstone, non-empty for a live token. */
  sealed: Uint8Array;
}

/** A value credroam wrote, in canonical form, whose token passes every rule. */
export interface DirectoryTokenValue {
  kind: 'token';
  origin: 'credroam';
  token: DirectoryToken;
  keyVersion: number;
  sealed: Buffer;
  /** The exact bytes read: a value-level LDAP delete needs them. */
  raw: Buffer;
}

/**
 * A value in credroam's format whose type or identifier fails the whitelist: planted or corrupt, never a token.
 * Reported (CVE-2022-30170 is exactly this shape), never downloaded.
 */
export interface UnsafeDirectoryValue {
  kind: 'unsafe';
  origin: 'credroam';
  reason: ErrorInfo;
  record: RoamingValueRecord;
  payload: CredroamPayload;
  raw: Buffer;
}

/**
 * A value credroam did not write (typically a Windows client's). Reported, never modified or deleted; check
 * `value.identifierSafe` before showing its identifier anywhere but an escaped report.
 */
export interface ForeignDirectoryValue {
  kind: 'foreign';
  origin: 'foreign';
  value: RoamingValueRecord;
  raw: Buffer;
}

/** credroam's per-user purge watermark record (see purge-watermark.ts). */
export interface PurgeWatermarkValue {
  kind: 'purge-watermark';
  origin: 'credroam';
  watermark: number;
  raw: Buffer;
}

export type DecodedDirectoryValue =
  DirectoryTokenValue | UnsafeDirectoryValue | ForeignDirectoryValue | PurgeWatermarkValue;

/** One token as one directory value: Windows framing around credroam's payload. */
export function encodeDirectoryToken(input: DirectoryTokenInput): Result<Buffer> {
  const parsed = parseWith(directoryTokenSchema, input.token);
  if (!parsed.ok) return parsed;
  const sealed = asBuffer(input.sealed);
  if (sealed === null) return fail('INVALID_INPUT', 'sealed content must be bytes');
  return encodeValidToken(parsed.value, input.keyVersion, sealed);
}

/** encodeDirectoryToken after the schema check, which decoding has already done on its own. */
function encodeValidToken(token: DirectoryToken, keyVersion: number, sealed: Buffer): Result<Buffer> {
  if (token.tombstone && sealed.length > 0) {
    return fail('INVALID_INPUT', 'a tombstone carries no sealed content');
  }
  if (!token.tombstone && sealed.length === 0) {
    return fail('INVALID_INPUT', 'a live token needs sealed content');
  }
  const filetime = msToFiletime(token.modifiedAt);
  if (!filetime.ok) return filetime;
  const payload = encodeCredroamPayload({
    flags: token.flags,
    keyVersion,
    hash: token.hash,
    plaintextSize: token.size,
    linkedCertificate: token.linkedCertificate,
    sealed,
  });
  if (!payload.ok) return payload;
  return encodeRoamingValue({
    typeDigit: typeDigitForTokenType(token.type),
    identifier: token.id,
    filetime: filetime.value,
    rawFlags: windowsFlagsFor(token),
    data: payload.value,
  });
}

/**
 * Any directory value to a token, an unsafe report or a foreign record, or a typed error. A value that claims
 * credroam's magic must be exactly what encodeDirectoryToken writes for the token it describes (except for the
 * timestamp, which is not authenticated here: the sealed content is bound to the key, and reconcile judges time).
 */
export function decodeDirectoryValue(input: Uint8Array): Result<DecodedDirectoryValue> {
  const decoded = decodeRoamingValue(input);
  if (!decoded.ok) return decoded;
  const record = decoded.value;
  // decodeRoamingValue accepted the input, so it is bytes.
  const raw = Buffer.from(input);
  if (isPurgeWatermarkRecord(record)) {
    const watermark = purgeWatermarkOf(record);
    if (!watermark.ok) return watermark;
    return ok({ kind: 'purge-watermark', origin: 'credroam', watermark: watermark.value, raw });
  }
  if (!hasCredroamMagic(record.data)) return ok({ kind: 'foreign', origin: 'foreign', value: record, raw });

  const payload = decodeCredroamPayload(record.data);
  if (!payload.ok) return payload;
  const unsafe = (reason: ErrorInfo): Result<DecodedDirectoryValue> =>
    ok({ kind: 'unsafe', origin: 'credroam', reason, record, payload: payload.value, raw });
  if (record.tokenType === null) {
    return unsafe(info('INVALID_TOKEN_TYPE', `unknown type digit ${describeUntrusted(record.typeDigit)}`));
  }
  if (!record.identifierSafe) {
    return unsafe(
      info(
        'UNSAFE_IDENTIFIER',
        `${record.tokenType} identifier ${describeUntrusted(record.identifier)} fails its whitelist`,
      ),
    );
  }

  if (!record.sha1Valid) return fail('VALUE_MALFORMED', 'credroam value data does not match its SHA-1');
  const tombstone = record.flags.tombstone;
  const sealed = payload.value.sealed;
  if (tombstone && sealed.length > 0) {
    return fail('VALUE_MALFORMED', 'credroam tombstone carries sealed content');
  }
  if (!tombstone && sealed.length === 0) {
    return fail('VALUE_MALFORMED', 'live credroam value has no sealed content');
  }

  const token = parseWith(directoryTokenSchema, {
    type: record.tokenType,
    id: record.identifier,
    modifiedAt: record.modifiedAt,
    hash: payload.value.hash,
    size: payload.value.plaintextSize,
    flags: payload.value.flags,
    ...(payload.value.linkedCertificate === undefined
      ? {}
      : { linkedCertificate: payload.value.linkedCertificate }),
    tombstone,
  });
  if (!token.ok) return token;

  // Every field is now accounted for; re-encoding catches whatever else differs (flags that contradict the
  // payload, a foreign type digit, sub-millisecond ticks, provider data), so one token has exactly one encoding.
  const canonical = encodeValidToken(token.value, payload.value.keyVersion, sealed);
  if (!canonical.ok || !canonical.value.equals(raw)) {
    return fail('VALUE_MALFORMED', 'credroam value is not in the canonical form credroam writes');
  }
  return ok({
    kind: 'token',
    origin: 'credroam',
    token: token.value,
    keyVersion: payload.value.keyVersion,
    sealed,
    raw,
  });
}

function windowsFlagsFor(token: DirectoryToken): number {
  return (
    WINDOWS_VALUE_FLAGS.knownType |
    (token.tombstone ? WINDOWS_VALUE_FLAGS.tombstone : 0) |
    (token.flags.encryptionKey ? WINDOWS_VALUE_FLAGS.encryptionKey : 0)
  );
}

function info(code: ErrorInfo['code'], message: string): ErrorInfo {
  return new RoamingError(code, message).toInfo();
}
