import { createCipheriv, createDecipheriv, createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { fail, ok, type Result } from '@credroam/roaming';

/**
 * A secret that must cross the broker between two services (a password on its way to the directory bind) travels
 * sealed with AES-256-GCM under the service channel key that only those services load. The purpose (e.g.
 * `verify-password:alice`) is authenticated too, so an envelope cannot be replayed for another user or use.
 *
 * Layout: version (1) | key id (8, SHA-256 prefix of the key) | IV (12) | tag (16) | ciphertext.
 */
const VERSION = 1;
const KEY_ID_BYTES = 8;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const HEADER_BYTES = 1 + KEY_ID_BYTES + IV_BYTES + TAG_BYTES;
export const SERVICE_CHANNEL_KEY_BYTES = 32;

export function serviceChannelKeyId(key: Buffer): Buffer {
  return createHash('sha256')
    .update('credroam service channel key id')
    .update(key)
    .digest()
    .subarray(0, KEY_ID_BYTES);
}

function checkKey(key: Buffer): Result<Buffer> {
  if (key.length !== SERVICE_CHANNEL_KEY_BYTES) {
    return fail('KEY_UNAVAILABLE', `the service channel key must be ${SERVICE_CHANNEL_KEY_BYTES} bytes`);
  }
  return ok(key);
}

export function sealServiceSecret(key: Buffer, purpose: string, secret: Buffer): Result<Buffer> {
  const checked = checkKey(key);
  if (!checked.ok) return checked;
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(purpose, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(secret), cipher.final()]);
  return ok(
    Buffer.concat([Buffer.of(VERSION), serviceChannelKeyId(key), iv, cipher.getAuthTag(), ciphertext]),
  );
}

export function openServiceSecret(key: Buffer, purpose: string, envelope: Buffer): Result<Buffer> {
  const checked = checkKey(key);
  if (!checked.ok) return checked;
  if (envelope.length < HEADER_BYTES || envelope[0] !== VERSION) {
    return fail('INTEGRITY_CHECK_FAILED', 'the sealed secret is not a service envelope');
  }
  const keyId = envelope.subarray(1, 1 + KEY_ID_BYTES);
  if (!timingSafeEqual(keyId, serviceChannelKeyId(key))) {
    return fail('KEY_UNAVAILABLE', 'the sealed secret was sealed under another service channel key');
  }
  const iv = envelope.subarray(1 + KEY_ID_BYTES, 1 + KEY_ID_BYTES + IV_BYTES);
  const tag = envelope.subarray(1 + KEY_ID_BYTES + IV_BYTES, HEADER_BYTES);
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, iv);
    decipher.setAAD(Buffer.from(purpose, 'utf8'));
    decipher.setAuthTag(tag);
    return ok(Buffer.concat([decipher.update(envelope.subarray(HEADER_BYTES)), decipher.final()]));
  } catch {
    return fail('INTEGRITY_CHECK_FAILED', 'the sealed secret failed its integrity check');
  }
}
