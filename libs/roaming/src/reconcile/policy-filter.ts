import { type Policy } from '../policy/policy';
import { type TokenMeta } from './model';

/**
 * Windows' default filters (DESIGN.md section 3): smart-card items and, unless enabled, stored credentials and
 * private keys no roamed certificate uses never roam. Returns why a token is held back, or null.
 */
export function filterReason(
  token: Pick<TokenMeta, 'type' | 'flags' | 'linkedCertificate'>,
  policy: Policy,
  roamedCertificates: ReadonlySet<string>,
  side: 'local' | 'directory',
): string | null {
  if (token.type === 'stored-credential' && !policy.roamStoredCredentials) {
    return 'stored credentials roam only when policy enables roamStoredCredentials';
  }
  if (token.flags.smartCard) {
    if (token.type !== 'certificate') return 'items backed by a smart card never roam';
    if (!policy.roamSmartCardCertificates) {
      return 'smart-card certificates roam only when policy enables roamSmartCardCertificates';
    }
  }
  // Affiliation is checked where a key would enter the directory; one already there passed it on upload.
  if (side === 'local' && token.type === 'private-key' && !policy.roamUnaffiliatedKeys) {
    const linked = token.linkedCertificate;
    if (!linked || !roamedCertificates.has(linked)) {
      return 'private keys roam only with a roamed certificate that uses them (roamUnaffiliatedKeys is off)';
    }
  }
  return null;
}
