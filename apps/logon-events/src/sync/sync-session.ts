import { type Policy } from '@credroam/roaming';
import { type SessionClaims } from '../sessions/session-token';

/** The session's claims (the user, machine and device key) and its effective policy. */
export interface SyncSession {
  claims: SessionClaims;
  policy: Policy;
}
