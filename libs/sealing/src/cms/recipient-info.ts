import {
  constants,
  createECDH,
  createPublicKey,
  diffieHellman,
  privateDecrypt,
  publicEncrypt,
  type KeyObject,
} from 'node:crypto';
import {
  absentOrNull,
  algorithm,
  bitStringBytes,
  children,
  isContext,
  isUniversal,
  octetStringValue,
  primitiveContent,
  rawBytes,
  UNIVERSAL_TAG,
  type Asn1,
} from '../asn1/der-reader';
import {
  algorithmIdentifier,
  bitString,
  explicit,
  implicitConstructed,
  implicitPrimitive,
  integer,
  objectIdentifier,
  octetString,
  sequence,
  tlv,
} from '../asn1/der-writer';
import { OID } from '../asn1/oids';
import { type ParsedCertificate } from '../credentials/certificate';
import { curveName, publicKeyBits, publicKeyIdentifier } from '../credentials/key-description';
import { wipe } from '../limits';
import { DIGESTS, KEY_WRAPS, unwrapKey, wrapKey, x963Kdf } from './primitives';

/** How a recipient is named inside the envelope: by certificate (issuer and serial) or by key identifier. */
export type RecipientId = { issuerDer: Buffer; serialDer: Buffer } | { keyId: Buffer };

/** ECDH parameters per curve: RFC 5753's single-pass standard DH with the curve's matching KDF hash. */
const CURVES: Record<string, { oid: string; ecdhName: string; kdfOid: string; digest: string }> = {
  'P-256': {
    oid: OID.prime256v1,
    ecdhName: 'prime256v1',
    kdfOid: OID.dhSinglePassStdDhSha256Kdf,
    digest: 'sha256',
  },
  'P-384': {
    oid: OID.secp384r1,
    ecdhName: 'secp384r1',
    kdfOid: OID.dhSinglePassStdDhSha384Kdf,
    digest: 'sha384',
  },
  'P-521': {
    oid: OID.secp521r1,
    ecdhName: 'secp521r1',
    kdfOid: OID.dhSinglePassStdDhSha512Kdf,
    digest: 'sha512',
  },
};

const KDF_DIGESTS: Record<string, string> = {
  [OID.dhSinglePassStdDhSha1Kdf]: 'sha1',
  [OID.dhSinglePassStdDhSha224Kdf]: 'sha224',
  [OID.dhSinglePassStdDhSha256Kdf]: 'sha256',
  [OID.dhSinglePassStdDhSha384Kdf]: 'sha384',
  [OID.dhSinglePassStdDhSha512Kdf]: 'sha512',
};

export const MIN_RSA_BITS = 2048;

/** The recipient kinds a key supports, or why it cannot be one. */
export function recipientKeyKind(
  key: KeyObject,
): { kind: 'rsa' } | { kind: 'ec'; curve: string } | { error: string } {
  if (key.asymmetricKeyType === 'rsa') {
    const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
    return bits >= MIN_RSA_BITS
      ? { kind: 'rsa' }
      : { error: `RSA keys below ${MIN_RSA_BITS} bits are refused (got ${bits})` };
  }
  if (key.asymmetricKeyType === 'ec') {
    const curve = curveName(key);
    return curve && CURVES[curve]
      ? { kind: 'ec', curve }
      : { error: 'only P-256, P-384 and P-521 EC keys are supported' };
  }
  return {
    error: `${key.asymmetricKeyType ?? 'unknown'} keys cannot receive an envelope (use RSA or EC P-256)`,
  };
}

function encodeRecipientId(id: RecipientId, keyIdTag: number): Buffer {
  // The serial is copied as its exact INTEGER content so the identifier matches the certificate byte for byte.
  if ('issuerDer' in id) return sequence(id.issuerDer, tlv(0x02, id.serialDer));
  return keyIdTag === 0x80 ? implicitPrimitive(0, id.keyId) : implicitConstructed(0, octetString(id.keyId));
}

export function recipientIdOf(
  target: { certificate: ParsedCertificate } | { publicKey: KeyObject },
): RecipientId {
  if ('certificate' in target) {
    return { issuerDer: target.certificate.issuerDer, serialDer: target.certificate.serialDer };
  }
  return { keyId: publicKeyIdentifier(target.publicKey) };
}

/** KeyTransRecipientInfo with RSAES-OAEP, SHA-256 and MGF1-SHA-256 (RFC 8017, RFC 4055). */
export function keyTransRecipient(publicKey: KeyObject, id: RecipientId, contentKey: Buffer): Buffer {
  const encryptedKey = publicEncrypt(
    { key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' },
    contentKey,
  );
  const sha256 = algorithmIdentifier(OID.sha256);
  const oaepParameters = sequence(explicit(0, sha256), explicit(1, algorithmIdentifier(OID.mgf1, sha256)));
  return sequence(
    integer('issuerDer' in id ? 0 : 2),
    encodeRecipientId(id, 0x80),
    algorithmIdentifier(OID.rsaesOaep, oaepParameters),
    octetString(encryptedKey),
  );
}

function sharedInfo(wrapAlgorithm: Buffer, ukm: Buffer | undefined, keyBits: number): Buffer {
  const bits = Buffer.alloc(4);
  bits.writeUInt32BE(keyBits);
  return sequence(
    wrapAlgorithm,
    ...(ukm ? [explicit(0, octetString(ukm))] : []),
    explicit(2, octetString(bits)),
  );
}

/**
 * KeyAgreeRecipientInfo: ephemeral-static ECDH (dhSinglePass-stdDH-shaXkdf-scheme, RFC 5753) with an AES-256 key
 * wrap. The ephemeral public key travels as originatorKey with absent parameters, as RFC 5753 advises and OpenSSL
 * writes; recipients take the curve from their own key.
 */
export function keyAgreeRecipient(
  publicKey: KeyObject,
  curve: string,
  id: RecipientId,
  contentKey: Buffer,
): Buffer {
  const parameters = CURVES[curve];
  if (!parameters) throw new Error(`unsupported curve ${curve}`);
  const recipientPoint = publicKeyBits(publicKey);
  const ephemeral = createECDH(parameters.ecdhName);
  ephemeral.generateKeys();
  const secret = ephemeral.computeSecret(recipientPoint);
  const wrapAlgorithm = algorithmIdentifier(OID.aes256Wrap);
  const keyEncryptionKey = x963Kdf(parameters.digest, secret, sharedInfo(wrapAlgorithm, undefined, 256), 32);
  const encryptedKey = wrapKey('id-aes256-wrap', keyEncryptionKey, contentKey);
  wipe(secret, keyEncryptionKey);
  return implicitConstructed(
    1,
    integer(3),
    explicit(
      0,
      implicitConstructed(1, algorithmIdentifier(OID.ecPublicKey), bitString(ephemeral.getPublicKey())),
    ),
    algorithmIdentifier(parameters.kdfOid, wrapAlgorithm),
    sequence(sequence(encodeRecipientId(id, 0xa0), octetString(encryptedKey))),
  );
}

/** KEKRecipientInfo: the content key wrapped under a shared symmetric key (RFC 3394 AES key wrap). */
export function kekRecipient(keyEncryptionKey: Buffer, keyId: Buffer, contentKey: Buffer): Buffer {
  const wrapOid = Object.entries(KEY_WRAPS).find(
    ([, wrap]) => wrap.keyLength === keyEncryptionKey.length,
  )?.[0];
  if (!wrapOid) throw new Error('a key-encryption key must be 16, 24 or 32 bytes');
  const wrap = KEY_WRAPS[wrapOid] as { name: string };
  return implicitConstructed(
    2,
    integer(4),
    sequence(octetString(keyId)),
    algorithmIdentifier(wrapOid),
    octetString(wrapKey(wrap.name, keyEncryptionKey, contentKey)),
  );
}

// ---------------------------------------------------------------------------------------------------------------
// reading

export type ParsedRecipient =
  | { kind: 'key-transport'; id: RecipientId; algorithm: Asn1; encryptedKey: Buffer }
  | {
      kind: 'key-agreement';
      originatorPoint: Buffer | undefined;
      ukm: Buffer | undefined;
      algorithm: Asn1;
      keys: { id: RecipientId; encryptedKey: Buffer }[];
    }
  | { kind: 'kek'; keyId: Buffer; algorithm: Asn1; encryptedKey: Buffer }
  | { kind: 'unsupported'; description: string };

function readRecipientId(node: Asn1 | undefined): RecipientId | undefined {
  if (node === undefined) return undefined;
  if (isUniversal(node, UNIVERSAL_TAG.sequence)) {
    const [issuer, serial] = children(node);
    if (!isUniversal(issuer, UNIVERSAL_TAG.sequence) || !isUniversal(serial, UNIVERSAL_TAG.integer))
      return undefined;
    return { issuerDer: rawBytes(issuer), serialDer: primitiveContent(serial) };
  }
  if (isContext(node, 0)) {
    // ktri: [0] IMPLICIT SubjectKeyIdentifier; kari: [0] IMPLICIT RecipientKeyIdentifier { ski, date?, other? }
    if (!node.idBlock.isConstructed) return { keyId: primitiveContent(node) };
    const first = children(node)[0];
    if (isUniversal(first, UNIVERSAL_TAG.octetString)) return { keyId: octetStringValue(first) };
  }
  return undefined;
}

export function readRecipient(node: Asn1): ParsedRecipient | undefined {
  const parts = children(node);
  if (isUniversal(node, UNIVERSAL_TAG.sequence)) {
    const [, ridNode, algorithmNode, keyNode] = parts;
    const id = readRecipientId(ridNode);
    if (!id || !algorithmNode || !isUniversal(keyNode, UNIVERSAL_TAG.octetString)) return undefined;
    return { kind: 'key-transport', id, algorithm: algorithmNode, encryptedKey: octetStringValue(keyNode) };
  }
  if (isContext(node, 1)) {
    const [, originatorNode, ...rest] = parts;
    if (!isContext(originatorNode, 0)) return undefined;
    const ukmNode = isContext(rest[0], 1) ? rest.shift() : undefined;
    const [algorithmNode, keysNode] = rest;
    if (!algorithmNode || !isUniversal(keysNode, UNIVERSAL_TAG.sequence)) return undefined;
    const originator = children(originatorNode)[0];
    const originatorPoint = isContext(originator, 1)
      ? bitStringBytes(children(originator as Asn1)[1])
      : undefined;
    const ukm = ukmNode ? children(ukmNode)[0] : undefined;
    const keys: { id: RecipientId; encryptedKey: Buffer }[] = [];
    for (const entry of children(keysNode)) {
      const [ridNode, keyNode] = children(entry);
      const id = readRecipientId(ridNode);
      if (!id || !isUniversal(keyNode, UNIVERSAL_TAG.octetString)) return undefined;
      keys.push({ id, encryptedKey: octetStringValue(keyNode) });
    }
    return {
      kind: 'key-agreement',
      originatorPoint,
      ukm: isUniversal(ukm, UNIVERSAL_TAG.octetString) ? octetStringValue(ukm) : undefined,
      algorithm: algorithmNode,
      keys,
    };
  }
  if (isContext(node, 2)) {
    const [, kekIdNode, algorithmNode, keyNode] = parts;
    const keyIdNode = kekIdNode ? children(kekIdNode)[0] : undefined;
    if (
      !isUniversal(keyIdNode, UNIVERSAL_TAG.octetString) ||
      !algorithmNode ||
      !isUniversal(keyNode, UNIVERSAL_TAG.octetString)
    ) {
      return undefined;
    }
    return {
      kind: 'kek',
      keyId: octetStringValue(keyIdNode),
      algorithm: algorithmNode,
      encryptedKey: octetStringValue(keyNode),
    };
  }
  if (isContext(node, 3)) return { kind: 'unsupported', description: 'password recipient (PWRI)' };
  if (isContext(node, 4)) return { kind: 'unsupported', description: 'other recipient (ORI)' };
  return undefined;
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

/** Outcome of decrypting one recipient's content key: the key, a refusal to explain, or a failure to hide. */
export type KeyRecovery = { key: Buffer } | { unsupported: string } | { failed: true };

const FAILED: KeyRecovery = { failed: true };

/** RSAES-OAEP parameters: hash [0] (default SHA-1), MGF [1] (default MGF1 with SHA-1), label [2] (default empty). */
function oaepParameters(
  parameters: Asn1 | undefined,
): { hash: string; label: Buffer | undefined } | { unsupported: string } {
  let hash = 'sha1';
  let mgfHash = 'sha1';
  let label: Buffer | undefined;
  for (const field of parameters && isUniversal(parameters, UNIVERSAL_TAG.sequence)
    ? children(parameters)
    : []) {
    const inner = algorithm(children(field)[0]);
    if (!inner) return { unsupported: 'RSAES-OAEP parameters are malformed' };
    if (isContext(field, 0)) {
      const name = absentOrNull(inner.parameters) ? DIGESTS[inner.oid] : undefined;
      if (!name) return { unsupported: `RSAES-OAEP hash ${inner.oid} is not supported` };
      hash = name;
    } else if (isContext(field, 1)) {
      const mgfDigest = algorithm(inner.parameters);
      const name = inner.oid === OID.mgf1 && mgfDigest ? DIGESTS[mgfDigest.oid] : undefined;
      if (!name) return { unsupported: 'RSAES-OAEP mask generation function is not supported' };
      mgfHash = name;
    } else if (isContext(field, 2)) {
      if (inner.oid !== OID.pSpecified || !isUniversal(inner.parameters, UNIVERSAL_TAG.octetString)) {
        return { unsupported: 'RSAES-OAEP label source is not supported' };
      }
      label = octetStringValue(inner.parameters);
    }
  }
  // node:crypto uses the OAEP hash for MGF1 as well.
  if (mgfHash !== hash)
    return { unsupported: 'RSAES-OAEP with different hash and MGF1 hash is not supported' };
  return { hash, label: label && label.length > 0 ? label : undefined };
}

export function recoverTransportedKey(
  recipient: { algorithm: Asn1; encryptedKey: Buffer },
  privateKey: KeyObject,
): KeyRecovery {
  const keyAlgorithm = algorithm(recipient.algorithm);
  if (keyAlgorithm?.oid === OID.rsaEncryption) {
    return {
      unsupported:
        'RSA PKCS#1 v1.5 key transport is refused (padding-oracle risk, and Node no longer decrypts it); ' +
        'seal with RSAES-OAEP (openssl cms -encrypt -keyopt rsa_padding_mode:oaep)',
    };
  }
  if (keyAlgorithm?.oid !== OID.rsaesOaep)
    return { unsupported: `key transport ${keyAlgorithm?.oid ?? '?'} is not supported` };
  if (privateKey.asymmetricKeyType !== 'rsa') return FAILED;
  const parameters = oaepParameters(keyAlgorithm.parameters);
  if ('unsupported' in parameters) return parameters;
  try {
    const key = privateDecrypt(
      {
        key: privateKey,
        padding: constants.RSA_PKCS1_OAEP_PADDING,
        oaepHash: parameters.hash,
        ...(parameters.label ? { oaepLabel: parameters.label } : {}),
      },
      recipient.encryptedKey,
    );
    return { key };
  } catch {
    return FAILED;
  }
}

export function recoverAgreedKey(
  recipient: Extract<ParsedRecipient, { kind: 'key-agreement' }>,
  encryptedKey: Buffer,
  privateKey: KeyObject,
): KeyRecovery {
  const keyAlgorithm = algorithm(recipient.algorithm);
  const digest = keyAlgorithm ? KDF_DIGESTS[keyAlgorithm.oid] : undefined;
  if (!keyAlgorithm || !digest) {
    return {
      unsupported: `key agreement ${keyAlgorithm?.oid ?? '?'} is not supported (use dhSinglePass-stdDH)`,
    };
  }
  const wrapNode = keyAlgorithm.parameters;
  const wrapAlgorithm = algorithm(wrapNode);
  const wrap = wrapAlgorithm ? KEY_WRAPS[wrapAlgorithm.oid] : undefined;
  if (!wrap || !wrapNode)
    return { unsupported: 'key agreement key wrap is not supported (use AES key wrap)' };
  const curve = privateKey.asymmetricKeyType === 'ec' ? CURVES[curveName(privateKey) ?? ''] : undefined;
  if (!curve || !recipient.originatorPoint) return FAILED;
  let secret: Buffer;
  try {
    const peer = createPublicKey({
      key: sequence(
        algorithmIdentifier(OID.ecPublicKey, objectIdentifier(curve.oid)),
        bitString(recipient.originatorPoint),
      ),
      format: 'der',
      type: 'spki',
    });
    secret = diffieHellman({ privateKey, publicKey: peer });
  } catch {
    // Not a point on our curve: OpenSSL checks, which also rules out invalid-curve attacks.
    return FAILED;
  }
  const keyEncryptionKey = x963Kdf(
    digest,
    secret,
    sharedInfo(rawBytes(wrapNode), recipient.ukm, wrap.keyLength * 8),
    wrap.keyLength,
  );
  const key = unwrapKey(wrap.name, keyEncryptionKey, encryptedKey);
  wipe(secret, keyEncryptionKey);
  return key ? { key } : FAILED;
}

export function recoverWrappedKey(
  recipient: { algorithm: Asn1; encryptedKey: Buffer },
  keyEncryptionKey: Buffer,
): KeyRecovery {
  const wrapAlgorithm = algorithm(recipient.algorithm);
  const wrap = wrapAlgorithm ? KEY_WRAPS[wrapAlgorithm.oid] : undefined;
  if (!wrap) return { unsupported: `key wrap ${wrapAlgorithm?.oid ?? '?'} is not supported` };
  if (wrap.keyLength !== keyEncryptionKey.length) return FAILED;
  const key = unwrapKey(wrap.name, keyEncryptionKey, recipient.encryptedKey);
  return key ? { key } : FAILED;
}
