import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { fail, ok, type Result } from '@credroam/roaming';
import { decodeBer, describeError, elementsOf, type Asn1 } from '../asn1/ber';
import { OID } from '../asn1/oids';
import { compileSchema, listed, matchSchema } from '../asn1/schema';
import { CONTENT_INFO } from '../asn1/shared-schemas';
import { encodingOf, octetsOf, oidOf } from '../asn1/values';
import { checkSize, MAX_ENVELOPE_BYTES } from '../limits';
import { CONTENT_CIPHERS } from './primitives';
import { readRecipient, type ParsedRecipient } from './recipient-info';

/** The three parts of an EnvelopedData that the storage MAC covers, each as its exact DER. */
export interface EnvelopeParts {
  version: Buffer;
  recipientInfos: Buffer;
  encryptedContentInfo: Buffer;
}

export interface ParsedEnvelope {
  /** The exact bytes of the parts, as read. */
  parts: EnvelopeParts;
  recipients: ParsedRecipient[];
  /** Not yet matched against Attribute's schema: whoever reads one does. */
  unprotectedAttributes: Asn1[];
  content: { cipher: { name: string; keyLength: number }; iv: Buffer; ciphertext: Buffer };
  /** The decoded ContentInfo, for checks of its form (see storage-envelope). */
  root: Asn1;
}

const ENVELOPED_DATA = compileSchema<
  | 'version'
  | 'originatorInfo'
  | 'encryptedContentInfo'
  | 'encryptedContentType'
  | 'contentCipher'
  | 'iv'
  | 'encryptedContent',
  'recipientInfos' | 'unprotectedAttrs'
>(() => {
  const schema = pkijs.EnvelopedData.schema({
    names: {
      version: 'version',
      originatorInfo: 'originatorInfo',
      recipientInfos: 'recipientInfos',
      encryptedContentInfo: {
        names: {
          blockName: 'encryptedContentInfo',
          contentType: 'encryptedContentType',
          contentEncryptionAlgorithm: {
            names: { algorithmIdentifier: 'contentCipher', algorithmParams: 'iv' },
          },
          encryptedContent: 'encryptedContent',
        },
      },
      unprotectedAttrs: 'unprotectedAttrs',
    },
  });
  // Each recipient is matched against its own kind's schema when it is read (recipient-info.ts), and the
  // attributes by whoever reads them (storage-envelope.ts): matching them here as well, recipients against pkijs'
  // choice of all five kinds, would only do that work twice.
  matchedLater(schema.valueBlock.value[2]?.valueBlock.value[0]);
  matchedLater(schema.valueBlock.value[4]?.valueBlock.value[0]);
  return schema;
});

/** Lets a Repeated of pkijs' schema take any element, for elements matched on their own. */
function matchedLater(repeated: unknown): void {
  if (!(repeated instanceof asn1js.Repeated)) throw new Error('pkijs EnvelopedData schema has changed shape');
  repeated.value = new asn1js.Any();
}

function malformed(what: string): Result<never> {
  return fail('CRYPTO_PARSE_FAILED', `not a CMS enveloped-data envelope (${what})`);
}

/** Reads a DER/BER ContentInfo holding an EnvelopedData; anything else is CRYPTO_PARSE_FAILED. */
export function parseEnvelope(input: Uint8Array): Result<ParsedEnvelope> {
  const sized = checkSize(input, MAX_ENVELOPE_BYTES, 'envelope');
  if (!sized.ok) return sized;
  const decoded = decodeBer(input, 'envelope');
  if (!decoded.ok) return decoded;
  try {
    return readEnvelope(decoded.value);
  } catch (error) {
    return fail('CRYPTO_PARSE_FAILED', `envelope is malformed (${describeError(error)})`);
  }
}

function readEnvelope(root: Asn1): Result<ParsedEnvelope> {
  const contentInfo = matchSchema(root, CONTENT_INFO);
  const type = oidOf(contentInfo?.contentType);
  if (type === OID.authEnvelopedData) {
    return fail(
      'CRYPTO_PARSE_FAILED',
      'authenticated-enveloped data (AES-GCM) is not supported; seal with AES-CBC',
    );
  }
  if (type !== OID.envelopedData) return malformed('content type');
  const envelope = matchSchema(contentInfo?.content, ENVELOPED_DATA);
  const { version, encryptedContentInfo, encryptedContent } = envelope ?? {};
  if (!envelope || !version || !encryptedContentInfo || !encryptedContent) return malformed('structure');

  const recipients: ParsedRecipient[] = [];
  for (const node of listed(envelope.recipientInfos)) {
    const recipient = readRecipient(node);
    if (!recipient) return malformed('recipient info');
    recipients.push(recipient);
  }
  if (recipients.length === 0) return malformed('no recipients');

  if (oidOf(envelope.encryptedContentType) !== OID.data) {
    return fail('CRYPTO_PARSE_FAILED', 'enveloped content is not of type data');
  }
  const cipherOid = oidOf(envelope.contentCipher);
  const cipher = cipherOid === undefined ? undefined : CONTENT_CIPHERS[cipherOid];
  if (!cipher) {
    return fail(
      'CRYPTO_PARSE_FAILED',
      `content encryption ${cipherOid ?? '?'} is not supported (use AES-128/192/256-CBC)`,
    );
  }
  const iv = envelope.iv instanceof asn1js.OctetString ? octetsOf(envelope.iv) : undefined;
  if (iv?.length !== 16) return malformed('content IV');
  const ciphertext = octetsOf(encryptedContent);
  if (ciphertext === undefined) return malformed('content');

  // pkijs' schema names the recipients but not the SET that holds them: the one SET among the fields.
  const recipientInfos = elementsOf(contentInfo?.content as Asn1).find(
    (node) => node.idBlock.tagClass === 1 && node.idBlock.tagNumber === 17,
  );
  if (!recipientInfos) return malformed('recipient infos');
  return ok({
    parts: {
      version: encodingOf(version),
      recipientInfos: encodingOf(recipientInfos),
      encryptedContentInfo: encodingOf(encryptedContentInfo),
    },
    recipients,
    unprotectedAttributes: listed(envelope.unprotectedAttrs),
    content: { cipher, iv, ciphertext },
    root,
  });
}
