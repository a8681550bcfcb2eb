import { randomBytes, type KeyObject } from 'node:crypto';
import * as asn1js from 'asn1js';
import { fail, ok, type Result } from '@credroam/roaming';
import { encode, EncodedElement, setOf } from '../asn1/encode';
import { OID } from '../asn1/oids';
import { type ParsedCertificate } from '../credentials/certificate';
import { publicKeyIdentifier } from '../credentials/key-description';
import { checkSize, MAX_ENVELOPE_BYTES, wipe } from '../limits';
import { parseEnvelope, type EnvelopeParts, type ParsedEnvelope } from './envelope-reader';
import { kekRecipient, recoverWrappedKey } from './kek';
import { keyAgreeRecipient, recoverAgreedKey } from './key-agreement';
import { keyTransRecipient, recoverTransportedKey } from './key-transport';
import { ENCODED } from './encoded-constants';
import { CONTENT_KEY_BYTES, decryptContent, encryptContent } from './primitives';
import { recipientIdOf, sameRecipientId, type RecipientId } from './recipient-id';
import { recipientKeyKind, type ParsedRecipient } from './recipient-info';
import { type KeyRecovery } from './recovery';

export { parseEnvelope, type EnvelopeParts, type ParsedEnvelope } from './envelope-reader';

/**
 * CMS EnvelopedData (RFC 5652) as credroam writes it: AES-256-CBC content, and per recipient
 * - an RSA certificate or key: RSAES-OAEP with SHA-256 key transport;
 * - an EC (P-256/384/521) certificate or key: ephemeral-static ECDH, X9.63 KDF, AES-256 key wrap;
 * - a symmetric key-encryption key: AES key wrap (KEK recipient).
 * Certificates are named by issuer and serial number, bare public keys by their RFC 5280 key identifier.
 * Everything here opens with `openssl cms -decrypt`, and what `openssl cms -encrypt` writes with OAEP or ECDH and
 * AES-CBC opens here.
 *
 * Reading matches pkijs' schemas (envelope-reader.ts, recipient-info.ts). Writing uses asn1js' classes, with the
 * parts every envelope shares encoded once (encoded-constants.ts), not pkijs' objects: those evaluate every
 * default on construction (a KeyTransRecipientInfo builds an empty Certificate) and rebuild each OBJECT IDENTIFIER
 * from its text, which more than doubled the time to seal a download. The cryptography is node:crypto's: sealing
 * is synchronous for its callers, and pkijs' own encrypt and decrypt go through WebCrypto, which is not.
 */
export type EnvelopeRecipient =
  { certificate: ParsedCertificate } | { publicKey: KeyObject } | { kek: Buffer; kekId: Buffer };

/**
 * A key that may open an envelope: a private key (with its certificate, when it has one) or a shared KEK. A
 * private key is tried on the recipients that name it (issuer and serial of its certificate, or its key
 * identifier); `anyRecipient` tries it on every key-transport and key-agreement recipient instead, as
 * `openssl cms -decrypt -inkey` does without `-recip`. Only for offline use: online, trying keys on recipients
 * that do not name them only adds work an attacker controls.
 */
export type OpeningKey =
  | { privateKey: KeyObject; certificate?: ParsedCertificate; anyRecipient?: boolean }
  | { kek: Buffer; kekId: Buffer };

export const ENVELOPE_OPEN_FAILED = 'the envelope could not be opened: it was altered, or sealed incorrectly';

function recipientInfo(
  recipient: EnvelopeRecipient,
  contentKey: Buffer,
): Result<{ info: asn1js.AsnType; v0: boolean }> {
  if ('kek' in recipient) {
    if (![16, 24, 32].includes(recipient.kek.length)) {
      return fail('INVALID_INPUT', 'a key-encryption key must be 16, 24 or 32 bytes');
    }
    return ok({ info: kekRecipient(recipient.kek, recipient.kekId, contentKey), v0: false });
  }
  const publicKey = 'certificate' in recipient ? recipient.certificate.publicKey : recipient.publicKey;
  if (publicKey === null)
    return fail('INVALID_INPUT', 'the recipient certificate has a key this platform cannot use');
  if (publicKey.type === 'secret') return fail('INVALID_INPUT', 'a recipient key must be a public key');
  const kind = recipientKeyKind(publicKey);
  if ('error' in kind) return fail('INVALID_INPUT', kind.error);
  const id = recipientIdOf(recipient);
  if (kind.kind === 'rsa') {
    return ok({ info: keyTransRecipient(publicKey, id, contentKey), v0: 'issuerDer' in id });
  }
  return ok({ info: keyAgreeRecipient(publicKey, kind.curve, id, contentKey), v0: false });
}

/** The fields of an EnvelopedData, as asn1js nodes ready to encode. */
interface EnvelopeFields {
  version: asn1js.AsnType;
  recipientInfos: asn1js.AsnType;
  encryptedContentInfo: asn1js.AsnType;
}

/**
 * Encrypts content for the recipients.
 */
function encryptEnvelope(
  content: Uint8Array,
  recipients: readonly EnvelopeRecipient[],
  options: { unprotectedAttributes: boolean },
): Result<EnvelopeFields> {
  if (recipients.length === 0) return fail('INVALID_INPUT', 'an envelope needs at least one recipient');
  const contentKey = randomBytes(CONTENT_KEY_BYTES);
  try {
    const infos: asn1js.AsnType[] = [];
    let allVersionZero = !options.unprotectedAttributes;
    for (const recipient of recipients) {
      const info = recipientInfo(recipient, contentKey);
      if (!info.ok) return info;
      infos.push(info.value.info);
      allVersionZero &&= info.value.v0;
    }
    const { iv, ciphertext } = encryptContent(content, contentKey);
    return ok({
      // RFC 5652 section 6.1: version 0 only when every recipient is a version-0 key transport and nothing else is set.
      version: ENCODED.version(allVersionZero ? 0 : 2),
      // DER orders a SET OF by encoding: with more than one recipient, each is encoded first to be sorted.
      recipientInfos: infos.length === 1 ? new asn1js.Set({ value: infos }) : setOf(infos.map(encode)),
      encryptedContentInfo: new asn1js.Sequence({
        value: [
          ENCODED.oid(OID.data),
          new asn1js.Sequence({
            value: [ENCODED.oid(OID.aes256Cbc), new asn1js.OctetString({ valueHex: iv })],
          }),
          // encryptedContent [0] IMPLICIT OCTET STRING, in one primitive piece (DER)
          new asn1js.Primitive({ idBlock: { tagClass: 3, tagNumber: 0 }, valueHex: ciphertext }),
        ],
      }),
    });
  } finally {
    wipe(contentKey);
  }
}

/** ContentInfo { id-envelopedData, [0] EnvelopedData { version, recipientInfos, eci, [1] unprotectedAttrs? } } */
function envelopeOf(fields: asn1js.AsnType[]): Buffer {
  return encode(
    new asn1js.Sequence({
      value: [
        ENCODED.oid(OID.envelopedData),
        new asn1js.Constructed({
          idBlock: { tagClass: 3, tagNumber: 0 },
          value: [new asn1js.Sequence({ value: fields })],
        }),
      ],
    }),
  );
}

/** Encrypts content for the recipients and returns the EnvelopedData parts, for callers that add attributes. */
export function encryptEnvelopeParts(
  content: Uint8Array,
  recipients: readonly EnvelopeRecipient[],
  options: { unprotectedAttributes: boolean } = { unprotectedAttributes: false },
): Result<EnvelopeParts> {
  const fields = encryptEnvelope(content, recipients, options);
  if (!fields.ok) return fields;
  return ok({
    version: encode(fields.value.version),
    recipientInfos: encode(fields.value.recipientInfos),
    encryptedContentInfo: encode(fields.value.encryptedContentInfo),
  });
}

/**
 * The envelope around parts encoded already (the storage MAC covers their exact bytes, so they are encoded once).
 * `unprotectedAttributes` are DER Attributes.
 */
export function assembleEnvelope(parts: EnvelopeParts, unprotectedAttributes: Buffer[] = []): Buffer {
  const fields: asn1js.AsnType[] = [
    new EncodedElement(parts.version),
    new EncodedElement(parts.recipientInfos),
    new EncodedElement(parts.encryptedContentInfo),
  ];
  if (unprotectedAttributes.length > 0) {
    // [1] IMPLICIT SET OF Attribute: DER orders the attributes by their encodings.
    const set = setOf(unprotectedAttributes);
    fields.push(
      new asn1js.Constructed({ idBlock: { tagClass: 3, tagNumber: 1 }, value: set.valueBlock.value }),
    );
  }
  return envelopeOf(fields);
}

/** Seals content to the recipients: a DER ContentInfo holding an EnvelopedData. */
export function sealEnvelope(content: Uint8Array, recipients: readonly EnvelopeRecipient[]): Result<Buffer> {
  const sized = checkSize(content, MAX_ENVELOPE_BYTES, 'content');
  if (!sized.ok) return sized;
  const fields = encryptEnvelope(content, recipients, { unprotectedAttributes: false });
  if (!fields.ok) return fields;
  const { version, recipientInfos, encryptedContentInfo } = fields.value;
  return ok(envelopeOf([version, recipientInfos, encryptedContentInfo]));
}

// ---------------------------------------------------------------------------------------------------------------
// opening

interface Candidate {
  key: OpeningKey;
  ids: RecipientId[];
  anyRecipient: boolean;
}

function candidates(keys: readonly OpeningKey[]): Candidate[] {
  return keys.map((key) => {
    if ('kek' in key) return { key, ids: [], anyRecipient: false };
    const ids: RecipientId[] = [{ keyId: publicKeyIdentifier(key.privateKey) }];
    if (key.certificate) {
      ids.push({ issuerDer: key.certificate.issuerDer, serialDer: key.certificate.serialDer });
      if (key.certificate.subjectKeyIdentifier) ids.push({ keyId: key.certificate.subjectKeyIdentifier });
    }
    return { key, ids, anyRecipient: key.anyRecipient === true };
  });
}

function recover(recipient: ParsedRecipient, candidate: Candidate): KeyRecovery | undefined {
  const { key, ids, anyRecipient } = candidate;
  const matches = (id: RecipientId) => anyRecipient || ids.some((own) => sameRecipientId(own, id));
  switch (recipient.kind) {
    case 'key-transport':
      return 'privateKey' in key && matches(recipient.id)
        ? recoverTransportedKey(recipient, key.privateKey)
        : undefined;
    case 'key-agreement': {
      if (!('privateKey' in key)) return undefined;
      const entry = recipient.keys.find((candidateKey) => matches(candidateKey.id));
      return entry ? recoverAgreedKey(recipient, entry.encryptedKey, key.privateKey) : undefined;
    }
    case 'kek':
      return 'kek' in key && key.kekId.equals(recipient.keyId)
        ? recoverWrappedKey(recipient, key.kek)
        : undefined;
    default:
      return undefined;
  }
}

/**
 * Opens a parsed envelope with the first of `keys` that a recipient names. Errors: KEY_UNAVAILABLE when no
 * recipient is one of ours; CRYPTO_PARSE_FAILED for an algorithm we refuse; otherwise INTEGRITY_CHECK_FAILED with
 * one message whatever failed (key transport, unwrap, padding), so that the answer is no decryption oracle.
 */
export function openParsedEnvelope(envelope: ParsedEnvelope, keys: readonly OpeningKey[]): Result<Buffer> {
  const own = candidates(keys);
  let refusal: string | undefined;
  let failed = false;
  for (const recipient of envelope.recipients) {
    for (const candidate of own) {
      const recovery = recover(recipient, candidate);
      if (recovery === undefined) continue;
      if ('unsupported' in recovery) {
        refusal ??= recovery.unsupported;
        continue;
      }
      if ('failed' in recovery) {
        failed = true;
        continue;
      }
      const { cipher, iv, ciphertext } = envelope.content;
      const content =
        recovery.key.length === cipher.keyLength
          ? decryptContent(cipher.name, recovery.key, iv, ciphertext)
          : undefined;
      wipe(recovery.key);
      if (content) return ok(content);
      failed = true;
    }
  }
  if (failed) return fail('INTEGRITY_CHECK_FAILED', ENVELOPE_OPEN_FAILED);
  if (refusal) return fail('CRYPTO_PARSE_FAILED', refusal);
  return fail('KEY_UNAVAILABLE', 'the envelope is not sealed to any key held here');
}

export function openEnvelope(input: Uint8Array, keys: readonly OpeningKey[]): Result<Buffer> {
  const parsed = parseEnvelope(input);
  return parsed.ok ? openParsedEnvelope(parsed.value, keys) : parsed;
}
