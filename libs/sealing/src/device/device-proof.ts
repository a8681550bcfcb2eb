import { createHash, sign, verify, type KeyObject } from 'node:crypto';

const LABEL = 'credroam device proof v1\0';

function signedBytes(issuedAt: number, message: Uint8Array): Buffer {
  const digest = createHash('sha256').update(message).digest();
  return Buffer.concat([Buffer.from(`${LABEL}${issuedAt}\0`, 'utf8'), digest]);
}

/**
 * Proof that a message comes from the holder of a device key: a signature (ECDSA or RSA PKCS#1 v1.5, SHA-256) over
 * a label, the time it was made and the SHA-256 of the message bytes exactly as sent. A message that travels
 * through the broker, where others may read it, cannot be altered or re-sent later under another time.
 */
export function signDeviceProof(privateKey: KeyObject, issuedAt: number, message: Uint8Array): string {
  return sign('sha256', signedBytes(issuedAt, message), privateKey).toString('base64');
}

export function verifyDeviceProof(
  publicKey: KeyObject,
  issuedAt: number,
  message: Uint8Array,
  signatureBase64: string,
): boolean {
  try {
    return verify(
      'sha256',
      signedBytes(issuedAt, message),
      publicKey,
      Buffer.from(signatureBase64, 'base64'),
    );
  } catch {
    return false;
  }
}
