import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { fail, ok, type Result } from '@credroam/roaming';

/** SHA-256 (hex) of a device public key (SPKI DER, base64): how a sealed logon password names its device. */
export function deviceKeyHash(devicePublicKeyBase64: string): string {
  return createHash('sha256').update(Buffer.from(devicePublicKeyBase64, 'base64')).digest('hex');
}

/** The device public key a session registered, as a key object; CRYPTO_PARSE_FAILED when it is not an SPKI. */
export function devicePublicKey(devicePublicKeyBase64: string): Result<KeyObject> {
  try {
    return ok(
      createPublicKey({ key: Buffer.from(devicePublicKeyBase64, 'base64'), format: 'der', type: 'spki' }),
    );
  } catch {
    return fail('CRYPTO_PARSE_FAILED', 'the device public key is not a DER SubjectPublicKeyInfo');
  }
}
