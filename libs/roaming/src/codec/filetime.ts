import { fail, ok, type Result } from '../errors';
import { MAX_TIMESTAMP_MS } from '../tokens';

/** A Windows FILETIME counts 100 ns ticks, 10,000 per millisecond. */
const TICKS_PER_MS = 10_000n;

/** The largest FILETIME: the field is an unsigned 64-bit integer. */
export const MAX_FILETIME = 0xffff_ffff_ffff_ffffn;

/** 1601-01-01T00:00:00Z (FILETIME zero) in Unix milliseconds: the earliest instant a FILETIME expresses. */
export const MIN_FILETIME_MS = -11_644_473_600_000;

const EPOCH_OFFSET_MS = BigInt(MIN_FILETIME_MS);

/**
 * FILETIME to Unix milliseconds, floored to whole milliseconds. Every uint64 FILETIME fits: the largest is about
 * 1.8e15 ms, below 2^53, so the result is always an exact integer (possibly before 1970 or after 9999).
 */
export function filetimeToMs(filetime: bigint): Result<number> {
  if (typeof filetime !== 'bigint') {
    return fail('FILETIME_OUT_OF_RANGE', `FILETIME must be a bigint, got ${typeof filetime}`);
  }
  if (filetime < 0n || filetime > MAX_FILETIME) {
    return fail('FILETIME_OUT_OF_RANGE', `FILETIME ${filetime} is not an unsigned 64-bit integer`);
  }
  // Non-negative, so bigint division floors.
  return ok(Number(filetime / TICKS_PER_MS + EPOCH_OFFSET_MS));
}

/**
 * Unix milliseconds to FILETIME, for whole milliseconds from 1601-01-01 up to MAX_TIMESTAMP_MS (end of 9999).
 * Exact: msToFiletime followed by filetimeToMs is the identity on that range.
 */
export function msToFiletime(ms: number): Result<bigint> {
  if (!Number.isInteger(ms)) {
    const shown = typeof ms === 'number' ? String(ms) : typeof ms;
    return fail('FILETIME_OUT_OF_RANGE', `timestamp ${shown} is not a whole number of milliseconds`);
  }
  if (ms < MIN_FILETIME_MS || ms > MAX_TIMESTAMP_MS) {
    return fail('FILETIME_OUT_OF_RANGE', `timestamp ${ms} is outside 1601-01-01 to 9999-12-31`);
  }
  return ok((BigInt(ms) - EPOCH_OFFSET_MS) * TICKS_PER_MS);
}
