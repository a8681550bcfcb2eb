import { createHash, timingSafeEqual } from 'node:crypto';

/** The token's digest, kept instead of the token so that comparisons run in constant time whatever the length. */
export function tokenDigest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/** Whether an Authorization header carries the operator token as `Bearer <token>`. */
export function bearerMatches(header: string | undefined, expected: Buffer): boolean {
  if (typeof header !== 'string' || header.length > 1024) return false;
  const token = /^Bearer[ ]+(\S+)[ ]*$/i.exec(header)?.[1];
  if (token === undefined) return false;
  return timingSafeEqual(tokenDigest(token), expected);
}
