import { createECDH, createPublicKey, diffieHellman, type KeyObject } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { algorithmIdOf, type AlgorithmId } from '../asn1/algorithm-id';
import { EncodedAlgorithmIdentifier, EncodedElement, encode } from '../asn1/encode';
import { OID } from '../asn1/oids';
import { curveName, publicKeyBits } from '../credentials/key-description';
import { encodingOf } from '../asn1/values';
import { wipe } from '../limits';
import { ENCODED } from './encoded-constants';
import { KEY_WRAPS, unwrapKey, wrapKey, x963Kdf } from './primitives';
import { CURVES, KDF_DIGESTS } from './recipient-info';
import { keyAgreeRecipientId, type RecipientId } from './recipient-id';
import { FAILED, type KeyRecovery } from './recovery';

/**
 * ECC-CMS-SharedInfo (RFC 5753 section 7.2), the X9.63 KDF's input besides the shared secret: the key wrap
 * algorithm exactly as the envelope names it, the user keying material when the originator sent some, and the
 * wrapped key's length in bits.
 */
function sharedInfo(wrapAlgorithm: Buffer, ukm: Buffer | undefined, keyBits: number): Buffer {
  const bits = Buffer.alloc(4);
  bits.writeUInt32BE(keyBits);
  return encode(
    new pkijs.ECCCMSSharedInfo({
      keyInfo: new EncodedAlgorithmIdentifier(wrapAlgorithm),
      ...(ukm ? { entityUInfo: new asn1js.OctetString({ valueHex: ukm }) } : {}),
      suppPubInfo: new asn1js.OctetString({ valueHex: bits }),
    }).toSchema(),
  );
}

// A device receives a batch of envelopes under one key object: the identifier its key gives it is encoded once.
const keyIdentifiers = new WeakMap<KeyObject, EncodedElement>();

function recipientIdentifier(publicKey: KeyObject, id: RecipientId): asn1js.AsnType {
  if (!('keyId' in id)) return keyAgreeRecipientId(id);
  let encoded = keyIdentifiers.get(publicKey);
  if (encoded === undefined) {
    encoded = new EncodedElement(encode(keyAgreeRecipientId(id)));
    keyIdentifiers.set(publicKey, encoded);
  }
  return encoded;
}

/** What credroam's own envelopes feed the KDF: the AES-256 key wrap, no ukm, 256 bits. */
let sealingSharedInfo: Buffer | undefined;

/**
 * KeyAgreeRecipientInfo (RFC 5652 section 6.2.2): ephemeral-static ECDH (dhSinglePass-stdDH-shaXkdf-scheme, RFC
 * 5753) with an AES-256 key wrap. The ephemeral public key travels as originatorKey with absent parameters, as RFC
 * 5753 advises and OpenSSL writes; recipients take the curve from their own key.
 */
export function keyAgreeRecipient(
  publicKey: KeyObject,
  curve: string,
  id: RecipientId,
  contentKey: Buffer,
): asn1js.Constructed {
  const parameters = CURVES[curve];
  if (!parameters) throw new Error(`unsupported curve ${curve}`);
  const ephemeral = createECDH(parameters.ecdhName);
  ephemeral.generateKeys();
  const secret = ephemeral.computeSecret(publicKeyBits(publicKey));
  sealingSharedInfo ??= sharedInfo(encode(ENCODED.keyWrap(OID.aes256Wrap)), undefined, 256);
  const keyEncryptionKey = x963Kdf(parameters.digest, secret, sealingSharedInfo, 32);
  const encryptedKey = wrapKey('id-aes256-wrap', keyEncryptionKey, contentKey);
  wipe(secret, keyEncryptionKey);
  // [1] IMPLICIT { version 3, originator [0] { originatorKey [1] { algorithm, publicKey } }, keyEncryptionAlgorithm,
  //                recipientEncryptedKeys SEQUENCE OF { rid, encryptedKey } }
  return new asn1js.Constructed({
    idBlock: { tagClass: 3, tagNumber: 1 },
    value: [
      ENCODED.version(3),
      new asn1js.Constructed({
        idBlock: { tagClass: 3, tagNumber: 0 },
        value: [
          new asn1js.Constructed({
            idBlock: { tagClass: 3, tagNumber: 1 },
            value: [ENCODED.ecPublicKey(), new asn1js.BitString({ valueHex: ephemeral.getPublicKey() })],
          }),
        ],
      }),
      ENCODED.keyAgreement(parameters.kdfOid),
      new asn1js.Sequence({
        value: [
          new asn1js.Sequence({
            value: [recipientIdentifier(publicKey, id), new asn1js.OctetString({ valueHex: encryptedKey })],
          }),
        ],
      }),
    ],
  });
}

export function recoverAgreedKey(
  recipient: { algorithm: AlgorithmId; originatorPoint: Buffer | undefined; ukm: Buffer | undefined },
  encryptedKey: Buffer,
  privateKey: KeyObject,
): KeyRecovery {
  const { oid, parameters } = recipient.algorithm;
  const digest = KDF_DIGESTS[oid];
  if (!digest) return { unsupported: `key agreement ${oid} is not supported (use dhSinglePass-stdDH)` };
  // The key wrap is the key agreement algorithm's parameter.
  const wrapOid = algorithmIdOf(parameters)?.oid;
  const wrap = wrapOid === undefined ? undefined : KEY_WRAPS[wrapOid];
  if (!wrap || !parameters) {
    return { unsupported: 'key agreement key wrap is not supported (use AES key wrap)' };
  }
  const curve = privateKey.asymmetricKeyType === 'ec' ? CURVES[curveName(privateKey) ?? ''] : undefined;
  if (!curve || !recipient.originatorPoint) return FAILED;
  let secret: Buffer;
  try {
    // The originator's point on our curve, as a SubjectPublicKeyInfo OpenSSL can load (it checks the point).
    const spki = new pkijs.PublicKeyInfo({
      algorithm: new pkijs.AlgorithmIdentifier({
        algorithmId: OID.ecPublicKey,
        algorithmParams: new asn1js.ObjectIdentifier({ value: curve.oid }),
      }),
      subjectPublicKey: new asn1js.BitString({ valueHex: recipient.originatorPoint }),
    });
    const peer = createPublicKey({ key: encode(spki.toSchema()), format: 'der', type: 'spki' });
    secret = diffieHellman({ privateKey, publicKey: peer });
  } catch {
    // Not a point on our curve: OpenSSL checks, which also rules out invalid-curve attacks.
    return FAILED;
  }
  // The KDF covers the wrap AlgorithmIdentifier exactly as the sender wrote it (parameters absent or NULL).
  const keyEncryptionKey = x963Kdf(
    digest,
    secret,
    sharedInfo(encodingOf(parameters), recipient.ukm, wrap.keyLength * 8),
    wrap.keyLength,
  );
  const key = unwrapKey(wrap.name, keyEncryptionKey, encryptedKey);
  wipe(secret, keyEncryptionKey);
  return key ? { key } : FAILED;
}
