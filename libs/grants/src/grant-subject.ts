import { type GrantSubject, type RequestSubject } from '@credroam/roaming';
import { deviceKeyHash } from '@credroam/sealing';

/** Whom logon-events has authenticated: a logon attempt knows the login and device; a session knows everything. */
export interface Grantee {
  login: string;
  stableId: string | null;
  dn: string | null;
  /** The device public key (SPKI DER, base64) the session registered. */
  devicePublicKey: string | null;
}

export function grantSubjectOf(grantee: Grantee): GrantSubject {
  return {
    login: grantee.login,
    stableId: grantee.stableId,
    dn: grantee.dn,
    deviceKeyHash: grantee.devicePublicKey === null ? null : deviceKeyHash(grantee.devicePublicKey),
  };
}

/**
 * Why a grant's subject does not cover what a request names, or null when it does: every field the request
 * names must be exactly the grant's (a grant without a device key covers nothing sealed to a device).
 */
export function subjectMismatch(request: RequestSubject, grant: GrantSubject): string | null {
  if (request.login !== undefined && request.login !== grant.login) return 'the grant is for another user';
  if (request.stableId !== undefined && request.stableId !== grant.stableId) {
    return 'the grant is for another directory user';
  }
  if (request.dn !== undefined && request.dn !== grant.dn) return 'the grant is for another directory entry';
  if (request.devicePublicKey !== undefined) {
    if (grant.deviceKeyHash === null) return 'the grant names no device key';
    if (deviceKeyHash(request.devicePublicKey) !== grant.deviceKeyHash) {
      return 'the grant names another device key';
    }
  }
  return null;
}
