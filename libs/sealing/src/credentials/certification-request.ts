import { createPublicKey, type KeyObject } from 'node:crypto';
import * as pkijs from 'pkijs';
import { fail, ok, type Result } from '@credroam/roaming';
import { decodeBer } from '../asn1/ber';
import { compileSchema, matchSchema } from '../asn1/schema';
import { encodingOf } from '../asn1/values';
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

/** pkijs' CertificationRequest schema; its SubjectPublicKeyInfo keeps the name pkijs gives it. */
const SPKI = 'CertificationRequestInfo.subjectPublicKeyInfo';
const CERTIFICATION_REQUEST = compileSchema<'subject' | typeof SPKI>(() =>
  pkijs.CertificationRequest.schema({
    names: { certificationRequestInfo: { names: { subject: { names: { blockName: 'subject' } } } } },
  }),
);

/** A DER PKCS#10 certification request. */
export function parseCertificationRequest(input: Uint8Array): Result<ParsedCertificationRequest> {
  const sized = checkSize(input, MAX_CREDENTIAL_BYTES, 'certificate request');
  if (!sized.ok) return sized;
  const der = Buffer.from(input);
  const decoded = decodeBer(der, 'certificate request');
  if (!decoded.ok) return decoded;
  const found = matchSchema(decoded.value, CERTIFICATION_REQUEST);
  if (!found) return fail('CRYPTO_PARSE_FAILED', 'not a PKCS#10 certificate request');
  const spki = found[SPKI];
  if (!found.subject || !spki) return fail('CRYPTO_PARSE_FAILED', 'certificate request is incomplete');
  const subject = formatName(found.subject);
  if (subject === undefined) return fail('CRYPTO_PARSE_FAILED', 'certificate request subject is malformed');
  const publicKeyInfo = encodingOf(spki);
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
