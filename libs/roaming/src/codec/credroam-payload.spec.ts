import fc from 'fast-check';
import { checkProperty } from '../testing/property-check';
import { isErrorCode, type ErrorCode, type Result } from '../errors';
import { hexOf } from './__fixtures__/token-arbitraries';
import {
  CREDROAM_PAYLOAD_HEADER_BYTES,
  decodeCredroamPayload,
  encodeCredroamPayload,
  hasCredroamMagic,
  type CredroamPayloadInput,
} from './credroam-payload';

const input: CredroamPayloadInput = {
  flags: { archived: true, encryptionKey: false, smartCard: true },
  keyVersion: 0x0102_0304,
  hash: '0f'.repeat(32),
  plaintextSize: 1200,
  linkedCertificate: 'B6AF1EF9D302A7332208091CC8C1EFF836F60620',
  sealed: Buffer.from('sealed cms'),
};

function encoded(overrides: Partial<CredroamPayloadInput> = {}): Buffer {
  const result = encodeCredroamPayload({ ...input, ...overrides });
  if (!result.ok) throw new Error(result.error.message);
  return result.value;
}

function expectCode(result: Result<unknown>, code: ErrorCode): void {
  expect(result.ok ? 'ok' : result.error.code).toBe(code);
}

describe('credroam payload', () => {
  it('lays out magic, version, flags, key version, hash, size and linked certificate before the sealed bytes', () => {
    const bytes = encoded();
    expect(bytes.subarray(0, 4).toString('ascii')).toBe('CRDR');
    expect(bytes[4]).toBe(1);
    expect(bytes[5]).toBe(0x5);
    expect(bytes.subarray(6, 10).toString('hex')).toBe('04030201');
    expect(bytes.subarray(10, 42).toString('hex')).toBe('0f'.repeat(32));
    expect(bytes.readUInt32LE(42)).toBe(1200);
    expect(bytes.subarray(46, 66).toString('hex').toUpperCase()).toBe(input.linkedCertificate);
    expect(bytes.subarray(CREDROAM_PAYLOAD_HEADER_BYTES).toString()).toBe('sealed cms');
  });

  it('reads back what it wrote', () => {
    expect(decodeCredroamPayload(encoded())).toEqual({
      ok: true,
      value: { ...input, version: 1, sealed: Buffer.from('sealed cms') },
    });
  });

  it('writes "no linked certificate" as zeros and reads zeros back as none', () => {
    const bytes = encoded({ linkedCertificate: undefined, sealed: Buffer.alloc(0) });
    expect(bytes).toHaveLength(CREDROAM_PAYLOAD_HEADER_BYTES);
    expect(bytes.subarray(46, 66).every((byte) => byte === 0)).toBe(true);
    const decoded = decodeCredroamPayload(bytes);
    expect(decoded.ok && decoded.value.linkedCertificate).toBeUndefined();
  });

  it.each([
    ['an unknown format version', (bytes: Buffer) => bytes.writeUInt8(2, 4), 'VALUE_MALFORMED'],
    ['an unknown token flag', (bytes: Buffer) => bytes.writeUInt8(0x08, 5), 'VALUE_MALFORMED'],
    ['a different magic', (bytes: Buffer) => bytes.write('CRDX', 0, 'ascii'), 'VALUE_MALFORMED'],
  ] as const)('refuses %s', (_label, tamper, code) => {
    const bytes = encoded();
    tamper(bytes);
    expectCode(decodeCredroamPayload(bytes), code);
  });

  it('answers a header cut short with VALUE_TRUNCATED', () => {
    const bytes = encoded();
    for (let length = 0; length < CREDROAM_PAYLOAD_HEADER_BYTES; length++) {
      expectCode(decodeCredroamPayload(bytes.subarray(0, length)), 'VALUE_TRUNCATED');
    }
  });

  it('tells credroam data from foreign data by the magic alone', () => {
    expect(hasCredroamMagic(encoded())).toBe(true);
    expect(hasCredroamMagic(Buffer.from('CRD'))).toBe(false);
    expect(hasCredroamMagic(Buffer.from('RSA1'))).toBe(false);
  });

  it.each([
    ['an upper-case hash', { hash: 'A'.repeat(64) }, 'INVALID_TOKEN_HASH'],
    ['a negative key version', { keyVersion: -1 }, 'INVALID_INPUT'],
    ['a key version beyond 32 bits', { keyVersion: 2 ** 32 }, 'INVALID_INPUT'],
    ['a fractional plaintext size', { plaintextSize: 1.5 }, 'INVALID_INPUT'],
    [
      'a lower-case linked certificate',
      { linkedCertificate: 'b6af1ef9d302a7332208091cc8c1eff836f60620' },
      'INVALID_INPUT',
    ],
    ['the all-zero linked certificate', { linkedCertificate: '0'.repeat(40) }, 'INVALID_INPUT'],
  ] as const)('refuses to encode %s', (_label, overrides, code) => {
    expectCode(encodeCredroamPayload({ ...input, ...overrides }), code);
  });

  it('round-trips any header and sealed content', () => {
    const payload = fc.record({
      flags: fc.record({ archived: fc.boolean(), encryptionKey: fc.boolean(), smartCard: fc.boolean() }),
      keyVersion: fc.integer({ min: 0, max: 0xffff_ffff }),
      hash: hexOf(32),
      plaintextSize: fc.integer({ min: 0, max: 0xffff_ffff }),
      linkedCertificate: fc.option(
        hexOf(20, true).filter((hex) => /[^0]/.test(hex)),
        { nil: undefined },
      ),
      sealed: fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from(bytes)),
    });
    checkProperty(
      fc.property(payload, (value) => {
        const bytes = encodeCredroamPayload(value);
        expect(bytes.ok).toBe(true);
        if (bytes.ok)
          expect(decodeCredroamPayload(bytes.value)).toEqual({ ok: true, value: { ...value, version: 1 } });
      }),
      { numRuns: 1000 },
    );
  });

  it('answers any byte string with a payload or a typed error', () => {
    const withMagic = fc
      .uint8Array({ maxLength: 100 })
      .map((bytes) => Buffer.concat([Buffer.from('CRDR\x01'), bytes]));
    checkProperty(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 100 }), withMagic), (bytes) => {
        const result = decodeCredroamPayload(bytes);
        expect(result.ok || isErrorCode(result.error.code)).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });
});
