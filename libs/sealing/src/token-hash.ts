import { createHmac, timingSafeEqual } from 'node:crypto';

export const HASH_KEY_BYTES = 32;
const HASH_HEX = /^[0-9a-f]{64}$/;

/**
 * A token's hash (DESIGN.md section 3): HMAC-SHA-256 of the plaintext under the user's hash key, 64 lower-case hex
 * digits. Equal content hashes equally on every machine of the user, yet whoever reads the directory cannot test
 * guesses of a stored password against it.
 */
export function tokenHash(hashKey: Buffer, content: Uint8Array): string {
  if (hashKey.length !== HASH_KEY_BYTES) throw new RangeError(`a hash key is ${HASH_KEY_BYTES} bytes`);
  return createHmac('sha256', hashKey).update(content).digest('hex');
}

/** Constant-time comparison of a content's hash with the one its metadata claims. */
export function tokenHashMatches(hashKey: Buffer, content: Uint8Array, expected: string): boolean {
  if (!HASH_HEX.test(expected)) return false;
  const actual = createHmac('sha256', hashKey).update(content).digest();
  return timingSafeEqual(actual, Buffer.from(expected, 'hex'));
}
