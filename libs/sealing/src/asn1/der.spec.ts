import * as asn1js from 'asn1js';
import fc from 'fast-check';
import { CREDROAM_OID } from './oids';
import { children, oidValue, parseDer, smallInteger } from './der-reader';
import { integer, objectIdentifier, octetString, sequence, setOf, time } from './der-writer';

describe('DER writer and reader', () => {
  it('encodes object identifiers as asn1js does, including arcs beyond 2^53', () => {
    for (const oid of [
      '1.2.840.113549.1.7.3',
      '2.16.840.1.101.3.4.1.45',
      '0.9.2342.19200300.100.1.25',
      CREDROAM_OID.storageMac,
    ]) {
      const ours = objectIdentifier(oid);
      expect(ours).toEqual(Buffer.from(new asn1js.ObjectIdentifier({ value: oid }).toBER()));
      const parsed = parseDer(ours, 'oid');
      expect(parsed.ok && oidValue(parsed.value)).toBe(oid);
    }
  });

  it('round-trips any object identifier', () => {
    const arc = fc.bigInt({ min: 0n, max: (1n << 130n) - 1n });
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 }),
        fc.integer({ min: 0, max: 39 }),
        fc.array(arc, { maxLength: 6 }),
        (a, b, rest) => {
          const oid = [a, b, ...rest].join('.');
          const parsed = parseDer(objectIdentifier(oid), 'oid');
          expect(parsed.ok && oidValue(parsed.value)).toBe(oid);
        },
      ),
    );
  });

  it('writes minimal two’s-complement integers', () => {
    expect(integer(0).toString('hex')).toBe('020100');
    expect(integer(127).toString('hex')).toBe('02017f');
    expect(integer(128).toString('hex')).toBe('02020080');
    expect(integer(Buffer.from('000080', 'hex')).toString('hex')).toBe('02020080');
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 40 }), (value) => {
        const parsed = parseDer(integer(value), 'integer');
        expect(parsed.ok && smallInteger(parsed.value)).toBe(value);
      }),
    );
  });

  it('uses long-form lengths above 127 bytes and sorts SET OF', () => {
    const long = octetString(Buffer.alloc(300));
    expect(long.subarray(0, 4).toString('hex')).toBe('0482012c');
    const set = setOf(integer(3), integer(1), integer(2));
    const parsed = parseDer(set, 'set');
    expect(parsed.ok && children(parsed.value).map((node) => smallInteger(node))).toEqual([1, 2, 3]);
  });

  it('writes UTCTime before 2050 and GeneralizedTime after', () => {
    expect(time(new Date('2049-12-31T23:59:59Z')).toString('latin1').slice(2)).toBe('491231235959Z');
    expect(time(new Date('2050-01-01T00:00:00Z')).toString('latin1').slice(2)).toBe('20500101000000Z');
  });

  it('refuses trailing bytes, truncation and emptiness with a typed error', () => {
    const der = sequence(integer(1), octetString(Buffer.from('abc')));
    for (const input of [
      Buffer.concat([der, Buffer.of(0)]),
      der.subarray(0, der.length - 1),
      Buffer.alloc(0),
    ]) {
      const parsed = parseDer(input, 'thing');
      expect(parsed.ok).toBe(false);
      if (!parsed.ok) expect(parsed.error.code).toBe('CRYPTO_PARSE_FAILED');
    }
  });

  it('survives absurd nesting without crashing', () => {
    const depth = 100_000;
    const nested = Buffer.concat([
      Buffer.alloc(depth * 2).fill(Buffer.from('3080', 'hex')),
      Buffer.alloc(depth * 2),
    ]);
    const parsed = parseDer(nested, 'nested');
    expect(parsed.ok).toBe(false);
  });
});
