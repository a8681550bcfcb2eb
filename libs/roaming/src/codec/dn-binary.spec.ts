import fc from 'fast-check';
import { checkProperty } from '../testing/property-check';
import { isErrorCode, type ErrorCode, type Result } from '../errors';
import { sameDn } from '../directory/distinguished-name';
import { decodeDnBinary, encodeDnBinary, MAX_DN_LENGTH } from './dn-binary';
import { MAX_ENCODED_VALUE_BYTES } from './value-limits';

const DN = 'CN=Alice Smith,OU=People,DC=credroam,DC=test';

function expectCode(result: Result<unknown>, code: ErrorCode): void {
  expect(result.ok ? 'ok' : result.error.code).toBe(code);
}

describe('DN-Binary', () => {
  it('writes B:<count of hex digits>:<upper-case hex>:<DN>', () => {
    expect(encodeDnBinary(Buffer.from([0x25, 0xab, 0x0f]), DN)).toBe(`B:6:25AB0F:${DN}`);
    expect(encodeDnBinary(Buffer.alloc(0), DN)).toBe(`B:0::${DN}`);
  });

  it('reads lower-case hex and a DN that contains colons', () => {
    const dn = 'CN=host\\:8080,OU=a:b,DC=test';
    expect(decodeDnBinary(`B:4:abCD:${dn}`)).toEqual({
      ok: true,
      value: { bytes: Buffer.from([0xab, 0xcd]), dn },
    });
  });

  it('accepts the expected DN in another case and with spaces after commas', () => {
    const decoded = decodeDnBinary(`B:2:00:${DN}`, 'cn=alice smith, ou=people,  dc=CREDROAM,dc=test');
    expect(decoded.ok).toBe(true);
  });

  it('refuses a value that names another entry', () => {
    expectCode(
      decodeDnBinary(`B:2:00:${DN}`, 'CN=Bob,OU=People,DC=credroam,DC=test'),
      'DN_BINARY_DN_MISMATCH',
    );
  });

  it('keeps spaces after an escaped comma significant', () => {
    expect(sameDn('CN=Smith\\, John,DC=test', 'CN=Smith\\,John,DC=test')).toBe(false);
    expect(sameDn('CN=Smith\\, John, DC=test', 'cn=smith\\, john,dc=test')).toBe(true);
  });

  it.each([
    ['no B: prefix', `X:2:00:${DN}`],
    ['a lower-case prefix', `b:2:00:${DN}`],
    ['a signed count', `B:+2:00:${DN}`],
    ['a negative count', `B:-2:00:${DN}`],
    ['a count with leading zeros', `B:02:00:${DN}`],
    ['an empty count', `B::00:${DN}`],
    ['an odd count', `B:3:000:${DN}`],
    ['a count that disagrees with the hex', `B:4:00:${DN}`],
    ['non-hex digits', `B:2:0G:${DN}`],
    ['no DN', 'B:2:00:'],
    ['no DN separator', 'B:2:00'],
    ['no hex separator', 'B:2'],
    ['spaces in the hex', `B:4:00 0:${DN}`],
  ])('refuses %s with DN_BINARY_MALFORMED', (_label, text) => {
    expectCode(decodeDnBinary(text), 'DN_BINARY_MALFORMED');
  });

  it('refuses oversized input before parsing it', () => {
    expectCode(
      decodeDnBinary('B:'.padEnd(2 * MAX_ENCODED_VALUE_BYTES + MAX_DN_LENGTH + 100, '0')),
      'VALUE_TOO_LARGE',
    );
    expectCode(decodeDnBinary(`B:${2 * MAX_ENCODED_VALUE_BYTES + 2}:00:${DN}`), 'VALUE_TOO_LARGE');
    expectCode(decodeDnBinary(`B:2:00:${'a'.repeat(MAX_DN_LENGTH + 1)}`), 'VALUE_TOO_LARGE');
    expectCode(decodeDnBinary(`B:${'9'.repeat(400)}:00:${DN}`), 'VALUE_TOO_LARGE');
  });

  it('answers a non-string with a typed error', () => {
    expectCode(decodeDnBinary(Buffer.from('B:0::x') as unknown as string), 'DN_BINARY_MALFORMED');
  });

  it('round-trips any bytes with DNs containing commas, colons and escapes', () => {
    const rdnValue = fc.string({
      unit: fc.oneof(
        fc.constantFrom('\\,', '\\2C', '\\\\', ':', ' ', '=', '+', '#', 'é', '\\"'),
        fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 }).filter((ch) => !',\\'.includes(ch)),
      ),
      minLength: 1,
      maxLength: 12,
    });
    const rdns = fc
      .array(fc.tuple(fc.constantFrom('CN', 'OU', 'DC', 'O'), rdnValue), { minLength: 1, maxLength: 5 })
      .map((pairs) => pairs.map(([type, value]) => `${type}=${value}`));
    checkProperty(
      fc.property(fc.uint8Array({ maxLength: 200 }), rdns, (bytes, parts) => {
        const name = parts.join(',');
        const text = encodeDnBinary(bytes, name);
        expect(decodeDnBinary(text, name)).toEqual({
          ok: true,
          value: { bytes: Buffer.from(bytes), dn: name },
        });
        expect(decodeDnBinary(text, parts.join(', ').toUpperCase()).ok).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });

  it('answers any string with a value or a typed error', () => {
    const nearMiss = fc
      .tuple(
        fc.constantFrom('B:', 'b:', '', 'B'),
        fc.oneof(fc.nat({ max: 20 }).map(String), fc.string({ maxLength: 4 })),
        fc.constantFrom(':', '', '::'),
        fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEFxyz: '), maxLength: 24 }),
        fc.constantFrom(':', ''),
        fc.string({ maxLength: 20 }),
      )
      .map((parts) => parts.join(''));
    checkProperty(
      fc.property(
        fc.oneof(fc.string(), fc.string({ unit: 'binary' }), nearMiss),
        fc.option(fc.string()),
        (text, expected) => {
          const result = decodeDnBinary(text, expected ?? undefined);
          expect(result.ok || isErrorCode(result.error.code)).toBe(true);
        },
      ),
      { numRuns: 1000 },
    );
  });
});
