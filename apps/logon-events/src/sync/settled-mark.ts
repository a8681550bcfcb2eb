import { createHash } from 'node:crypto';
import { type Policy } from '@credroam/roaming';

/**
 * The mark a settled sync's answer carries (settledMarkSchema): a fingerprint of the effective policy it was
 * reconciled under, so that a check made under another policy (a type that no longer roams, roaming disabled, a
 * lower limit) is sent to a full sync instead of being answered from the stamp.
 */
export function settledMark(policy: Policy): string {
  return createHash('sha256').update(JSON.stringify(policy)).digest('base64url').slice(0, 22);
}
