import { randomBytes, type KeyObject } from 'node:crypto';
import { fail, ok, type Result } from '@credroam/roaming';
import { wipe } from '../limits';
import { openSecret, SECRET_PURPOSES, sealSecret } from './secret-envelope';

const KEY_ID_BYTES = 16;
const KEY_BYTES = 32;

/** A key-encryption key for one batch of downloads, and the identifier its KEK recipients carry. */
export interface DownloadKey {
  kek: Buffer;
  kekId: Buffer;
}

/**
 * One key agreement per batch of downloads instead of one per token: the batch's envelopes are sealed to a fresh
 * AES-256 key-encryption key (KEK recipients, RFC 5652 section 6.2.3), and that key alone is sealed to the device
 * key, as a secret with purpose "download-key" whose content is the key identifier then the key. The agent opens
 * the download key once and each download with an AES key unwrap; a token's envelope still opens only on a
 * device that holds the device key, and the key lives no longer than the batch.
 */
export function createDownloadKey(deviceKey: KeyObject): Result<{ key: DownloadKey; envelope: Buffer }> {
  const key = { kek: randomBytes(KEY_BYTES), kekId: randomBytes(KEY_ID_BYTES) };
  const secret = Buffer.concat([key.kekId, key.kek]);
  try {
    const envelope = sealSecret(SECRET_PURPOSES.downloadKey, secret, [{ publicKey: deviceKey }]);
    if (!envelope.ok) {
      wipe(key.kek);
      return envelope;
    }
    return ok({ key, envelope: envelope.value });
  } finally {
    wipe(secret);
  }
}

/** Opens a download key sealed to this device's key. */
export function openDownloadKey(envelope: Uint8Array, devicePrivateKey: KeyObject): Result<DownloadKey> {
  const opened = openSecret(SECRET_PURPOSES.downloadKey, envelope, [{ privateKey: devicePrivateKey }]);
  if (!opened.ok) return opened;
  const secret = opened.value;
  if (secret.length !== KEY_ID_BYTES + KEY_BYTES) {
    wipe(secret);
    return fail('INTEGRITY_CHECK_FAILED', 'a download key is a 16-byte identifier and a 32-byte key');
  }
  const key = {
    kekId: Buffer.from(secret.subarray(0, KEY_ID_BYTES)),
    kek: Buffer.from(secret.subarray(KEY_ID_BYTES)),
  };
  wipe(secret);
  return ok(key);
}
