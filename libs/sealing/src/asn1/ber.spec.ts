import * as asn1js from 'asn1js';
import { CREDROAM_OID } from './oids';
import { decodeBer, elementsOf, isDistinguished } from './ber';
import { EncodedElement, encode, setOf } from './encode';
import { octetsOf, oidOf, sameOid, smallIntegerOf } from './values';

const hex = (text: string) => Buffer.from(text.replace(/\s/g, ''), 'hex');
const codeOf = (bytes: Buffer) => {
  const decoded = decodeBer(bytes, 'thing');
  return decoded.ok ? 'OK' : decoded.error.code;
};

describe('strict BER decoding', () => {
  it('refuses emptiness, truncation and trailing bytes with a typed error', () => {
    const der = hex('3006 020101 040161');
    expect(codeOf(der)).toBe('OK');
    for (const input of [
      Buffer.alloc(0),
      der.subarray(0, der.length - 1),
      Buffer.concat([der, Buffer.of(0)]),
    ]) {
      expect(codeOf(input)).toBe('CRYPTO_PARSE_FAILED');
    }
  });

  it('refuses an element that runs past the length its enclosing value declares (asn1js accepts it)', () => {
    expect(asn1js.fromBER(hex('3003 0205 0102030405')).offset).not.toBe(-1);
    expect(codeOf(hex('3003 0205 0102030405'))).toBe('CRYPTO_PARSE_FAILED');
    expect(codeOf(hex('a002 3003 020101'))).toBe('CRYPTO_PARSE_FAILED');
  });

  it('survives absurd nesting without crashing', () => {
    const depth = 100_000;
    const nested = Buffer.concat([Buffer.alloc(depth * 2).fill(hex('3080')), Buffer.alloc(depth * 2)]);
    expect(codeOf(nested)).toBe('CRYPTO_PARSE_FAILED');
  });

  it('reads the segments of a constructed OCTET STRING as one value, as BER producers write it', () => {
    const decoded = decodeBer(hex('2480 040161 040162 0000'), 'segmented');
    expect(decoded.ok && octetsOf(decoded.value)?.toString()).toBe('ab');
  });
});

describe('DER form', () => {
  const distinguished = (bytes: Buffer) => {
    const decoded = decodeBer(bytes, 'thing');
    return decoded.ok && isDistinguished(decoded.value);
  };

  it('accepts DER and refuses indefinite or long-form lengths and segmented strings', () => {
    expect(distinguished(hex('3006 020101 040161'))).toBe(true);
    expect(distinguished(encode(new asn1js.OctetString({ valueHex: Buffer.alloc(300) })))).toBe(true);
    expect(distinguished(hex('3080 020101 040161 0000'))).toBe(false);
    expect(distinguished(hex('308106 020101 040161'))).toBe(false);
    expect(distinguished(hex('3007 020101 048101 61'))).toBe(false);
    expect(distinguished(hex('2406 040161 040162'))).toBe(false);
  });
});

describe('writing', () => {
  it('orders a SET OF by encoding and places encoded elements as they are', () => {
    const set = setOf([hex('020103'), hex('020101'), hex('020102')]);
    const decoded = decodeBer(encode(set), 'set');
    expect(decoded.ok && elementsOf(decoded.value).map(smallIntegerOf)).toEqual([1, 2, 3]);
    const wrapped = encode(
      new asn1js.Sequence({ value: [new EncodedElement(hex('0500')), new asn1js.Integer({ value: 7 })] }),
    );
    expect(wrapped).toEqual(hex('3005 0500 020107'));
  });

  it('compares object identifiers with arcs beyond 2^53 by encoding', () => {
    const der = encode(new asn1js.ObjectIdentifier({ value: CREDROAM_OID.storageMac }));
    const decoded = decodeBer(der, 'oid');
    if (!decoded.ok) throw new Error('not decoded');
    expect(oidOf(decoded.value)).not.toBe(CREDROAM_OID.storageMac); // asn1js shows the long arc in hex
    expect(sameOid(decoded.value, CREDROAM_OID.storageMac)).toBe(true);
    expect(sameOid(decoded.value, `${CREDROAM_OID.storageMac}.1`)).toBe(false);
  });
});
