import { fail, ok, type Result } from '../errors';
import { filetimeToMs, msToFiletime } from './filetime';
import {
  encodeRoamingValue,
  PURGE_WATERMARK_ID,
  WINDOWS_VALUE_FLAGS,
  type RoamingValueRecord,
} from './roaming-value';
import { LEDGER_TYPE_DIGIT } from './windows-type-digit';

/**
 * The per-user purge watermark (the newest deletion time of any tombstone ever purged) as a ledger record: the
 * FILETIME field carries the time, the data a fixed marker. Flagged unroamable so Windows clients skip it.
 */
const WATERMARK_DATA = Buffer.from('CRDW\u0001', 'latin1');

export function encodePurgeWatermark(watermarkMs: number): Result<Buffer> {
  const filetime = msToFiletime(watermarkMs);
  if (!filetime.ok) return filetime;
  return encodeRoamingValue({
    typeDigit: LEDGER_TYPE_DIGIT,
    identifier: PURGE_WATERMARK_ID,
    filetime: filetime.value,
    rawFlags: WINDOWS_VALUE_FLAGS.knownType | WINDOWS_VALUE_FLAGS.unroamable,
    data: WATERMARK_DATA,
  });
}

export function isPurgeWatermarkRecord(record: RoamingValueRecord): boolean {
  return record.typeDigit === LEDGER_TYPE_DIGIT && record.identifier === PURGE_WATERMARK_ID;
}

export function purgeWatermarkOf(record: RoamingValueRecord): Result<number> {
  if (
    !isPurgeWatermarkRecord(record) ||
    !record.data.equals(WATERMARK_DATA) ||
    record.providerData.length > 0
  ) {
    return fail('VALUE_MALFORMED', 'not a credroam purge watermark record');
  }
  const ms = filetimeToMs(record.filetime);
  if (!ms.ok || ms.value < 0) return fail('VALUE_MALFORMED', 'purge watermark time is out of range');
  return ok(ms.value);
}
