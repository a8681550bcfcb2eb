import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';

/** What pkijs objects and asn1js nodes have in common: an encoding. */
export interface Encodable {
  toBER(sizeOnly?: boolean): ArrayBuffer;
}

/** The DER of an asn1js node (pkijs' toSchema() output): definite lengths, as asn1js writes them. */
export function encode(node: Encodable): Buffer {
  return Buffer.from(node.toBER(false));
}

/**
 * An element encoded already, placed as those bytes inside a structure asn1js encodes. Used where the exact
 * encoding of a part is needed on its own as well (the storage MAC covers three parts of the envelope, and SET OF
 * is ordered by encoding), and for constant parts, so that nothing is encoded twice: asn1js re-derives every
 * OBJECT IDENTIFIER arc and copies every node's bytes once per level on each encoding, which makes encoding, not
 * cryptography, most of the cost of sealing a small value.
 */
export class EncodedElement extends asn1js.Sequence {
  // A Sequence by type only, so that it fits where pkijs expects an AlgorithmIdentifier or a Name: it holds no
  // elements and writes its own bytes, whatever they encode.
  private readonly der: ArrayBuffer;

  constructor(der: Uint8Array) {
    super();
    // Inside a structure asn1js copies what an element writes into its parent, so bytes that fill a buffer of
    // their own (what encode() returns) are written as they are; anything else is copied once, here.
    const whole =
      der.byteOffset === 0 && der.byteLength === der.buffer.byteLength && der.buffer instanceof ArrayBuffer;
    this.der = whole ? (der.buffer as ArrayBuffer) : new Uint8Array(der).buffer;
  }

  override toBER(sizeOnly?: boolean, writer?: asn1js.ViewWriter): ArrayBuffer {
    if (!writer) return sizeOnly ? new ArrayBuffer(this.der.byteLength) : this.der.slice(0); // the caller's own
    const bytes = sizeOnly ? new ArrayBuffer(this.der.byteLength) : this.der;
    writer.write(bytes);
    return bytes;
  }
}

/** DER's SET OF: the elements ordered by their encodings (asn1js writes a Set in the order given). */
export function setOf(encodings: readonly Uint8Array[]): asn1js.Set {
  const sorted = [...encodings].sort(Buffer.compare);
  return new asn1js.Set({ value: sorted.map((der) => new EncodedElement(der)) });
}

/** An AlgorithmIdentifier kept as the bytes it was read or made as, for pkijs objects that hold one. */
export class EncodedAlgorithmIdentifier extends pkijs.AlgorithmIdentifier {
  constructor(private readonly der: Uint8Array) {
    super();
  }

  override toSchema(): asn1js.Sequence {
    return new EncodedElement(this.der);
  }
}
