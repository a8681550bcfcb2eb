import { createPublicKey, type KeyObject } from 'node:crypto';
import * as pkijs from 'pkijs';
import { fail, ok, type Result } from '@credroam/roaming';
import { children, describeError, parseDer, rawBytes, type Asn1 } from '../asn1/der-reader';
import { checkSize, MAX_CREDENTIAL_BYTES } from '../limits';
import { formatName } from './distinguished-name';
import { describeKey } from './key-description';

export interface ParsedCertificationRequest {
  readonly der: Buffer;
  readonly subject: string;
  readonly publicKeyInfo: Buffer;
  readonly publicKey: KeyObject | null;
  readonly keyAlgorithm: string;
  readonly keySize: number | null;
}

/** A DER PKCS#10 certification request. */
export function parseCertificationRequest(input: Uint8Array): Result<ParsedCertificationRequest> {
  const sized = checkSize(input, MAX_CREDENTIAL_BYTES, 'certificate request');
  if (!sized.ok) return sized;
  const der = Buffer.from(input);
  const parsed = parseDer(der, 'certificate request');
  if (!parsed.ok) return parsed;
  try {
    new pkijs.CertificationRequest({ schema: parsed.value });
  } catch (error) {
    return fail('CRYPTO_PARSE_FAILED', `not a PKCS#10 certificate request (${describeError(error)})`);
  }
  // CertificationRequestInfo ::= SEQUENCE { version, subject Name, subjectPKInfo, attributes [0] }
  const info = children(children(parsed.value)[0] as Asn1);
  const subjectNode = info[1];
  const spkiNode = info[2];
  if (!subjectNode || !spkiNode) return fail('CRYPTO_PARSE_FAILED', 'certificate request is incomplete');
  const subject = formatName(subjectNode);
  if (subject === undefined) return fail('CRYPTO_PARSE_FAILED', 'certificate request subject is malformed');
  const publicKeyInfo = rawBytes(spkiNode);
  let publicKey: KeyObject | null = null;
  try {
    publicKey = createPublicKey({ key: publicKeyInfo, format: 'der', type: 'spki' });
  } catch {
    publicKey = null;
  }
  const description = publicKey ? describeKey(publicKey) : { algorithm: 'unknown', size: null };
  return ok({
    der,
    subject,
    publicKeyInfo,
    publicKey,
    keyAlgorithm: description.algorithm,
    keySize: description.size,
  });
}
