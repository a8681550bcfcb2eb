import { type KeyObject } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { elementsOf, type Asn1 } from '../asn1/ber';
import { algorithmFrom, algorithmNames, type AlgorithmId } from '../asn1/algorithm-id';
import { compileSchema, listed, matchSchema } from '../asn1/schema';
import { bitStringBytesOf, encodingOf, integerContentOf, octetsOf } from '../asn1/values';
import { curveName } from '../credentials/key-description';
import { OID } from '../asn1/oids';
import { type RecipientId } from './recipient-id';

/** ECDH parameters per curve: RFC 5753's single-pass standard DH with the curve's matching KDF hash. */
export const CURVES: Readonly<
  Record<string, { oid: string; ecdhName: string; kdfOid: string; digest: string }>
> = {
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

/** dhSinglePass-stdDH-shaXkdf-scheme (RFC 5753): the KDF's hash per key agreement algorithm. */
export const KDF_DIGESTS: Record<string, string> = {
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

export type ParsedRecipient =
  | { kind: 'key-transport'; id: RecipientId; algorithm: AlgorithmId; encryptedKey: Buffer }
  | {
      kind: 'key-agreement';
      originatorPoint: Buffer | undefined;
      ukm: Buffer | undefined;
      algorithm: AlgorithmId;
      keys: { id: RecipientId; encryptedKey: Buffer }[];
    }
  | { kind: 'kek'; keyId: Buffer; algorithm: AlgorithmId; encryptedKey: Buffer }
  | { kind: 'unsupported'; description: string };

// pkijs' RecipientInfo schemas, with names for what is read. The implicitly tagged kinds are matched as pkijs'
// RecipientInfo matches them: the kind's elements under its context tag.
const implicitly = (tagNumber: number, schema: asn1js.Sequence) =>
  new asn1js.Constructed({ idBlock: { tagClass: 3, tagNumber }, value: schema.valueBlock.value });

const keyEncryption = algorithmNames('algorithm');

const KEY_TRANSPORT = compileSchema<'rid' | 'algorithm' | 'algorithmParameters' | 'encryptedKey'>(() =>
  pkijs.KeyTransRecipientInfo.schema({
    names: {
      rid: { names: { blockName: 'rid' } },
      keyEncryptionAlgorithm: keyEncryption,
      encryptedKey: 'encryptedKey',
    },
  }),
);

const KEY_AGREEMENT = compileSchema<
  'originator' | 'ukm' | 'algorithm' | 'algorithmParameters',
  'encryptedKeys'
>(() =>
  implicitly(
    1,
    pkijs.KeyAgreeRecipientInfo.schema({
      names: {
        originator: { names: { blockName: 'originator' } },
        ukm: 'ukm',
        keyEncryptionAlgorithm: keyEncryption,
        recipientEncryptedKeys: { names: { RecipientEncryptedKeys: 'encryptedKeys' } },
      },
    }),
  ),
);

const RECIPIENT_ENCRYPTED_KEY = compileSchema<'rid' | 'encryptedKey'>(() =>
  pkijs.RecipientEncryptedKey.schema({
    names: { rid: { names: { blockName: 'rid' } }, encryptedKey: 'encryptedKey' },
  }),
);

const KEK = compileSchema<'keyId' | 'algorithm' | 'algorithmParameters' | 'encryptedKey'>(() =>
  implicitly(
    2,
    pkijs.KEKRecipientInfo.schema({
      names: {
        kekid: { names: { keyIdentifier: 'keyId' } },
        keyEncryptionAlgorithm: keyEncryption,
        encryptedKey: 'encryptedKey',
      },
    }),
  ),
);

const isContext = (node: Asn1 | undefined, tagNumber: number) =>
  node !== undefined && node.idBlock.tagClass === 3 && node.idBlock.tagNumber === tagNumber;

function algorithmOf(found: { algorithm?: Asn1; algorithmParameters?: Asn1 }): AlgorithmId | undefined {
  return algorithmFrom(found.algorithm, found.algorithmParameters);
}

/**
 * A recipient identifier, matched by the schema already: IssuerAndSerialNumber, or a key identifier, which a
 * KeyTransRecipientInfo carries as [0] IMPLICIT SubjectKeyIdentifier and a KeyAgreeRecipientInfo as
 * [0] IMPLICIT RecipientKeyIdentifier { subjectKeyIdentifier, date?, other? }.
 */
function recipientIdOf(node: Asn1 | undefined): RecipientId | undefined {
  if (node === undefined) return undefined;
  if (node.idBlock.tagClass === 1) {
    const [issuer, serial] = elementsOf(node);
    const serialDer = integerContentOf(serial);
    return issuer && serialDer ? { issuerDer: encodingOf(issuer), serialDer } : undefined;
  }
  const keyId = octetsOf(node.idBlock.isConstructed ? elementsOf(node)[0] : node);
  return keyId === undefined ? undefined : { keyId };
}

/** What a key transport and a KEK recipient both carry: the key encryption algorithm and the encrypted key. */
function encryptedKeyOf(
  found: { algorithm?: Asn1; algorithmParameters?: Asn1; encryptedKey?: Asn1 } | undefined,
): { algorithm: AlgorithmId; encryptedKey: Buffer } | undefined {
  const algorithm = found && algorithmOf(found);
  const encryptedKey = octetsOf(found?.encryptedKey);
  return algorithm && encryptedKey ? { algorithm, encryptedKey } : undefined;
}

/** Reads one RecipientInfo (already valid under pkijs' EnvelopedData schema); undefined when malformed. */
export function readRecipient(node: Asn1): ParsedRecipient | undefined {
  if (node.idBlock.tagClass === 1) {
    const found = matchSchema(node, KEY_TRANSPORT);
    const id = recipientIdOf(found?.rid);
    const key = encryptedKeyOf(found);
    return id && key ? { kind: 'key-transport', id, ...key } : undefined;
  }
  if (isContext(node, 1)) return readKeyAgreement(node);
  if (isContext(node, 2)) {
    const found = matchSchema(node, KEK);
    const keyId = octetsOf(found?.keyId);
    const key = encryptedKeyOf(found);
    return keyId && key ? { kind: 'kek', keyId, ...key } : undefined;
  }
  if (isContext(node, 3)) return { kind: 'unsupported', description: 'password recipient (PWRI)' };
  if (isContext(node, 4)) return { kind: 'unsupported', description: 'other recipient (ORI)' };
  return undefined;
}

function readKeyAgreement(node: Asn1): ParsedRecipient | undefined {
  const found = matchSchema(node, KEY_AGREEMENT);
  const algorithm = found && algorithmOf(found);
  if (!found || !algorithm) return undefined;
  // originatorKey [1] OriginatorPublicKey { algorithm, publicKey BIT STRING }; the other two forms name a
  // certificate, which an ephemeral-static sender does not have.
  const originatorPoint = isContext(found.originator, 1)
    ? bitStringBytesOf(elementsOf(found.originator as Asn1)[1])
    : undefined;
  const keys: { id: RecipientId; encryptedKey: Buffer }[] = [];
  for (const entry of listed(found.encryptedKeys)) {
    const key = matchSchema(entry, RECIPIENT_ENCRYPTED_KEY);
    const id = recipientIdOf(key?.rid);
    const encryptedKey = octetsOf(key?.encryptedKey);
    if (!id || !encryptedKey) return undefined;
    keys.push({ id, encryptedKey });
  }
  return {
    kind: 'key-agreement',
    originatorPoint,
    ukm: octetsOf(found.ukm),
    algorithm,
    keys,
  };
}
