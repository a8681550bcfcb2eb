import { fail, ok, type Result } from '../errors';
import { asBuffer } from './byte-input';
import { filetimeToMs, msToFiletime } from './filetime';

/** msPKIRoamingTimeStamp: two little-endian FILETIMEs, created then last modified. */
export const ROAMING_TIMESTAMP_BYTES = 16;

export interface RoamingTimestamp {
  /** Unix ms, floored from the FILETIME. */
  createdAt: number;
  modifiedAt: number;
  /** The exact FILETIMEs, which may carry sub-millisecond ticks when Windows wrote the stamp. */
  createdFiletime: bigint;
  modifiedFiletime: bigint;
}

export function encodeRoamingTimestamp(stamp: { createdAt: number; modifiedAt: number }): Result<Buffer> {
  const created = msToFiletime(stamp.createdAt);
  if (!created.ok) return created;
  const modified = msToFiletime(stamp.modifiedAt);
  if (!modified.ok) return modified;
  const bytes = Buffer.alloc(ROAMING_TIMESTAMP_BYTES);
  bytes.writeBigUInt64LE(created.value, 0);
  bytes.writeBigUInt64LE(modified.value, 8);
  return ok(bytes);
}

export function decodeRoamingTimestamp(input: Uint8Array): Result<RoamingTimestamp> {
  const bytes = asBuffer(input);
  if (bytes === null) return fail('STAMP_MALFORMED', 'roaming timestamp must be bytes');
  if (bytes.length !== ROAMING_TIMESTAMP_BYTES) {
    return fail(
      'STAMP_MALFORMED',
      `roaming timestamp must be ${ROAMING_TIMESTAMP_BYTES} bytes, got ${bytes.length}`,
    );
  }
  const createdFiletime = bytes.readBigUInt64LE(0);
  const modifiedFiletime = bytes.readBigUInt64LE(8);
  const createdAt = filetimeToMs(createdFiletime);
  if (!createdAt.ok) return createdAt;
  const modifiedAt = filetimeToMs(modifiedFiletime);
  if (!modifiedAt.ok) return modifiedAt;
  return ok({ createdAt: createdAt.value, modifiedAt: modifiedAt.value, createdFiletime, modifiedFiletime });
}

/**
 * The modified time (ISO-8601) of a stamp as the protocol carries it (base64), or null when it is not one: what a
 * workstation holds and what change notices compare.
 */
export function stampModifiedAt(stampBase64: string): string | null {
  const decoded = decodeRoamingTimestamp(Buffer.from(stampBase64, 'base64'));
  return decoded.ok ? new Date(decoded.value.modifiedAt).toISOString() : null;
}
