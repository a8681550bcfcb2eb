import * as asn1js from 'asn1js';
import { fail, ok, type Result } from '@credroam/roaming';

/**
 * Reading untrusted DER with asn1js: every entry point returns a Result, never throws, and refuses trailing bytes
 * (a structure followed by anything is not the structure). asn1js recurses per nesting level, so absurd nesting
 * ends as a caught RangeError rather than a crash.
 */
export type Asn1 = asn1js.AsnType;

declare const CHECKED: unique symbol;
/**
 * A node whose tag was checked. The brand matters only to the compiler: with a plain `node is Asn1` predicate,
 * TypeScript would narrow the unchecked branch of an `Asn1 | undefined` to never.
 */
export type CheckedAsn1 = Asn1 & { readonly [CHECKED]: true };

export const TAG_CLASS = { universal: 1, application: 2, context: 3, private: 4 } as const;
export const UNIVERSAL_TAG = {
  integer: 2,
  bitString: 3,
  octetString: 4,
  null: 5,
  oid: 6,
  sequence: 16,
  set: 17,
} as const;

export function parseDer(bytes: Uint8Array, what: string): Result<Asn1> {
  if (bytes.length === 0) return fail('CRYPTO_PARSE_FAILED', `${what} is empty`);
  try {
    const parsed = asn1js.fromBER(bytes);
    if (parsed.offset === -1) {
      return fail('CRYPTO_PARSE_FAILED', `${what} is not valid DER (${parsed.result.error || 'malformed'})`);
    }
    if (parsed.offset !== bytes.length) {
      return fail(
        'CRYPTO_PARSE_FAILED',
        `${what} is followed by ${bytes.length - parsed.offset} stray bytes`,
      );
    }
    if (!lengthsConsistent(parsed.result)) {
      return fail(
        'CRYPTO_PARSE_FAILED',
        `${what} is not valid DER (an element overruns its enclosing length)`,
      );
    }
    return ok(parsed.result);
  } catch (error) {
    return fail('CRYPTO_PARSE_FAILED', `${what} is not valid DER (${describeError(error)})`);
  }
}

/**
 * asn1js lets the elements of a constructed value run past the length the value declares; DER does not. Every
 * definite-length constructed node must hold exactly its declared length of elements.
 */
function lengthsConsistent(node: Asn1, depth = 0): boolean {
  if (!node.idBlock.isConstructed) return true;
  if (depth > 64) throw new RangeError('nested too deeply');
  const elements = children(node);
  if (!node.lenBlock.isIndefiniteForm) {
    const declared = node.lenBlock.length;
    const header = node.idBlock.blockLength + node.lenBlock.blockLength;
    const used = elements.reduce((sum, element) => sum + element.valueBeforeDecodeView.length, 0);
    if (used !== declared || node.valueBeforeDecodeView.length !== header + declared) return false;
  }
  return elements.every((element) => lengthsConsistent(element, depth + 1));
}

/** A short, safe description of an exception thrown by a parser (no input echoed back). */
export function describeError(error: unknown): string {
  if (error instanceof RangeError) return 'nested too deeply';
  const message = error instanceof Error ? error.message : String(error);
  return message.length > 200 ? `${message.slice(0, 200)}…` : message;
}

export function isUniversal(node: Asn1 | undefined, tagNumber: number): node is CheckedAsn1 {
  return (
    node !== undefined &&
    node.idBlock.tagClass === TAG_CLASS.universal &&
    node.idBlock.tagNumber === tagNumber
  );
}

export function isContext(node: Asn1 | undefined, tagNumber: number): node is CheckedAsn1 {
  return (
    node !== undefined && node.idBlock.tagClass === TAG_CLASS.context && node.idBlock.tagNumber === tagNumber
  );
}

/** The elements of a constructed node (SEQUENCE, SET, explicit tags); an empty list for a primitive one. */
export function children(node: Asn1): Asn1[] {
  if (!node.idBlock.isConstructed) return [];
  const value = (node.valueBlock as { value?: unknown }).value;
  return Array.isArray(value) ? (value as Asn1[]) : [];
}

/** The exact bytes the node was decoded from (tag, length and content). */
export function rawBytes(node: Asn1): Buffer {
  return Buffer.from(node.valueBeforeDecodeView);
}

/** The content octets of a primitive node. */
export function primitiveContent(node: Asn1): Buffer {
  const view = (node.valueBlock as { valueHexView?: Uint8Array }).valueHexView;
  return Buffer.from(view ?? new Uint8Array(0));
}

/**
 * The value of an OCTET STRING, or of an implicitly tagged one, whether primitive or constructed (BER producers
 * such as Windows split long strings into segments).
 */
export function octetStringValue(node: Asn1, depth = 0): Buffer {
  if (!node.idBlock.isConstructed) return primitiveContent(node);
  if (depth > 8) throw new RangeError('constructed string nested too deeply');
  return Buffer.concat(children(node).map((child) => octetStringValue(child, depth + 1)));
}

/** The bytes of a BIT STRING holding whole bytes (public keys); undefined when it is not one. */
export function bitStringBytes(node: Asn1 | undefined): Buffer | undefined {
  if (!isUniversal(node, UNIVERSAL_TAG.bitString) || node.idBlock.isConstructed) return undefined;
  const block = node.valueBlock as { unusedBits?: number };
  if (block.unusedBits !== 0) return undefined;
  // asn1js keeps the unused-bits octet out of valueHexView.
  return primitiveContent(node);
}

/**
 * The dotted form of an OBJECT IDENTIFIER. Decoded here rather than by asn1js, which prints arcs beyond 2^53
 * (UUID arcs such as credroam's 2.25.…) as hex in braces.
 */
export function oidValue(node: Asn1 | undefined): string | undefined {
  if (!isUniversal(node, UNIVERSAL_TAG.oid) || node.idBlock.isConstructed) return undefined;
  const raw = rawBytes(node);
  const bytes = raw.subarray(raw.length - node.lenBlock.length);
  if (bytes.length === 0 || ((bytes[bytes.length - 1] as number) & 0x80) !== 0) return undefined;
  const arcs: bigint[] = [];
  let arc = 0n;
  for (const byte of bytes) {
    arc = (arc << 7n) | BigInt(byte & 0x7f);
    if ((byte & 0x80) === 0) {
      arcs.push(arc);
      arc = 0n;
    }
  }
  const [first, ...rest] = arcs as [bigint, ...bigint[]];
  const head = first < 40n ? [0n, first] : first < 80n ? [1n, first - 40n] : [2n, first - 80n];
  return [...head, ...rest].join('.');
}

/** A small non-negative INTEGER (versions, iteration counts); undefined when absent, negative or too large. */
export function smallInteger(node: Asn1 | undefined): number | undefined {
  if (!isUniversal(node, UNIVERSAL_TAG.integer)) return undefined;
  const bytes = primitiveContent(node);
  if (bytes.length === 0 || bytes.length > 6 || ((bytes[0] as number) & 0x80) !== 0) return undefined;
  return bytes.readUIntBE(0, bytes.length);
}

/** An AlgorithmIdentifier: its OID and its parameters node (undefined when absent). */
export function algorithm(node: Asn1 | undefined): { oid: string; parameters: Asn1 | undefined } | undefined {
  if (!isUniversal(node, UNIVERSAL_TAG.sequence)) return undefined;
  const [idNode, parameters, ...rest] = children(node);
  const oid = oidValue(idNode);
  if (oid === undefined || rest.length > 0) return undefined;
  return { oid, parameters };
}

/** Whether an AlgorithmIdentifier's parameters are absent or NULL (both are seen for the same algorithm). */
export function absentOrNull(parameters: Asn1 | undefined): boolean {
  return parameters === undefined || isUniversal(parameters, UNIVERSAL_TAG.null);
}
