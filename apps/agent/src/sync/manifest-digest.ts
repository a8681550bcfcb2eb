import { createHash } from 'node:crypto';
import { compareText, tokenKeyString, type TokenMeta } from '@credroam/roaming';

/**
 * What the tokens a settled sync left are, in 43 characters (SHA-256, base64url): while the store's tokens give the
 * same digest, nothing changed here and the next sync may be a check. Identity, content hash, size and time: a
 * change of any is a change reconcile must see.
 */
export function manifestDigest(tokens: readonly TokenMeta[]): string {
  const lines = tokens
    .map((meta) => [tokenKeyString(meta), meta.hash, meta.size, meta.modifiedAt].join('\0'))
    .sort(compareText);
  return createHash('sha256').update(lines.join('\n')).digest('base64url');
}
