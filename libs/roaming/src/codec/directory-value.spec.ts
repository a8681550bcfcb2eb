import { encodePurgeWatermark } from './purge-watermark';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { checkProperty } from '../testing/property-check';
import { isErrorCode, type ErrorCode, type Result } from '../errors';
import { type DirectoryToken } from '../tokens';
import { directoryTokenInputArb } from './__fixtures__/token-arbitraries';
import { decodeDirectoryValue, encodeDirectoryToken, type DirectoryTokenInput } from './directory-value';
import { decodeDnBinary, encodeDnBinary } from './dn-binary';
import { msToFiletime } from './filetime';
import { encodeRoamingValue } from './roaming-value';

const certificate: DirectoryToken = {
  type: 'certificate',
  id: 'B6AF1EF9D302A7332208091CC8C1EFF836F60620',
  modifiedAt: 1_700_000_000_000,
  hash: 'a'.repeat(64),
  size: 1200,
  flags: { archived: false, encryptionKey: false, smartCard: false },
  tombstone: false,
};
const key: DirectoryToken = {
  ...certificate,
  type: 'private-key',
  id: 'f8b7bbef-d227-4ac7-badd-3a238a7f741e',
  flags: { archived: false, encryptionKey: true, smartCard: false },
  linkedCertificate: certificate.id,
};
const sealed = Buffer.from('30820122020100', 'hex');

function encode(input: Partial<DirectoryTokenInput> = {}): Buffer {
  const result = encodeDirectoryToken({ token: certificate, keyVersion: 3, sealed, ...input });
  if (!result.ok) throw new Error(result.error.message);
  return result.value;
}

function expectCode(result: Result<unknown>, code: ErrorCode): void {
  expect(result.ok ? 'ok' : result.error.code).toBe(code);
}

function filetimeOf(ms: number): bigint {
  const filetime = msToFiletime(ms);
  if (!filetime.ok) throw new Error(filetime.error.message);
  return filetime.value;
}

describe('directory token values', () => {
  it('decodes what it encodes, keeping the exact bytes for a value-level delete', () => {
    const bytes = encode({ token: key });
    expect(decodeDirectoryValue(bytes)).toEqual({
      ok: true,
      value: { kind: 'token', origin: 'credroam', token: key, keyVersion: 3, sealed, raw: bytes },
    });
  });

  it.each([
    ['certificate', '7'],
    ['private-key', '9'],
    ['certificate-request', '8'],
    ['master-key', '0'],
    ['stored-credential', '5'],
  ] as const)('writes a %s with the Windows type digit %s', (type, digit) => {
    const id = { certificate: certificate.id, 'master-key': 'Preferred' }[type as string] ?? 'req-1';
    const bytes = encode({ token: { ...certificate, type, id } });
    expect(String.fromCharCode(bytes[1] ?? 0)).toBe(digit);
  });

  it('marks every value as a known type, encryption keys with 0x20', () => {
    expect(encode().readUInt16LE(104)).toBe(0x10);
    expect(encode({ token: key }).readUInt16LE(104)).toBe(0x30);
  });

  it('writes a tombstone with the Windows tombstone flag and no sealed content', () => {
    const tombstone = { ...certificate, tombstone: true };
    const bytes = encode({ token: tombstone, sealed: Buffer.alloc(0) });
    expect(bytes.readUInt16LE(104)).toBe(0x11);
    const decoded = decodeDirectoryValue(bytes);
    expect(decoded.ok && decoded.value.kind === 'token' && decoded.value).toMatchObject({
      token: tombstone,
      sealed: Buffer.alloc(0),
    });
  });

  it('still decodes a value whose timestamp was planted newer: reconcile decides, not the codec', () => {
    const bytes = encode();
    const planted = Date.UTC(2031, 0, 1);
    bytes.writeBigUInt64LE(filetimeOf(planted), 96);
    const decoded = decodeDirectoryValue(bytes);
    expect(decoded.ok && decoded.value.kind === 'token' && decoded.value.token.modifiedAt).toBe(planted);
  });

  it.each([['..\\..\\x.bat'], ['..\\..\\Windows\\Start Menu\\Programs\\Startup\\x.bat']])(
    'reports a credroam value with the planted identifier %j as unsafe, never as a token',
    (identifier) => {
      const bytes = encode({ token: key });
      bytes.fill(0, 3, 96);
      bytes.write(identifier, 3, 'latin1');
      const decoded = decodeDirectoryValue(bytes);
      expect(decoded.ok).toBe(true);
      if (!decoded.ok) return;
      expect(decoded.value).toMatchObject({
        kind: 'unsafe',
        origin: 'credroam',
        reason: { code: 'UNSAFE_IDENTIFIER' },
        record: { identifier, identifierSafe: false, tokenType: 'private-key' },
        raw: bytes,
      });
    },
  );

  it('reports a credroam value with an undefined type digit as unsafe', () => {
    const bytes = encode();
    bytes[1] = 0x36;
    const decoded = decodeDirectoryValue(bytes);
    expect(decoded.ok && decoded.value).toMatchObject({
      kind: 'unsafe',
      reason: { code: 'INVALID_TOKEN_TYPE' },
    });
  });

  it('decodes the values Windows clients wrote as foreign, with their raw bytes', () => {
    const fixture = readFileSync(join(__dirname, '__fixtures__', 'windows-roaming-values.json'), 'utf8');
    for (const { hex } of JSON.parse(fixture) as { hex: string }[]) {
      const bytes = Buffer.from(hex, 'hex');
      const decoded = decodeDirectoryValue(bytes);
      expect(decoded.ok && decoded.value.kind).toBe('foreign');
      expect(decoded.ok && decoded.value.raw.equals(bytes)).toBe(true);
    }
  });

  const tampering: [string, (bytes: Buffer) => void, ErrorCode][] = [
    ['an unknown payload version', (bytes) => bytes.writeUInt8(2, 136), 'VALUE_MALFORMED'],
    ['unknown payload flags', (bytes) => bytes.writeUInt8(0x80, 137), 'VALUE_MALFORMED'],
    [
      'sealed bytes that do not match the SHA-1',
      (bytes) => bytes.writeUInt8(0xff, bytes.length - 1),
      'VALUE_MALFORMED',
    ],
    [
      'a tombstone flag on a value with content',
      (bytes) => bytes.writeUInt16LE(0x11, 104),
      'VALUE_MALFORMED',
    ],
    [
      'an encryption flag the payload does not carry',
      (bytes) => bytes.writeUInt16LE(0x30, 104),
      'VALUE_MALFORMED',
    ],
    ['no known-type flag', (bytes) => bytes.writeUInt16LE(0, 104), 'VALUE_MALFORMED'],
    ['the CAPI digit instead of the CNG one', (bytes) => bytes.write('3', 1, 'ascii'), 'VALUE_MALFORMED'],
    ['sub-millisecond ticks', (bytes) => bytes.writeUInt8((bytes[96] ?? 0) + 1, 96), 'VALUE_MALFORMED'],
    ['a timestamp before 1970', (bytes) => bytes.writeBigUInt64LE(0n, 96), 'INVALID_TIMESTAMP'],
  ];

  it.each(tampering)('refuses a credroam value with %s', (_label, tamper, code) => {
    const bytes = encode();
    tamper(bytes);
    expectCode(decodeDirectoryValue(bytes), code);
  });

  it('refuses a credroam value whose payload header is cut short', () => {
    const full = encode();
    const truncated = encodeRoamingValue({
      typeDigit: '7',
      identifier: certificate.id,
      filetime: full.readBigUInt64LE(96),
      rawFlags: 0x10,
      data: full.subarray(132, 132 + 10),
    });
    if (!truncated.ok) throw new Error(truncated.error.message);
    expectCode(decodeDirectoryValue(truncated.value), 'VALUE_TRUNCATED');
  });

  it('refuses a credroam value that carries provider data', () => {
    const bytes = Buffer.concat([encode(), Buffer.from([0xee])]);
    bytes.writeUInt16LE(1, 106);
    expectCode(decodeDirectoryValue(bytes), 'VALUE_MALFORMED');
  });

  it.each([
    ['an identifier outside the whitelist', { token: { ...key, id: '..\\..\\x.bat' } }, 'INVALID_TOKEN_ID'],
    ['a tombstone with sealed content', { token: { ...certificate, tombstone: true } }, 'INVALID_INPUT'],
    ['a live token without sealed content', { sealed: Buffer.alloc(0) }, 'INVALID_INPUT'],
    ['a key version beyond 32 bits', { keyVersion: 2 ** 32 }, 'INVALID_INPUT'],
    [
      'a timestamp after 9999',
      { token: { ...certificate, modifiedAt: 253_402_300_800_000 } },
      'INVALID_TIMESTAMP',
    ],
  ] as const)('refuses to encode %s', (_label, input, code) => {
    expectCode(encodeDirectoryToken({ token: certificate, keyVersion: 3, sealed, ...input }), code);
  });
});

describe('directory token value properties', () => {
  it('round-trips any valid token, on OpenLDAP as bytes and on AD as DN-Binary', () => {
    const dn = 'CN=Alice,OU=People,DC=credroam,DC=test';
    checkProperty(
      fc.property(directoryTokenInputArb, (input) => {
        const bytes = encodeDirectoryToken(input);
        expect(bytes.ok).toBe(true);
        if (!bytes.ok) return;
        // Buffers compared with equals(): Jest's deep equality walks them byte by byte and dominates the run.
        const check = (decoded: ReturnType<typeof decodeDirectoryValue>) => {
          expect(decoded.ok && decoded.value.kind).toBe('token');
          if (!decoded.ok || decoded.value.kind !== 'token') return;
          expect(decoded.value.token).toEqual(input.token);
          expect(decoded.value.keyVersion).toBe(input.keyVersion);
          expect(decoded.value.sealed.equals(input.sealed)).toBe(true);
          expect(decoded.value.raw.equals(bytes.value)).toBe(true);
        };
        check(decodeDirectoryValue(bytes.value));
        const text = decodeDnBinary(encodeDnBinary(bytes.value, dn), dn);
        expect(text.ok).toBe(true);
        if (text.ok) check(decodeDirectoryValue(text.value.bytes));
      }),
      { numRuns: 1000 },
    );
  });

  it('answers any corruption of a valid value with a token, a report or a typed error', () => {
    const corrupted = fc
      .tuple(
        directoryTokenInputArb,
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
      )
      .map(([input, edits]) => {
        const encoded = encodeDirectoryToken(input);
        const bytes = encoded.ok ? Buffer.from(encoded.value) : Buffer.alloc(0);
        for (const [at, byte] of edits) if (bytes.length > 0) bytes[at % bytes.length] = byte;
        return bytes;
      });
    checkProperty(
      fc.property(fc.oneof(corrupted, fc.uint8Array({ maxLength: 300 })), (bytes) => {
        const result = decodeDirectoryValue(bytes);
        expect(result.ok || isErrorCode(result.error.code)).toBe(true);
        if (result.ok && result.value.kind === 'token') expect(result.value.raw.equals(bytes)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('the purge watermark ledger record', () => {
  it('round-trips through the directory value decoder and is never taken for a token', () => {
    const encoded = encodePurgeWatermark(1_764_000_000_123);
    expect(encoded.ok).toBe(true);
    if (!encoded.ok) return;
    const decoded = decodeDirectoryValue(encoded.value);
    expect(decoded).toEqual({
      ok: true,
      value: {
        kind: 'purge-watermark',
        origin: 'credroam',
        watermark: 1_764_000_000_123,
        raw: encoded.value,
      },
    });
  });

  it('refuses a watermark record whose data was altered', () => {
    const encoded = encodePurgeWatermark(5);
    if (!encoded.ok) throw new Error('encoding failed');
    const tampered = Buffer.from(encoded.value);
    tampered[tampered.length - 1] = 2;
    const decoded = decodeDirectoryValue(tampered);
    expect(decoded.ok).toBe(false);
  });
});
