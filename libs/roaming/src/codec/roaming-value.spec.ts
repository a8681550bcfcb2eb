import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { checkProperty } from '../testing/property-check';
import { isErrorCode, type ErrorCode, type Result } from '../errors';
import { foreignRecordArb } from './__fixtures__/token-arbitraries';
import { encodeCredroamPayload } from './credroam-payload';
import {
  decodeRoamingValue,
  encodePlantedRoamingValue,
  encodeRoamingValue,
  type RoamingValueInput,
} from './roaming-value';
import { MAX_ENCODED_VALUE_BYTES } from './value-limits';

interface Vector {
  name: string;
  hex: string;
  type: number;
  id: string;
  flags: number;
  extra: number;
  sha1: string;
  size: number;
  sha1ok: boolean;
  total: number;
}

// The FILETIMEs exceed 2^53, so they are read from the JSON text, not from JSON.parse's doubles.
const fixtureText = readFileSync(join(__dirname, '__fixtures__', 'windows-roaming-values.json'), 'utf8');
const vectors = (JSON.parse(fixtureText) as Vector[]).map((vector, i) => ({
  ...vector,
  filetime: BigInt([...fixtureText.matchAll(/"filetime":\s*(\d+)/g)][i]?.[1] ?? NaN),
}));

function expectCode(result: Result<unknown>, code: ErrorCode): void {
  expect(result.ok ? 'ok' : result.error.code).toBe(code);
}

function expectTyped(result: Result<unknown>): void {
  expect(result.ok || isErrorCode(result.error.code)).toBe(true);
}

function value(overrides: Partial<RoamingValueInput> = {}): Buffer {
  const encoded = encodeRoamingValue({
    typeDigit: '9',
    identifier: 'container-1',
    filetime: 133_000_000_000_000_000n,
    rawFlags: 0,
    data: Buffer.from('key material'),
    ...overrides,
  });
  if (!encoded.ok) throw new Error(encoded.error.message);
  return encoded.value;
}

/** Writes raw identifier bytes into a value, as an attacker with write access to the attribute could. */
function plantIdentifier(bytes: Buffer, identifier: Buffer): Buffer {
  const planted = Buffer.from(bytes);
  planted.fill(0, 3, 96);
  identifier.copy(planted, 3);
  return planted;
}

describe('Windows roaming values written by Windows clients', () => {
  it('holds five vectors', () => {
    expect(vectors).toHaveLength(5);
    for (const vector of vectors) expect(vector.filetime).toBeGreaterThanOrEqual(0n);
  });

  it.each(vectors.map((vector) => [vector.name, vector] as const))(
    'decodes %s with its published fields',
    (_name, vector) => {
      const bytes = Buffer.from(vector.hex, 'hex');
      expect(bytes).toHaveLength(vector.total);
      const decoded = decodeRoamingValue(bytes);
      expect(decoded.ok).toBe(true);
      if (!decoded.ok) return;
      expect(decoded.value).toMatchObject({
        typeDigit: String(vector.type),
        identifier: vector.id,
        identifierEscaped: false,
        identifierSafe: true,
        filetime: vector.filetime,
        rawFlags: vector.flags,
        providerSize: vector.extra,
        sha1: vector.sha1,
        dataSize: vector.size,
        sha1Valid: vector.sha1ok,
        origin: 'foreign',
      });
      expect(decoded.value.data).toHaveLength(vector.size);
    },
  );

  it.each(vectors.map((vector) => [vector.name, vector] as const))(
    'reproduces the exact bytes of %s when re-encoded from its decoded fields',
    (_name, vector) => {
      const bytes = Buffer.from(vector.hex, 'hex');
      const decoded = decodeRoamingValue(bytes);
      if (!decoded.ok) throw new Error(decoded.error.message);
      const reencoded = encodeRoamingValue({ ...decoded.value, sha1Override: decoded.value.sha1 });
      expect(reencoded.ok && reencoded.value.toString('hex')).toBe(bytes.toString('hex'));
    },
  );

  it('maps the Windows type digits to credroam types', () => {
    const types = vectors.map((vector) => {
      const decoded = decodeRoamingValue(Buffer.from(vector.hex, 'hex'));
      return decoded.ok && decoded.value.tokenType;
    });
    expect(types).toEqual(['private-key', 'private-key', 'certificate', 'master-key', 'private-key']);
  });

  it('decodes the unreadable placeholder: flag 0x2, no data, an all-zero hash that does not match', () => {
    const decoded = decodeRoamingValue(Buffer.from(vectors[4]?.hex ?? '', 'hex'));
    expect(decoded.ok).toBe(true);
    if (!decoded.ok) return;
    expect(decoded.value.flags).toEqual({
      tombstone: false,
      unreadable: true,
      unwritable: false,
      unroamable: false,
      knownType: false,
      encryptionKey: false,
    });
    expect(decoded.value.data).toHaveLength(0);
    expect(decoded.value.sha1Valid).toBe(false);
    expect(decoded.value.modifiedAt).toBe(Date.UTC(1601, 0, 1));
  });

  it('gives every truncation of every vector a typed error, never an exception', () => {
    for (const vector of vectors) {
      const bytes = Buffer.from(vector.hex, 'hex');
      for (let length = 0; length < bytes.length; length++) {
        const decoded = decodeRoamingValue(bytes.subarray(0, length));
        expectCode(decoded, 'VALUE_TRUNCATED');
      }
    }
  });
});

describe('Windows roaming value framing', () => {
  it('lays out the header as Windows does', () => {
    const bytes = value({ rawFlags: 0x31, providerData: Buffer.from([1, 2, 3]) });
    expect(bytes.subarray(0, 3).toString('latin1')).toBe('%9\\');
    expect(bytes.subarray(3, 14).toString('latin1')).toBe('container-1');
    expect(bytes.subarray(14, 96).every((byte) => byte === 0)).toBe(true);
    expect(bytes.readBigUInt64LE(96)).toBe(133_000_000_000_000_000n);
    expect(bytes.readUInt16LE(104)).toBe(0x31);
    expect(bytes.readUInt16LE(106)).toBe(3);
    expect(bytes.subarray(108, 128)).toEqual(createHash('sha1').update('key material').digest());
    expect(bytes.readUInt32LE(128)).toBe(12);
    expect(bytes.subarray(132).toString('latin1')).toBe('key material\x01\x02\x03');
  });

  it('decodes the flags, the provider data and the timestamp', () => {
    const decoded = decodeRoamingValue(value({ rawFlags: 0x31, providerData: Buffer.from([1, 2, 3]) }));
    expect(decoded.ok).toBe(true);
    if (!decoded.ok) return;
    expect(decoded.value).toMatchObject({
      rawFlags: 0x31,
      flags: { tombstone: true, knownType: true, encryptionKey: true, unreadable: false },
      providerSize: 3,
      providerData: Buffer.from([1, 2, 3]),
      data: Buffer.from('key material'),
      sha1Valid: true,
      modifiedAt: Date.UTC(2022, 5, 18, 4, 26, 40),
      origin: 'foreign',
    });
  });

  it.each([['..\\..\\x.bat'], ['..\\..\\Windows\\Start Menu\\Programs\\Startup\\x.bat']])(
    'decodes a planted identifier %j but flags it unsafe',
    (identifier) => {
      const decoded = decodeRoamingValue(plantIdentifier(value(), Buffer.from(identifier, 'latin1')));
      expect(decoded.ok).toBe(true);
      if (!decoded.ok) return;
      expect(decoded.value).toMatchObject({ identifier, identifierEscaped: false, identifierSafe: false });
      expect(decoded.value.tokenType).toBe('private-key');
    },
  );

  it('escapes an identifier that is not valid UTF-8 and flags it unsafe', () => {
    const decoded = decodeRoamingValue(plantIdentifier(value(), Buffer.from([0x61, 0xc0, 0x80, 0x5c, 0x2e])));
    expect(decoded.ok && decoded.value).toMatchObject({
      identifier: 'a\\xC0\\x80\\\\.',
      identifierEscaped: true,
      identifierSafe: false,
    });
  });

  it('escapes an identifier that hides bytes after its first NUL and flags it unsafe', () => {
    const decoded = decodeRoamingValue(plantIdentifier(value(), Buffer.from('safe\0..\\x.bat', 'latin1')));
    expect(decoded.ok && decoded.value).toMatchObject({
      identifier: 'safe\\x00..\\\\x.bat',
      identifierEscaped: true,
      identifierSafe: false,
    });
  });

  it('keeps a leading byte order mark as part of the identifier', () => {
    const decoded = decodeRoamingValue(value({ typeDigit: '5', identifier: '\ufeffmail' }));
    expect(decoded.ok && decoded.value).toMatchObject({ identifier: '\ufeffmail', identifierSafe: true });
  });

  it('decodes a 93-byte identifier that fills the field without a NUL', () => {
    const identifier = 'k'.repeat(93);
    const decoded = decodeRoamingValue(value({ identifier }));
    expect(decoded.ok && decoded.value).toMatchObject({ identifier, identifierSafe: true });
  });

  it('decodes an undefined type digit as an unknown type', () => {
    const bytes = value();
    bytes[1] = 0x36; // '6'
    const decoded = decodeRoamingValue(bytes);
    expect(decoded.ok && decoded.value).toMatchObject({
      typeDigit: '6',
      tokenType: null,
      identifierSafe: false,
    });
  });

  it('frames a planted identifier and type digit that the decoder then flags unsafe, as a hostile writer would', () => {
    const input = { filetime: 133_000_000_000_000_000n, rawFlags: 0x10, data: Buffer.from('blob') };
    const planted = encodePlantedRoamingValue(input, { typeDigit: '9', identifier: '..\\..\\evil.bat' });
    if (!planted.ok) throw new Error(planted.error.message);
    expect(decodeRoamingValue(planted.value)).toMatchObject({
      ok: true,
      value: {
        tokenType: 'private-key',
        identifier: '..\\..\\evil.bat',
        identifierSafe: false,
        sha1Valid: true,
      },
    });
    const unknown = encodePlantedRoamingValue(input, { typeDigit: 'Z', identifier: 'A'.repeat(120) });
    expect(unknown.ok && decodeRoamingValue(unknown.value)).toMatchObject({
      ok: true,
      value: { typeDigit: 'Z', tokenType: null, identifier: 'A'.repeat(93) },
    });
    // Only the identifier and type bypass the rules: the rest of the frame is still checked.
    expectCode(
      encodePlantedRoamingValue({ ...input, rawFlags: -1 }, { typeDigit: '9', identifier: 'x' }),
      'INVALID_INPUT',
    );
  });

  it('reports a hash that does not match the data', () => {
    const bytes = value();
    bytes[140] = (bytes[140] ?? 0) ^ 0xff;
    const decoded = decodeRoamingValue(bytes);
    expect(decoded.ok && decoded.value.sha1Valid).toBe(false);
  });

  it('recognises credroam data by its payload', () => {
    const payload = encodeCredroamPayload({
      flags: { archived: false, encryptionKey: false, smartCard: false },
      keyVersion: 1,
      hash: 'a'.repeat(64),
      plaintextSize: 10,
      linkedCertificate: undefined,
      sealed: Buffer.from('cms'),
    });
    if (!payload.ok) throw new Error(payload.error.message);
    const decoded = decodeRoamingValue(value({ data: payload.value }));
    expect(decoded.ok && decoded.value.origin).toBe('credroam');
    const broken = Buffer.from(payload.value);
    broken[4] = 9; // unknown payload version
    const foreign = decodeRoamingValue(value({ data: broken }));
    expect(foreign.ok && foreign.value.origin).toBe('foreign');
  });

  it('answers sizes that point past the buffer with VALUE_TRUNCATED', () => {
    const dataPastEnd = value();
    dataPastEnd.writeUInt32LE(0xffff_ffff, 128);
    expectCode(decodeRoamingValue(dataPastEnd), 'VALUE_TRUNCATED');
    const providerPastEnd = value();
    providerPastEnd.writeUInt16LE(1, 106);
    expectCode(decodeRoamingValue(providerPastEnd), 'VALUE_TRUNCATED');
  });

  it('answers trailing bytes beyond the declared sizes with VALUE_LENGTH_MISMATCH', () => {
    expectCode(decodeRoamingValue(Buffer.concat([value(), Buffer.from([0])])), 'VALUE_LENGTH_MISMATCH');
  });

  it.each([
    ['a missing % marker', Buffer.from('X9\\')],
    ['a missing \\ separator', Buffer.from('%9/')],
    ['a stray string', Buffer.from('hello world')],
  ])('answers %s with VALUE_MALFORMED', (_label, bytes) => {
    expectCode(decodeRoamingValue(bytes), 'VALUE_MALFORMED');
  });

  it('refuses an input above the size limit before parsing it', () => {
    expectCode(decodeRoamingValue(Buffer.alloc(MAX_ENCODED_VALUE_BYTES + 1)), 'VALUE_TOO_LARGE');
  });

  it('answers a non-byte input with a typed error', () => {
    expectCode(decodeRoamingValue('%9\\' as unknown as Uint8Array), 'VALUE_MALFORMED');
    expectCode(decodeRoamingValue(undefined as unknown as Uint8Array), 'VALUE_MALFORMED');
  });

  it.each([
    ['a path in a key container name', { identifier: '..\\..\\x.bat' }, 'INVALID_TOKEN_ID'],
    [
      'a lower-case certificate thumbprint',
      { typeDigit: '7', identifier: 'ab'.repeat(20) },
      'INVALID_TOKEN_ID',
    ],
    ['an identifier over 93 bytes', { typeDigit: '5', identifier: 'é'.repeat(47) }, 'INVALID_TOKEN_ID'],
    ['an undefined type digit', { typeDigit: '6' }, 'INVALID_TOKEN_TYPE'],
    ['an escaped identifier', { identifierEscaped: true }, 'UNSAFE_IDENTIFIER'],
    ['flags beyond 16 bits', { rawFlags: 0x1_0000 }, 'INVALID_INPUT'],
    ['a negative FILETIME', { filetime: -1n }, 'FILETIME_OUT_OF_RANGE'],
    ['provider data beyond 16 bits', { providerData: Buffer.alloc(0x1_0000) }, 'VALUE_TOO_LARGE'],
    ['a value above the size limit', { data: Buffer.alloc(MAX_ENCODED_VALUE_BYTES) }, 'VALUE_TOO_LARGE'],
    ['a malformed SHA-1 override', { sha1Override: 'xyz' }, 'INVALID_INPUT'],
  ] as const)('refuses to encode %s', (_label, overrides, code) => {
    const result = encodeRoamingValue({
      typeDigit: '9',
      identifier: 'container-1',
      filetime: 0n,
      rawFlags: 0,
      data: Buffer.alloc(0),
      ...overrides,
    });
    expectCode(result, code);
  });
});

describe('Windows roaming value properties', () => {
  it('round-trips any record a Windows client could write', () => {
    checkProperty(
      fc.property(foreignRecordArb, (record) => {
        const bytes = encodeRoamingValue(record);
        expect(bytes.ok).toBe(true);
        if (!bytes.ok) return;
        const decoded = decodeRoamingValue(bytes.value);
        expect(decoded.ok).toBe(true);
        if (!decoded.ok) return;
        const data = Buffer.from(record.data);
        expect(decoded.value).toMatchObject({
          typeDigit: record.typeDigit,
          identifier: record.identifier,
          identifierSafe: true,
          filetime: record.filetime,
          rawFlags: record.rawFlags,
          data,
          providerData: Buffer.from(record.providerData ?? []),
          sha1: record.sha1Override ?? createHash('sha1').update(data).digest('hex'),
        });
        const again = encodeRoamingValue({ ...decoded.value, sha1Override: decoded.value.sha1 });
        expect(again.ok && again.value.equals(bytes.value)).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });

  it('answers any byte string with a record or a typed error', () => {
    const framed = fc
      .uint8Array({ minLength: 0, maxLength: 300 })
      .map((bytes) => Buffer.concat([Buffer.from('%9\\'), bytes]));
    checkProperty(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 300 }), framed), (bytes) => {
        expectTyped(decodeRoamingValue(bytes));
      }),
      { numRuns: 2000 },
    );
  });

  it('answers every truncation of a valid value with VALUE_TRUNCATED', () => {
    const truncated = foreignRecordArb.chain((record) => {
      const bytes = encodeRoamingValue(record);
      const full = bytes.ok ? bytes.value : Buffer.alloc(0);
      return fc.tuple(fc.constant(full), fc.nat({ max: Math.max(0, full.length - 1) }));
    });
    checkProperty(
      fc.property(truncated, ([full, length]) => {
        expectCode(decodeRoamingValue(full.subarray(0, length)), 'VALUE_TRUNCATED');
      }),
      { numRuns: 1000 },
    );
  });

  it('answers header sizes that disagree with the length with a typed size error', () => {
    const tampered = fc.tuple(
      foreignRecordArb,
      fc.integer({ min: 0, max: 0xffff_ffff }),
      fc.integer({ min: 0, max: 0xffff }),
    );
    checkProperty(
      fc.property(tampered, ([record, dataSize, providerSize]) => {
        const bytes = encodeRoamingValue(record);
        if (!bytes.ok) throw new Error(bytes.error.message);
        const declared = 132 + dataSize + providerSize;
        bytes.value.writeUInt32LE(dataSize, 128);
        bytes.value.writeUInt16LE(providerSize, 106);
        const decoded = decodeRoamingValue(bytes.value);
        if (declared > bytes.value.length) expectCode(decoded, 'VALUE_TRUNCATED');
        else if (declared < bytes.value.length) expectCode(decoded, 'VALUE_LENGTH_MISMATCH');
        else expect(decoded.ok).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });

  it('refuses any input above the size limit with VALUE_TOO_LARGE', () => {
    // One buffer, viewed at every oversize length, keeps this property cheap.
    const big = Buffer.allocUnsafe(MAX_ENCODED_VALUE_BYTES + 4096);
    checkProperty(
      fc.property(fc.integer({ min: MAX_ENCODED_VALUE_BYTES + 1, max: big.length }), (length) => {
        expectCode(decodeRoamingValue(big.subarray(0, length)), 'VALUE_TOO_LARGE');
      }),
      { numRuns: 1000 },
    );
  });
});
