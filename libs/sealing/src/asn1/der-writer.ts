/**
 * A minimal DER writer for the structures credroam emits (CMS envelopes). Each function returns the complete
 * encoding of one element, so a structure is written as nested calls and the bytes are exactly DER: definite
 * lengths, minimal integers, SET OF sorted. pkijs' own encoders are avoided for output because they split
 * encrypted content into indefinite-length constructed strings (valid BER, but not DER and not stable bytes to
 * authenticate).
 */

const UNIVERSAL = {
  integer: 0x02,
  bitString: 0x03,
  octetString: 0x04,
  null: 0x05,
  oid: 0x06,
  utf8String: 0x0c,
  sequence: 0x30,
  set: 0x31,
} as const;

function encodeLength(length: number): Buffer {
  if (length < 0x80) return Buffer.of(length);
  const bytes: number[] = [];
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

/** One tag-length-value element; `tag` is the whole identifier octet (tags above 30 are never needed here). */
export function tlv(tag: number, ...content: Uint8Array[]): Buffer {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.of(tag), encodeLength(body.length), body]);
}

export const sequence = (...elements: Uint8Array[]): Buffer => tlv(UNIVERSAL.sequence, ...elements);

/** SET OF: DER orders the elements by their encodings. */
export function setOf(...elements: Uint8Array[]): Buffer {
  const sorted = elements.map((element) => Buffer.from(element)).sort(Buffer.compare);
  return tlv(UNIVERSAL.set, ...sorted);
}

export const octetString = (value: Uint8Array): Buffer => tlv(UNIVERSAL.octetString, value);

export const utf8String = (value: string): Buffer => tlv(UNIVERSAL.utf8String, Buffer.from(value, 'utf8'));

export const nullValue = (): Buffer => Buffer.of(UNIVERSAL.null, 0);

/** A BIT STRING holding whole bytes (no unused bits), as public keys are. */
export const bitString = (value: Uint8Array): Buffer => tlv(UNIVERSAL.bitString, Buffer.of(0), value);

/** A non-negative INTEGER from a number or from big-endian magnitude bytes. */
export function integer(value: number | Uint8Array): Buffer {
  let bytes: Buffer;
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value) || value < 0)
      throw new RangeError('integer must be a safe non-negative');
    const digits: number[] = [];
    for (let rest = value; rest > 0; rest = Math.floor(rest / 256)) digits.unshift(rest & 0xff);
    bytes = Buffer.from(digits.length ? digits : [0]);
  } else {
    let start = 0;
    while (start < value.length - 1 && value[start] === 0) start += 1;
    bytes = Buffer.from(value.subarray(start));
    if (bytes.length === 0) bytes = Buffer.of(0);
  }
  // A set high bit would read as negative: prefix a zero byte.
  if ((bytes[0] as number) & 0x80) bytes = Buffer.concat([Buffer.of(0), bytes]);
  return tlv(UNIVERSAL.integer, bytes);
}

export function objectIdentifier(dotted: string): Buffer {
  const arcs = dotted.split('.').map((arc) => {
    if (!/^\d+$/.test(arc)) throw new RangeError(`invalid object identifier ${dotted}`);
    return BigInt(arc);
  });
  const [first, second, ...rest] = arcs;
  if (first === undefined || second === undefined || first > 2n) {
    throw new RangeError(`invalid object identifier ${dotted}`);
  }
  const body: number[] = [];
  for (const arc of [first * 40n + second, ...rest]) {
    const groups: number[] = [];
    let remaining = arc;
    do {
      groups.unshift(Number(remaining & 0x7fn));
      remaining >>= 7n;
    } while (remaining > 0n);
    body.push(...groups.map((group, index) => (index < groups.length - 1 ? group | 0x80 : group)));
  }
  return tlv(UNIVERSAL.oid, Buffer.from(body));
}

/** AlgorithmIdentifier; parameters omitted when undefined (RFC 3565 requires that for AES key wrap). */
export function algorithmIdentifier(oid: string, parameters?: Uint8Array): Buffer {
  return parameters === undefined
    ? sequence(objectIdentifier(oid))
    : sequence(objectIdentifier(oid), parameters);
}

/** [n] EXPLICIT: a constructed context-specific wrapper around complete elements. */
export const explicit = (tagNumber: number, ...elements: Uint8Array[]): Buffer =>
  tlv(0xa0 | tagNumber, ...elements);

/** [n] IMPLICIT over a constructed type (SEQUENCE, SET): the same content under a context-specific tag. */
export const implicitConstructed = (tagNumber: number, ...elements: Uint8Array[]): Buffer =>
  tlv(0xa0 | tagNumber, ...elements);

/** [n] IMPLICIT over a primitive type (OCTET STRING): raw content under a context-specific tag. */
export const implicitPrimitive = (tagNumber: number, content: Uint8Array): Buffer =>
  tlv(0x80 | tagNumber, content);

export const booleanValue = (value: boolean): Buffer => Buffer.of(0x01, 0x01, value ? 0xff : 0x00);

/** A BIT STRING with `unusedBits` trailing bits unused (KeyUsage flags). */
export const bitStringWithUnused = (value: Uint8Array, unusedBits: number): Buffer =>
  tlv(0x03, Buffer.of(unusedBits), value);

/** RFC 5280 Time: UTCTime through 2049, GeneralizedTime from 2050, whole seconds, UTC. */
export function time(date: Date): Buffer {
  const iso = date.toISOString(); // YYYY-MM-DDTHH:MM:SS.sssZ
  const year = date.getUTCFullYear();
  const digits = iso.slice(0, 19).replace(/[-T:]/g, '');
  if (year >= 1950 && year < 2050) return tlv(0x17, Buffer.from(`${digits.slice(2)}Z`, 'ascii'));
  return tlv(0x18, Buffer.from(`${digits}Z`, 'ascii'));
}
