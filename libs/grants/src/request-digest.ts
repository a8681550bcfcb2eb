import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import { RoamingError } from '@credroam/roaming';

/**
 * SHA-256 (unpadded base64url) of a request payload in RFC 8785 canonical JSON: the same value whichever order
 * the keys were in, so the signer and a verifier that only sees the payload after a trip through JSON agree.
 */
export function requestDigest(payload: unknown): string {
  const canonical = canonicalize(payload);
  if (canonical === undefined) throw new RoamingError('INTERNAL', 'a request payload must be JSON');
  return createHash('sha256').update(canonical, 'utf8').digest('base64url');
}
