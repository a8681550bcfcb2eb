import fc from 'fast-check';
import { checkProperty } from '../testing/property-check';
import { MAX_TIMESTAMP_MS } from '../tokens';
import { filetimeToMs, MAX_FILETIME, MIN_FILETIME_MS, msToFiletime } from './filetime';

const UNIX_EPOCH_FILETIME = 116_444_736_000_000_000n;

describe('FILETIME conversion', () => {
  it.each([
    ['FILETIME zero as 1601-01-01', 0n, Date.UTC(1601, 0, 1)],
    ['the Unix epoch', UNIX_EPOCH_FILETIME, 0],
    ['a Windows client stamp, floored to the millisecond', 131_212_939_924_404_621n, 1_476_820_392_440],
    ['the largest uint64 exactly', MAX_FILETIME, 1_833_029_933_770_955],
  ])('reads %s', (_label, filetime, ms) => {
    expect(filetimeToMs(filetime)).toEqual({ ok: true, value: ms });
  });

  it.each([
    ['a negative FILETIME', -1n],
    ['a FILETIME beyond 64 bits', MAX_FILETIME + 1n],
    ['a number instead of a bigint', 5 as unknown as bigint],
  ])('refuses %s', (_label, filetime) => {
    const result = filetimeToMs(filetime);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.code).toBe('FILETIME_OUT_OF_RANGE');
  });

  it('writes 1601-01-01 as zero and the Unix epoch and the last millisecond of 9999 exactly', () => {
    expect(msToFiletime(MIN_FILETIME_MS)).toEqual({ ok: true, value: 0n });
    expect(msToFiletime(0)).toEqual({ ok: true, value: UNIX_EPOCH_FILETIME });
    expect(msToFiletime(MAX_TIMESTAMP_MS)).toEqual({ ok: true, value: 2_650_467_743_999_990_000n });
  });

  it.each([
    ['NaN', NaN],
    ['Infinity', Infinity],
    ['a fractional millisecond', 1.5],
    ['an instant before 1601', MIN_FILETIME_MS - 1],
    ['an instant after 9999', MAX_TIMESTAMP_MS + 1],
    ['a string', '0' as unknown as number],
  ])('refuses to write %s', (_label, ms) => {
    const result = msToFiletime(ms);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.code).toBe('FILETIME_OUT_OF_RANGE');
  });

  it('round-trips every whole millisecond from 1601 to 9999', () => {
    checkProperty(
      fc.property(fc.integer({ min: MIN_FILETIME_MS, max: MAX_TIMESTAMP_MS }), (ms) => {
        const filetime = msToFiletime(ms);
        expect(filetime.ok).toBe(true);
        if (filetime.ok) expect(filetimeToMs(filetime.value)).toEqual({ ok: true, value: ms });
      }),
      { numRuns: 2000 },
    );
  });

  it('floors any uint64 FILETIME to the millisecond that contains it', () => {
    checkProperty(
      fc.property(fc.bigInt({ min: 0n, max: MAX_FILETIME }), (filetime) => {
        const ms = filetimeToMs(filetime);
        expect(ms.ok).toBe(true);
        if (!ms.ok) return;
        expect(Number.isSafeInteger(ms.value)).toBe(true);
        const start = (BigInt(ms.value) - BigInt(MIN_FILETIME_MS)) * 10_000n;
        expect(filetime - start >= 0n && filetime - start < 10_000n).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
});
