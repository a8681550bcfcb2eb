import { type SessionClaims } from '../sessions/session-token';

import { type DirectoryUser } from '@credroam/roaming';

const ALICE_DN = 'uid=alice,ou=people,dc=credroam,dc=test';

/** alice as the directory answers for her, for unit specs. */
export const ALICE: DirectoryUser = {
  dn: ALICE_DN,
  login: 'alice',
  stableId: '6f1c2e0a-0000-4000-8000-000000000001',
  displayName: null,
  groups: [],
};

/** alice's session on ws-01, for unit specs; a spec overrides what it is about (device key, transport, expiry). */
export function sessionClaims(overrides: Partial<SessionClaims> & Pick<SessionClaims, 'exp'>): SessionClaims {
  return {
    login: ALICE.login,
    dn: ALICE.dn,
    stableId: ALICE.stableId,
    machine: 'ws-01',
    devicePublicKey: Buffer.from('device spki').toString('base64'),
    transport: 'http',
    authAt: overrides.exp - 900_000,
    ...overrides,
  };
}
