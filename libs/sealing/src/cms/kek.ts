import * as asn1js from 'asn1js';
import { type AlgorithmId } from '../asn1/algorithm-id';
import { ENCODED } from './encoded-constants';
import { KEY_WRAPS, unwrapKey, wrapKey } from './primitives';
import { FAILED, type KeyRecovery } from './recovery';

const WRAP_BY_KEY_LENGTH: Readonly<Record<number, string>> = Object.fromEntries(
  Object.entries(KEY_WRAPS).map(([oid, wrap]) => [wrap.keyLength, oid]),
);

/** KEKRecipientInfo (RFC 5652 section 6.2.3): the content key wrapped under a shared key (RFC 3394 AES key wrap). */
export function kekRecipient(
  keyEncryptionKey: Buffer,
  keyId: Buffer,
  contentKey: Buffer,
): asn1js.Constructed {
  const wrapOid = WRAP_BY_KEY_LENGTH[keyEncryptionKey.length];
  const wrap = wrapOid === undefined ? undefined : KEY_WRAPS[wrapOid];
  if (wrapOid === undefined || wrap === undefined)
    throw new Error('a key-encryption key must be 16, 24 or 32 bytes');
  // [2] IMPLICIT KEKRecipientInfo { version 4, KEKIdentifier { keyIdentifier }, keyEncryptionAlgorithm, encryptedKey }
  return new asn1js.Constructed({
    idBlock: { tagClass: 3, tagNumber: 2 },
    value: [
      ENCODED.version(4),
      new asn1js.Sequence({ value: [new asn1js.OctetString({ valueHex: keyId })] }),
      ENCODED.keyWrap(wrapOid),
      new asn1js.OctetString({ valueHex: wrapKey(wrap.name, keyEncryptionKey, contentKey) }),
    ],
  });
}

export function recoverWrappedKey(
  recipient: { algorithm: AlgorithmId; encryptedKey: Buffer },
  keyEncryptionKey: Buffer,
): KeyRecovery {
  const wrap = KEY_WRAPS[recipient.algorithm.oid];
  if (!wrap) return { unsupported: `key wrap ${recipient.algorithm.oid} is not supported` };
  if (wrap.keyLength !== keyEncryptionKey.length) return FAILED;
  const key = unwrapKey(wrap.name, keyEncryptionKey, recipient.encryptedKey);
  return key ? { key } : FAILED;
}
