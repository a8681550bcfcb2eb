import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { EncodedElement, encode } from '../asn1/encode';
import { OID } from '../asn1/oids';

/**
 * The parts every envelope credroam writes has in common, each built with pkijs or asn1js once and kept as one
 * EncodedElement that every envelope shares (it is never changed by being encoded). asn1js re-derives an OBJECT
 * IDENTIFIER's arcs from its text, and builds four objects per node, on every use: for a download of a few
 * kilobytes that is most of the work of sealing it.
 */
const made = new Map<string, EncodedElement>();

function constant(name: string, make: () => asn1js.AsnType): EncodedElement {
  let node = made.get(name);
  if (node === undefined) {
    node = new EncodedElement(encode(make()));
    made.set(name, node);
  }
  return node;
}

const integer = (value: number) => () => new asn1js.Integer({ value });
const algorithm = (algorithmId: string, algorithmParams?: asn1js.AsnType) => () =>
  new pkijs.AlgorithmIdentifier(
    algorithmParams === undefined ? { algorithmId } : { algorithmId, algorithmParams },
  ).toSchema();

export const ENCODED = {
  oid: (value: string) => constant(`oid ${value}`, () => new asn1js.ObjectIdentifier({ value })),
  /** CMSVersion values (RFC 5652). */
  version: (value: 0 | 2 | 3 | 4) => constant(`version ${value}`, integer(value)),
  /** RSAES-OAEP with SHA-256 and MGF1-SHA-256 (RFC 4055); the label is absent (empty). */
  rsaesOaepSha256: () =>
    constant('rsaesOaepSha256', () => {
      const sha256 = new pkijs.AlgorithmIdentifier({ algorithmId: OID.sha256 });
      const parameters = new pkijs.RSAESOAEPParams({
        hashAlgorithm: sha256,
        maskGenAlgorithm: new pkijs.AlgorithmIdentifier({
          algorithmId: OID.mgf1,
          algorithmParams: sha256.toSchema(),
        }),
      });
      return algorithm(OID.rsaesOaep, parameters.toSchema())();
    }),
  /** An AES key wrap; RFC 3565 requires its parameters to be absent. */
  keyWrap: (wrapOid: string) => constant(`wrap ${wrapOid}`, algorithm(wrapOid)),
  /** id-ecPublicKey without parameters, for an ephemeral key: RFC 5753 lets the recipient take the curve from its own key. */
  ecPublicKey: () => constant('ecPublicKey', algorithm(OID.ecPublicKey)),
  /** A dhSinglePass-stdDH key agreement with the AES-256 key wrap as its parameter. */
  keyAgreement: (kdfOid: string) =>
    constant(`agreement ${kdfOid}`, algorithm(kdfOid, algorithm(OID.aes256Wrap)())),
} as const;
