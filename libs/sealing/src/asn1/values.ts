import * as asn1js from 'asn1js';
import { elementsOf, type Asn1 } from './ber';

/**
 * The values of asn1js nodes that a schema match has already placed: what each reader needs, read through asn1js'
 * own value blocks. A node of an unexpected kind reads as undefined, never as an exception.
 */

/** The exact bytes a node was decoded from (identifier, length and content). */
export function encodingOf(node: Asn1): Buffer {
  return Buffer.from(node.valueBeforeDecodeView);
}

/**
 * The octets of an OCTET STRING, or of an implicitly tagged one, whether primitive or constructed: BER producers
 * such as Windows and NSS split long strings into segments, which asn1js leaves as a list.
 */
export function octetsOf(node: Asn1 | undefined, depth = 0): Buffer | undefined {
  if (node === undefined || depth > 8) return undefined;
  if (!node.idBlock.isConstructed) {
    const view = (node.valueBlock as { valueHexView?: Uint8Array }).valueHexView;
    return view === undefined ? undefined : Buffer.from(view);
  }
  const segments: Buffer[] = [];
  for (const element of elementsOf(node)) {
    // Inside a constructed string every segment is itself an OCTET STRING (X.690 8.7.3.2).
    if (element.idBlock.tagClass !== 1 || element.idBlock.tagNumber !== 4) return undefined;
    const segment = octetsOf(element, depth + 1);
    if (segment === undefined) return undefined;
    segments.push(segment);
  }
  return Buffer.concat(segments);
}

/** The dotted form of an OBJECT IDENTIFIER as asn1js renders it (arcs beyond 2^53 in braces, see sameOid). */
export function oidOf(node: Asn1 | undefined): string | undefined {
  return node instanceof asn1js.ObjectIdentifier ? node.getValue() : undefined;
}

const encodedOids = new Map<string, Buffer>();

/**
 * Whether an OBJECT IDENTIFIER is `dotted`, compared by encoding: asn1js renders arcs beyond 2^53 (UUID arcs such as
 * credroam's 2.25.…) as hex in braces, so their text cannot be compared with the dotted form.
 */
export function sameOid(node: Asn1 | undefined, dotted: string): boolean {
  if (!(node instanceof asn1js.ObjectIdentifier)) return false;
  let encoded = encodedOids.get(dotted);
  if (encoded === undefined) {
    encoded = Buffer.from(new asn1js.ObjectIdentifier({ value: dotted }).toBER());
    encodedOids.set(dotted, encoded);
  }
  return encodingOf(node).equals(encoded);
}

/** A small non-negative INTEGER (versions, iteration counts); undefined when absent, negative or too large. */
export function smallIntegerOf(node: Asn1 | undefined): number | undefined {
  if (!(node instanceof asn1js.Integer)) return undefined;
  const bytes = node.valueBlock.valueHexView;
  if (bytes.length === 0 || bytes.length > 6 || ((bytes[0] as number) & 0x80) !== 0) return undefined;
  return Buffer.from(bytes).readUIntBE(0, bytes.length);
}

/** The content octets of an INTEGER exactly as encoded (serial numbers are compared and shown byte for byte). */
export function integerContentOf(node: Asn1 | undefined): Buffer | undefined {
  return node instanceof asn1js.Integer ? Buffer.from(node.valueBlock.valueHexView) : undefined;
}

/** The bytes of a BIT STRING holding whole bytes (public keys, signatures); undefined when it is not one. */
export function bitStringBytesOf(node: Asn1 | undefined): Buffer | undefined {
  if (!(node instanceof asn1js.BitString) || node.idBlock.isConstructed) return undefined;
  if (node.valueBlock.unusedBits !== 0) return undefined;
  return Buffer.from(node.valueBlock.valueHexView);
}

/** Whether AlgorithmIdentifier parameters are absent or NULL (both are seen for the same algorithm). */
export function absentOrNull(parameters: Asn1 | undefined): boolean {
  return parameters === undefined || parameters instanceof asn1js.Null;
}

/** The text of a directory string (UTF8String, PrintableString, BMPString …); undefined for anything else. */
export function stringOf(node: Asn1 | undefined): string | undefined {
  if (node === undefined || node.idBlock.isConstructed) return undefined;
  const value = (node.valueBlock as { value?: unknown }).value;
  return typeof value === 'string' ? value : undefined;
}
