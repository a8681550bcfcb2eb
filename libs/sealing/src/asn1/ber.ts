import * as asn1js from 'asn1js';
import { fail, ok, type Result } from '@credroam/roaming';

/**
 * Decoding untrusted BER with asn1js, strictly: every entry point returns a Result, never throws, and refuses what
 * asn1js lets through. asn1js returns how far it read rather than refusing trailing bytes (a structure followed by
 * anything is not the structure), and it lets the elements of a constructed value run past the length the value
 * declares; both are refused here. Depth and node count are bounded by asn1js' own limits.
 */
export type Asn1 = asn1js.AsnType;

/** Below asn1js' default of 100: nothing credroam reads nests deeper than a dozen levels. */
const MAX_DEPTH = 64;

export function decodeBer(bytes: Uint8Array, what: string): Result<Asn1> {
  if (bytes.length === 0) return fail('CRYPTO_PARSE_FAILED', `${what} is empty`);
  try {
    // What asn1js would find inside OCTET and BIT STRINGs is never read here, and every value read is copied out
    // (values.ts): neither looking inside strings nor copying the input first saves a tenth of the time.
    const parsed = asn1js.fromBER(bytes, { maxDepth: MAX_DEPTH, parseEmbedded: false, copyInput: false });
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

/** The elements of a constructed node (SEQUENCE, SET, [n]); none for a primitive one. */
export function elementsOf(node: Asn1): Asn1[] {
  if (!node.idBlock.isConstructed) return [];
  const value = (node.valueBlock as { value?: unknown }).value;
  return Array.isArray(value) ? (value as Asn1[]) : [];
}

/** Every definite-length constructed node must hold exactly its declared length of elements. */
function lengthsConsistent(node: Asn1): boolean {
  if (!node.idBlock.isConstructed) return true;
  const elements = elementsOf(node);
  if (!node.lenBlock.isIndefiniteForm) {
    const declared = node.lenBlock.length;
    const header = node.idBlock.blockLength + node.lenBlock.blockLength;
    const used = elements.reduce((sum, element) => sum + element.valueBeforeDecodeView.length, 0);
    if (used !== declared || node.valueBeforeDecodeView.length !== header + declared) return false;
  }
  return elements.every(lengthsConsistent);
}

/**
 * Whether a decoded value is in DER's one encoding (asn1js has no DER mode): one-octet identifiers, definite and
 * minimal lengths, and strings in one primitive piece. With the structure fixed by a schema, a value that passes
 * has no byte that could change without changing what it says.
 */
export function isDistinguished(node: Asn1): boolean {
  const { idBlock, lenBlock } = node;
  if (idBlock.blockLength !== 1 || lenBlock.isIndefiniteForm) return false;
  if (lenBlock.blockLength !== minimalLengthOctets(lenBlock.length)) return false;
  const universal = idBlock.tagClass === 1;
  if (universal && idBlock.isConstructed && (idBlock.tagNumber === 3 || idBlock.tagNumber === 4))
    return false;
  return elementsOf(node).every(isDistinguished);
}

function minimalLengthOctets(length: number): number {
  if (length < 0x80) return 1;
  let octets = 1;
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) octets += 1;
  return octets;
}

/** A short, safe description of an exception thrown by a parser (no input echoed back). */
export function describeError(error: unknown): string {
  if (error instanceof RangeError) return 'nested too deeply';
  const message = error instanceof Error ? error.message : String(error);
  return message.length > 200 ? `${message.slice(0, 200)}…` : message;
}
