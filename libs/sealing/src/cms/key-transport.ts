import { constants, privateDecrypt, publicEncrypt, type KeyObject } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { algorithmIdOf, type AlgorithmId } from '../asn1/algorithm-id';
import { type Asn1 } from '../asn1/ber';
import { OID } from '../asn1/oids';
import { compileSchema, matchSchema } from '../asn1/schema';
import { absentOrNull, octetsOf, oidOf } from '../asn1/values';
import { DIGESTS } from './primitives';
import { ENCODED } from './encoded-constants';
import { keyTransRecipientId, type RecipientId } from './recipient-id';
import { FAILED, type KeyRecovery } from './recovery';

/**
 * KeyTransRecipientInfo (RFC 5652 section 6.2.1) with RSAES-OAEP, SHA-256 and MGF1-SHA-256 (RFC 8017, RFC 4055):
 * version 0 for a recipient named by IssuerAndSerialNumber, 2 for one named by key identifier.
 */
export function keyTransRecipient(
  publicKey: KeyObject,
  id: RecipientId,
  contentKey: Buffer,
): asn1js.Sequence {
  const encryptedKey = publicEncrypt(
    { key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' },
    contentKey,
  );
  return new asn1js.Sequence({
    value: [
      ENCODED.version('keyId' in id ? 2 : 0),
      keyTransRecipientId(id),
      ENCODED.rsaesOaepSha256(),
      new asn1js.OctetString({ valueHex: encryptedKey }),
    ],
  });
}

/**
 * RSAES-OAEP-params, read from what is present: each of the three fields defaults to SHA-1, MGF1 with SHA-1 and
 * an empty label (RFC 8017 appendix A.2.1). Not pkijs.RSAESOAEPParams, whose default label is SHA-1 of the empty
 * string rather than the empty string.
 */
const OAEP_PARAMETERS = compileSchema<
  'hash' | 'hashParameters' | 'mgf' | 'mgfParameters' | 'source' | 'label'
>(() =>
  pkijs.RSAESOAEPParams.schema({
    names: {
      hashAlgorithm: { names: { algorithmIdentifier: 'hash', algorithmParams: 'hashParameters' } },
      maskGenAlgorithm: { names: { algorithmIdentifier: 'mgf', algorithmParams: 'mgfParameters' } },
      pSourceAlgorithm: { names: { algorithmIdentifier: 'source', algorithmParams: 'label' } },
    },
  }),
);

function oaepParameters(
  parameters: Asn1 | undefined,
): { hash: string; label: Buffer | undefined } | { unsupported: string } {
  // Absent and NULL parameters are both seen for the defaults.
  if (absentOrNull(parameters)) return { hash: 'sha1', label: undefined };
  const found = matchSchema(parameters, OAEP_PARAMETERS);
  if (!found) return { unsupported: 'RSAES-OAEP parameters are malformed' };
  let hash = 'sha1';
  if (found.hash) {
    const name = absentOrNull(found.hashParameters) ? DIGESTS[oidOf(found.hash) ?? ''] : undefined;
    if (!name) return { unsupported: `RSAES-OAEP hash ${oidOf(found.hash) ?? '?'} is not supported` };
    hash = name;
  }
  let mgfHash = 'sha1';
  if (found.mgf) {
    const mgfDigest = algorithmIdOf(found.mgfParameters);
    const name = oidOf(found.mgf) === OID.mgf1 && mgfDigest ? DIGESTS[mgfDigest.oid] : undefined;
    if (!name) return { unsupported: 'RSAES-OAEP mask generation function is not supported' };
    mgfHash = name;
  }
  let label: Buffer | undefined;
  if (found.source) {
    const bytes = found.label instanceof asn1js.OctetString ? octetsOf(found.label) : undefined;
    if (oidOf(found.source) !== OID.pSpecified || bytes === undefined) {
      return { unsupported: 'RSAES-OAEP label source is not supported' };
    }
    label = bytes;
  }
  // node:crypto uses the OAEP hash for MGF1 as well.
  if (mgfHash !== hash)
    return { unsupported: 'RSAES-OAEP with different hash and MGF1 hash is not supported' };
  return { hash, label: label && label.length > 0 ? label : undefined };
}

export function recoverTransportedKey(
  recipient: { algorithm: AlgorithmId; encryptedKey: Buffer },
  privateKey: KeyObject,
): KeyRecovery {
  const { oid, parameters } = recipient.algorithm;
  if (oid === OID.rsaEncryption) {
    return {
      unsupported:
        'RSA PKCS#1 v1.5 key transport is refused (padding-oracle risk, and Node no longer decrypts it); ' +
        'seal with RSAES-OAEP (openssl cms -encrypt -keyopt rsa_padding_mode:oaep)',
    };
  }
  if (oid !== OID.rsaesOaep) return { unsupported: `key transport ${oid} is not supported` };
  if (privateKey.asymmetricKeyType !== 'rsa') return FAILED;
  const oaep = oaepParameters(parameters);
  if ('unsupported' in oaep) return oaep;
  try {
    const key = privateDecrypt(
      {
        key: privateKey,
        padding: constants.RSA_PKCS1_OAEP_PADDING,
        oaepHash: oaep.hash,
        ...(oaep.label ? { oaepLabel: oaep.label } : {}),
      },
      recipient.encryptedKey,
    );
    return { key };
  } catch {
    return FAILED;
  }
}
