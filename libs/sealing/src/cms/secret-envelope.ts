import { timingSafeEqual } from 'node:crypto';
import { fail, ok, type Result } from '@credroam/roaming';
import { wipe } from '../limits';
import { openEnvelope, sealEnvelope, type EnvelopeRecipient, type OpeningKey } from './envelope';

/**
 * A small secret (a file's password on its way to token-crypto, a user's hash key on its way to a device) in a
 * CMS envelope, labelled with its purpose: content = "credroam secret v1" NUL purpose NUL secret.
 *
 * Why the label: token-crypto opens envelopes sealed to its transport certificate for more than one use. Without
 * it, someone who captured another user's upload envelope could hand it in as a "password" and learn, from how
 * the answer differs, whether its CBC padding decrypted (a padding oracle). With it, anything that is not a secret
 * for exactly this purpose fails with the same error as a corrupted envelope, whatever went wrong inside.
 */
const PREFIX = 'credroam secret v1\0';
const PURPOSE = /^[a-z][a-z0-9-]{0,63}$/;

export const SECRET_PURPOSES = Object.freeze({
  /** The password of a PKCS#12 or encrypted PKCS#8 file handed to crypto.inspect. */
  inspectPassword: 'inspect-password',
  /** The user's token hash key, sealed to a device key at logon. */
  hashKey: 'hash-key',
  /** The user's logon password (create-session over AMQP, see logon-password.ts), re-sealed for the directory bind. */
  logonPassword: 'logon-password',
  /** A batch's key-encryption key for its downloads, sealed to a device key (download-key.ts). */
  downloadKey: 'download-key',
} as const);

function label(purpose: string): Buffer {
  return Buffer.from(`${PREFIX}${purpose}\0`, 'utf8');
}

export function sealSecret(
  purpose: string,
  secret: Uint8Array,
  recipients: readonly EnvelopeRecipient[],
): Result<Buffer> {
  if (!PURPOSE.test(purpose)) return fail('INVALID_INPUT', 'a secret purpose is a kebab-case word');
  const content = Buffer.concat([label(purpose), secret]);
  try {
    return sealEnvelope(content, recipients);
  } finally {
    wipe(content);
  }
}

export const SECRET_OPEN_FAILED = 'the sealed secret could not be opened';

/** Opens a secret sealed for `purpose`; any failure after a recipient matched is one INTEGRITY_CHECK_FAILED. */
export function openSecret(
  purpose: string,
  envelope: Uint8Array,
  keys: readonly OpeningKey[],
): Result<Buffer> {
  const opened = openEnvelope(envelope, keys);
  if (!opened.ok) {
    return opened.error.code === 'INTEGRITY_CHECK_FAILED'
      ? fail('INTEGRITY_CHECK_FAILED', SECRET_OPEN_FAILED)
      : opened;
  }
  const expected = label(purpose);
  const content = opened.value;
  const head = content.subarray(0, expected.length);
  const labelled = head.length === expected.length && timingSafeEqual(head, expected);
  const secret = labelled ? Buffer.from(content.subarray(expected.length)) : null;
  wipe(content);
  return secret ? ok(secret) : fail('INTEGRITY_CHECK_FAILED', SECRET_OPEN_FAILED);
}
