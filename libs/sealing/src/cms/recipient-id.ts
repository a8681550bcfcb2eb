import { type KeyObject } from 'node:crypto';
import * as asn1js from 'asn1js';
import { EncodedElement } from '../asn1/encode';
import { type ParsedCertificate } from '../credentials/certificate';
import { publicKeyIdentifier } from '../credentials/key-description';

/** How a recipient is named inside the envelope: by certificate (issuer and serial) or by key identifier. */
export type RecipientId = { issuerDer: Buffer; serialDer: Buffer } | { keyId: Buffer };

export function recipientIdOf(
  target: { certificate: ParsedCertificate } | { publicKey: KeyObject },
): RecipientId {
  if ('certificate' in target) {
    return { issuerDer: target.certificate.issuerDer, serialDer: target.certificate.serialDer };
  }
  return { keyId: publicKeyIdentifier(target.publicKey) };
}

export function sameRecipientId(a: RecipientId, b: RecipientId): boolean {
  if ('issuerDer' in a && 'issuerDer' in b) {
    return a.issuerDer.equals(b.issuerDer) && stripZeros(a.serialDer).equals(stripZeros(b.serialDer));
  }
  if ('keyId' in a && 'keyId' in b) return a.keyId.equals(b.keyId);
  return false;
}

function stripZeros(bytes: Buffer): Buffer {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start += 1;
  return bytes.subarray(start);
}

/**
 * IssuerAndSerialNumber with the certificate's issuer Name and serial copied byte for byte, so that the identifier
 * matches the certificate exactly (re-encoding a decoded Name could normalise it).
 */
function issuerAndSerialNumber(id: { issuerDer: Buffer; serialDer: Buffer }): asn1js.Sequence {
  return new asn1js.Sequence({
    value: [new EncodedElement(id.issuerDer), new asn1js.Integer({ valueHex: id.serialDer })],
  });
}

/** A KeyTransRecipientInfo's rid: IssuerAndSerialNumber, or [0] IMPLICIT SubjectKeyIdentifier. */
export function keyTransRecipientId(id: RecipientId): asn1js.AsnType {
  return 'keyId' in id
    ? new asn1js.Primitive({ idBlock: { tagClass: 3, tagNumber: 0 }, valueHex: id.keyId })
    : issuerAndSerialNumber(id);
}

/** A RecipientEncryptedKey's rid: IssuerAndSerialNumber, or [0] IMPLICIT RecipientKeyIdentifier { ski }. */
export function keyAgreeRecipientId(id: RecipientId): asn1js.AsnType {
  return 'keyId' in id
    ? new asn1js.Constructed({
        idBlock: { tagClass: 3, tagNumber: 0 },
        value: [new asn1js.OctetString({ valueHex: id.keyId })],
      })
    : issuerAndSerialNumber(id);
}
