import { randomBytes, type KeyObject } from 'node:crypto';
import { fail, ok, type Result } from '@credroam/roaming';
import {
  algorithm,
  children,
  describeError,
  isContext,
  isUniversal,
  octetStringValue,
  oidValue,
  parseDer,
  rawBytes,
  UNIVERSAL_TAG,
  type Asn1,
} from '../asn1/der-reader';
import {
  explicit,
  implicitConstructed,
  implicitPrimitive,
  integer,
  objectIdentifier,
  sequence,
  setOf,
} from '../asn1/der-writer';
import { OID } from '../asn1/oids';
import { type ParsedCertificate } from '../credentials/certificate';
import { publicKeyIdentifier } from '../credentials/key-description';
import { checkSize, MAX_ENVELOPE_BYTES, wipe } from '../limits';
import { CONTENT_CIPHERS, CONTENT_KEY_BYTES, decryptContent, encryptContent } from './primitives';
import {
  kekRecipient,
  keyAgreeRecipient,
  keyTransRecipient,
  readRecipient,
  recipientIdOf,
  recipientKeyKind,
  recoverAgreedKey,
  recoverTransportedKey,
  recoverWrappedKey,
  sameRecipientId,
  type KeyRecovery,
  type ParsedRecipient,
  type RecipientId,
} from './recipient-info';

/**
 * CMS EnvelopedData (RFC 5652) as credroam writes it: AES-256-CBC content, and per recipient
 * - an RSA certificate or key: RSAES-OAEP with SHA-256 key transport;
 * - an EC (P-256/384/521) certificate or key: ephemeral-static ECDH, X9.63 KDF, AES-256 key wrap;
 * - a symmetric key-encryption key: AES key wrap (KEK recipient).
 * Certificates are named by issuer and serial number, bare public keys by their RFC 5280 key identifier.
 * Everything here opens with `openssl cms -decrypt`, and what `openssl cms -encrypt` writes with OAEP or ECDH and
 * AES-CBC opens here.
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

/** The three parts of an EnvelopedData that its integrity protection covers, each as its exact DER. */
export interface EnvelopeParts {
  version: Buffer;
  recipientInfos: Buffer;
  encryptedContentInfo: Buffer;
}

export const ENVELOPE_OPEN_FAILED = 'the envelope could not be opened: it was altered, or sealed incorrectly';

function recipientInfo(
  recipient: EnvelopeRecipient,
  contentKey: Buffer,
): Result<{ der: Buffer; v0: boolean }> {
  if ('kek' in recipient) {
    if (![16, 24, 32].includes(recipient.kek.length)) {
      return fail('INVALID_INPUT', 'a key-encryption key must be 16, 24 or 32 bytes');
    }
    return ok({ der: kekRecipient(recipient.kek, recipient.kekId, contentKey), v0: false });
  }
  const publicKey = 'certificate' in recipient ? recipient.certificate.publicKey : recipient.publicKey;
  if (publicKey === null)
    return fail('INVALID_INPUT', 'the recipient certificate has a key this platform cannot use');
  if (publicKey.type === 'secret') return fail('INVALID_INPUT', 'a recipient key must be a public key');
  const kind = recipientKeyKind(publicKey);
  if ('error' in kind) return fail('INVALID_INPUT', kind.error);
  const id = recipientIdOf(recipient);
  if (kind.kind === 'rsa') {
    return ok({ der: keyTransRecipient(publicKey, id, contentKey), v0: 'issuerDer' in id });
  }
  return ok({ der: keyAgreeRecipient(publicKey, kind.curve, id, contentKey), v0: false });
}

/** Encrypts content for the recipients and returns the EnvelopedData parts, for callers that add attributes. */
export function encryptEnvelopeParts(
  content: Uint8Array,
  recipients: readonly EnvelopeRecipient[],
  options: { unprotectedAttributes: boolean } = { unprotectedAttributes: false },
): Result<EnvelopeParts> {
  if (recipients.length === 0) return fail('INVALID_INPUT', 'an envelope needs at least one recipient');
  const contentKey = randomBytes(CONTENT_KEY_BYTES);
  try {
    const infos: Buffer[] = [];
    let allVersionZero = !options.unprotectedAttributes;
    for (const recipient of recipients) {
      const info = recipientInfo(recipient, contentKey);
      if (!info.ok) return info;
      infos.push(info.value.der);
      allVersionZero &&= info.value.v0;
    }
    const encrypted = encryptContent(content, contentKey);
    return ok({
      // RFC 5652 section 6.1: version 0 only when every recipient is a version-0 key transport and nothing else is set.
      version: integer(allVersionZero ? 0 : 2),
      recipientInfos: setOf(...infos),
      encryptedContentInfo: sequence(
        objectIdentifier(OID.data),
        encrypted.algorithm,
        // encryptedContent [0] IMPLICIT OCTET STRING, primitive (DER), not the segmented form many encoders write
        implicitPrimitive(0, encrypted.ciphertext),
      ),
    });
  } finally {
    wipe(contentKey);
  }
}

/** ContentInfo { id-envelopedData, [0] EnvelopedData { version, recipientInfos, eci, [1] unprotectedAttrs? } } */
export function assembleEnvelope(parts: EnvelopeParts, unprotectedAttributes: Buffer[] = []): Buffer {
  const attributes = unprotectedAttributes.length
    ? [implicitConstructed(1, ...sortedSet(unprotectedAttributes))]
    : [];
  return sequence(
    objectIdentifier(OID.envelopedData),
    explicit(0, sequence(parts.version, parts.recipientInfos, parts.encryptedContentInfo, ...attributes)),
  );
}

function sortedSet(elements: Buffer[]): Buffer[] {
  return [...elements].sort(Buffer.compare);
}

/** Seals content to the recipients: a DER ContentInfo holding an EnvelopedData. */
export function sealEnvelope(content: Uint8Array, recipients: readonly EnvelopeRecipient[]): Result<Buffer> {
  const sized = checkSize(content, MAX_ENVELOPE_BYTES, 'content');
  if (!sized.ok) return sized;
  const parts = encryptEnvelopeParts(content, recipients);
  return parts.ok ? ok(assembleEnvelope(parts.value)) : parts;
}

// ---------------------------------------------------------------------------------------------------------------
// reading

export interface ParsedEnvelope {
  /** The exact bytes of the parts, as read. */
  parts: EnvelopeParts;
  recipients: ParsedRecipient[];
  unprotectedAttributes: Asn1[];
  content: { cipher: { name: string; keyLength: number }; iv: Buffer; ciphertext: Buffer };
}

/** Reads a DER/BER ContentInfo holding an EnvelopedData; anything else is CRYPTO_PARSE_FAILED. */
export function parseEnvelope(input: Uint8Array): Result<ParsedEnvelope> {
  const sized = checkSize(input, MAX_ENVELOPE_BYTES, 'envelope');
  if (!sized.ok) return sized;
  const parsed = parseDer(input, 'envelope');
  if (!parsed.ok) return parsed;
  try {
    return readEnvelope(parsed.value);
  } catch (error) {
    return fail('CRYPTO_PARSE_FAILED', `envelope is malformed (${describeError(error)})`);
  }
}

function malformed(what: string): Result<never> {
  return fail('CRYPTO_PARSE_FAILED', `not a CMS enveloped-data envelope (${what})`);
}

function readEnvelope(root: Asn1): Result<ParsedEnvelope> {
  const [typeNode, wrapper, ...extra] = isUniversal(root, UNIVERSAL_TAG.sequence) ? children(root) : [];
  const type = oidValue(typeNode);
  if (type === OID.authEnvelopedData) {
    return fail(
      'CRYPTO_PARSE_FAILED',
      'authenticated-enveloped data (AES-GCM) is not supported; seal with AES-CBC',
    );
  }
  if (type !== OID.envelopedData || !isContext(wrapper, 0) || extra.length > 0)
    return malformed('content type');
  const envelope = children(wrapper)[0];
  if (!isUniversal(envelope, UNIVERSAL_TAG.sequence) || children(wrapper).length !== 1)
    return malformed('structure');
  const fields = [...children(envelope)];
  const version = fields.shift();
  if (!isUniversal(version, UNIVERSAL_TAG.integer)) return malformed('version');
  if (isContext(fields[0], 0)) fields.shift(); // originatorInfo: certificates for path building, not needed
  const [recipientInfos, encryptedContentInfo, attributes, ...rest] = fields;
  if (
    !isUniversal(recipientInfos, UNIVERSAL_TAG.set) ||
    !isUniversal(encryptedContentInfo, UNIVERSAL_TAG.sequence)
  ) {
    return malformed('recipients or content');
  }
  if (rest.length > 0 || (attributes !== undefined && !isContext(attributes, 1)))
    return malformed('trailing fields');

  const recipients: ParsedRecipient[] = [];
  for (const node of children(recipientInfos)) {
    const recipient = readRecipient(node);
    if (!recipient) return malformed('recipient info');
    recipients.push(recipient);
  }
  if (recipients.length === 0) return malformed('no recipients');

  const [contentType, algorithmNode, encryptedContent] = children(encryptedContentInfo);
  if (oidValue(contentType) !== OID.data)
    return fail('CRYPTO_PARSE_FAILED', 'enveloped content is not of type data');
  const contentAlgorithm = algorithm(algorithmNode);
  const cipher = contentAlgorithm ? CONTENT_CIPHERS[contentAlgorithm.oid] : undefined;
  if (!contentAlgorithm || !cipher) {
    return fail(
      'CRYPTO_PARSE_FAILED',
      `content encryption ${contentAlgorithm?.oid ?? '?'} is not supported (use AES-128/192/256-CBC)`,
    );
  }
  if (!isUniversal(contentAlgorithm.parameters, UNIVERSAL_TAG.octetString)) return malformed('content IV');
  const iv = octetStringValue(contentAlgorithm.parameters);
  if (iv.length !== 16) return malformed('content IV length');
  if (!isContext(encryptedContent, 0))
    return fail('CRYPTO_PARSE_FAILED', 'envelope has no content (detached content is not supported)');

  return ok({
    parts: {
      version: rawBytes(version),
      recipientInfos: rawBytes(recipientInfos),
      encryptedContentInfo: rawBytes(encryptedContentInfo),
    },
    recipients,
    unprotectedAttributes: attributes ? children(attributes) : [],
    content: { cipher, iv, ciphertext: octetStringValue(encryptedContent) },
  });
}

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
