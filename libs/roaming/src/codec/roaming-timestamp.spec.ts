import fc from 'fast-check';
import { checkProperty } from '../testing/property-check';
import { isErrorCode } from '../errors';
import { MAX_TIMESTAMP_MS } from '../tokens';
import { MIN_FILETIME_MS } from './filetime';
import { decodeRoamingTimestamp, encodeRoamingTimestamp } from './roaming-timestamp';

describe('msPKIRoamingTimeStamp', () => {
  // 0x019DB1DED53E8000 is the FILETIME of the Unix epoch.
  it('writes created then last modified as little-endian FILETIMEs', () => {
    const stamp = encodeRoamingTimestamp({ createdAt: 0, modifiedAt: 1 });
    expect(stamp.ok && stamp.value.toString('hex')).toBe('00803ed5deb19d01' + '10a73ed5deb19d01');
  });

  it('reads a stamp with sub-millisecond ticks, keeping the exact FILETIMEs', () => {
    const bytes = Buffer.alloc(16);
    bytes.writeBigUInt64LE(131_212_939_924_404_621n, 0);
    bytes.writeBigUInt64LE(131_338_691_117_781_044n, 8);
    expect(decodeRoamingTimestamp(bytes)).toEqual({
      ok: true,
      value: {
        createdAt: 1_476_820_392_440,
        modifiedAt: 1_489_395_511_778,
        createdFiletime: 131_212_939_924_404_621n,
        modifiedFiletime: 131_338_691_117_781_044n,
      },
    });
  });

  it.each([0, 8, 15, 17, 32])('refuses a stamp of %i bytes as STAMP_MALFORMED', (length) => {
    const result = decodeRoamingTimestamp(Buffer.alloc(length));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.code).toBe('STAMP_MALFORMED');
  });

  it('refuses to write a stamp outside the FILETIME range', () => {
    const result = encodeRoamingTimestamp({ createdAt: 0, modifiedAt: MAX_TIMESTAMP_MS + 1 });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.code).toBe('FILETIME_OUT_OF_RANGE');
  });

  it('round-trips any pair of valid instants', () => {
    const instant = fc.integer({ min: MIN_FILETIME_MS, max: MAX_TIMESTAMP_MS });
    checkProperty(
      fc.property(instant, instant, (createdAt, modifiedAt) => {
        const bytes = encodeRoamingTimestamp({ createdAt, modifiedAt });
        expect(bytes.ok).toBe(true);
        if (!bytes.ok) return;
        const decoded = decodeRoamingTimestamp(bytes.value);
        expect(
          decoded.ok && { createdAt: decoded.value.createdAt, modifiedAt: decoded.value.modifiedAt },
        ).toEqual({
          createdAt,
          modifiedAt,
        });
      }),
      { numRuns: 1000 },
    );
  });

  it('decodes every 16-byte string and answers any other byte string with a typed error', () => {
    checkProperty(
      fc.property(fc.uint8Array({ maxLength: 40 }), (bytes) => {
        const result = decodeRoamingTimestamp(bytes);
        if (bytes.length === 16) expect(result.ok).toBe(true);
        else expect(!result.ok && isErrorCode(result.error.code)).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });
});
