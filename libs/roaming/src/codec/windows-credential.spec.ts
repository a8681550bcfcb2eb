import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Result } from '../errors';
import { decodeRoamingValue, encodeRoamingValue, type RoamingValueRecord } from './roaming-value';
import { classifyWindowsValue, decodeWindowsCertificate } from './windows-credential';

interface Vector {
  name: string;
  hex: string;
  id: string;
}

const vectors = JSON.parse(
  readFileSync(join(__dirname, '__fixtures__/windows-roaming-values.json'), 'utf8'),
) as Vector[];

function vector(name: string): RoamingValueRecord {
  const found = vectors.find((candidate) => candidate.name === name);
  if (!found) throw new Error(`no vector ${name}`);
  return value(decodeRoamingValue(Buffer.from(found.hex, 'hex')));
}

function value<T>(result: Result<T>): T {
  if (!result.ok) throw new Error(result.error.message);
  return result.value;
}

const CERTIFICATE = 'RoamedCredential_ParseCertificate';
const THUMBPRINT = '3B83BFA7037F6A79B3F3D17D229E1BC097F35B51';

/** The properties of the vector's certificate element, as [id, value] in order. */
function properties(data: Buffer): [number, Buffer][] {
  const out: [number, Buffer][] = [];
  for (let offset = 0; offset < data.length;) {
    const length = data.readUInt32LE(offset + 8);
    out.push([data.readUInt32LE(offset), data.subarray(offset + 12, offset + 12 + length)]);
    offset += 12 + length;
  }
  return out;
}

function element(props: [number, Buffer][]): Buffer {
  return Buffer.concat(
    props.flatMap(([id, bytes]) => {
      const header = Buffer.alloc(12);
      header.writeUInt32LE(id, 0);
      header.writeUInt32LE(1, 4);
      header.writeUInt32LE(bytes.length, 8);
      return [header, bytes];
    }),
  );
}

/** The certificate vector re-framed (with a correct value SHA-1) around other data or under another identifier. */
function reframed(changes: { data?: Buffer; identifier?: string }): RoamingValueRecord {
  const original = vector(CERTIFICATE);
  return value(
    decodeRoamingValue(
      value(
        encodeRoamingValue({
          typeDigit: '7',
          identifier: changes.identifier ?? original.identifier,
          filetime: original.filetime,
          rawFlags: original.rawFlags,
          data: changes.data ?? original.data,
        }),
      ),
    ),
  );
}

describe('certificates roamed by Windows clients', () => {
  it('decodes the DSInternals certificate vector to its DER, thumbprint verified', () => {
    const record = vector(CERTIFICATE);
    const certificate = value(decodeWindowsCertificate(record));
    const der = properties(record.data).find(([id]) => id === 32)?.[1];
    expect(certificate.thumbprint).toBe(THUMBPRINT);
    expect(certificate.der.equals(der as Buffer)).toBe(true);
    expect(createHash('sha1').update(certificate.der).digest('hex').toUpperCase()).toBe(THUMBPRINT);
    expect(certificate.der.subarray(0, 2).toString('hex')).toBe('3082');
    expect(certificate.modifiedAt).toBe(record.modifiedAt);
    expect(classifyWindowsValue(record)).toEqual({ kind: 'certificate', certificate });
  });

  it('refuses a value whose identifier is not the certificate thumbprint', () => {
    const result = decodeWindowsCertificate(
      reframed({ identifier: 'B6AF1EF9D302A7332208091CC8C1EFF836F60620' }),
    );
    expect(result.ok ? 'ok' : result.error.code).toBe('THUMBPRINT_MISMATCH');
    expect(
      classifyWindowsValue(reframed({ identifier: 'B6AF1EF9D302A7332208091CC8C1EFF836F60620' })),
    ).toMatchObject({
      kind: 'refused',
      reason: { code: 'THUMBPRINT_MISMATCH' },
    });
  });

  it('refuses an element whose SHA-1 property disagrees with the certificate', () => {
    const props = properties(vector(CERTIFICATE).data).map(([id, bytes]): [number, Buffer] =>
      id === 3 ? [id, Buffer.alloc(20, 0xab)] : [id, bytes],
    );
    const result = decodeWindowsCertificate(reframed({ data: element(props) }));
    expect(result.ok ? 'ok' : result.error.code).toBe('THUMBPRINT_MISMATCH');
  });

  it('refuses a value whose data does not match the SHA-1 in its header', () => {
    const record = { ...vector(CERTIFICATE), sha1Valid: false };
    const result = decodeWindowsCertificate(record);
    expect(result.ok ? 'ok' : result.error.code).toBe('VALUE_MALFORMED');
  });

  it.each([
    [
      'no certificate property',
      (props: [number, Buffer][]) => props.filter(([id]) => id !== 32),
      'VALUE_MALFORMED',
    ],
    [
      'a certificate property that is not X.509',
      (props: [number, Buffer][]) =>
        props.map(([id, b]): [number, Buffer] => [id, id === 32 ? Buffer.from('3003020101', 'hex') : b]),
      'CRYPTO_PARSE_FAILED',
    ],
    [
      'bytes after the certificate',
      (props: [number, Buffer][]) =>
        props.map(([id, b]): [number, Buffer] => [id, id === 32 ? Buffer.concat([b, Buffer.from([0])]) : b]),
      'CRYPTO_PARSE_FAILED',
    ],
    [
      'a repeated property',
      (props: [number, Buffer][]) => [...props, props[0] as [number, Buffer]],
      'VALUE_MALFORMED',
    ],
  ])('refuses %s', (_name, change, code) => {
    const result = decodeWindowsCertificate(
      reframed({ data: element(change(properties(vector(CERTIFICATE).data))) }),
    );
    expect(result.ok ? 'ok' : result.error.code).toBe(code);
  });

  it('refuses a truncated element', () => {
    const data = vector(CERTIFICATE).data;
    const result = decodeWindowsCertificate(reframed({ data: data.subarray(0, data.length - 7) }));
    expect(result.ok ? 'ok' : result.error.code).toBe('VALUE_TRUNCATED');
  });
});

describe('keys roamed by Windows clients', () => {
  it('classifies the CAPI key as Windows-only, with its container and DPAPI master key', () => {
    expect(classifyWindowsValue(vector('RoamedCredential_ParseCAPIPrivateKey'))).toEqual({
      kind: 'windows-only',
      value: {
        kind: 'private-key',
        provider: 'capi-rsa',
        container: '472576b9-14d6-44c3-bfaf-bccd074d4695',
        masterKeys: ['47070660-c259-4d90-8bc9-187605323450'],
        unreadable: false,
      },
    });
  });

  it('classifies the CNG key as Windows-only, with its DPAPI master key', () => {
    expect(classifyWindowsValue(vector('RoamedCredential_ParseCNGPrivateKey'))).toEqual({
      kind: 'windows-only',
      value: {
        kind: 'private-key',
        provider: 'cng',
        container: null,
        masterKeys: ['563e7e10-0351-4855-8f9a-5c6ba86a2c04'],
        unreadable: false,
      },
    });
  });

  it('marks the unreadable placeholder as such', () => {
    expect(classifyWindowsValue(vector('RoamedCredential_ParseUnreadablePrivateKeyX'))).toEqual({
      kind: 'windows-only',
      value: { kind: 'private-key', provider: 'cng', container: null, masterKeys: [], unreadable: true },
    });
  });

  it('names the DPAPI master key by its GUID', () => {
    expect(classifyWindowsValue(vector('RoamedCredential_ParseDPAPIMasterKey'))).toEqual({
      kind: 'windows-only',
      value: { kind: 'master-key', guid: '7fc19508-7b85-4a7c-9e5d-15f9e00e7ce5' },
    });
  });

  it('leaves tombstones alone', () => {
    const record = vector(CERTIFICATE);
    expect(classifyWindowsValue({ ...record, flags: { ...record.flags, tombstone: true } })).toEqual({
      kind: 'other',
    });
  });
});
