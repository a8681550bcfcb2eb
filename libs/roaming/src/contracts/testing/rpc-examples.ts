import { POLICY_DEFAULTS } from '../../policy/policy';
import { type RpcPattern, type RpcRequest, type RpcResponse } from '../rpc';
import {
  bytes,
  CERTIFICATE_ID,
  CERTIFICATE_PEM,
  certificateMeta,
  DEVICE_KEY,
  directoryState,
  directoryToken,
  effectivePolicy,
  ENVELOPE,
  NOW,
  SEALED,
  STABLE_ID,
  STAMP,
  USER_DN,
} from './contract-examples';

const directoryUser = {
  dn: USER_DN,
  login: 'alice',
  stableId: STABLE_ID,
  displayName: 'Alice Martin',
  groups: ['cn=roaming-small,ou=groups,dc=credroam,dc=test'],
};
const sealingUser = { stableId: STABLE_ID, login: 'alice' };
const health = {
  status: 'ok' as const,
  checks: { ldap: { ok: true }, broker: { ok: true, detail: 'connected' } },
};

/** A realistic request and response for every RPC pattern; the mapped type keeps it complete. */
export const RPC_EXAMPLES: { [P in RpcPattern]: { request: RpcRequest<P>; response: RpcResponse<P> } } = {
  'directory.lookup-user': { request: { login: 'alice' }, response: { user: directoryUser } },
  'directory.verify-password': {
    request: { login: 'alice', sealedPassword: bytes(612) },
    response: { user: directoryUser },
  },
  'directory.check-account': {
    request: {
      login: 'alice',
      stableId: directoryUser.stableId,
      dn: USER_DN,
      authenticatedAt: new Date(NOW).toISOString(),
    },
    response: { status: 'usable', user: directoryUser },
  },
  'directory.read-state': {
    request: { userDn: USER_DN },
    response: { stamp: STAMP, state: directoryState() },
  },
  'directory.read-stamp': {
    request: { userDn: USER_DN },
    response: { stamp: STAMP },
  },
  'directory.read-values': {
    request: { userDn: USER_DN, keys: [{ type: directoryToken().type, id: directoryToken().id }] },
    response: { values: [{ token: directoryToken(), keyVersion: 3, sealed: SEALED }] },
  },
  'directory.apply-changes': {
    request: {
      userDn: USER_DN,
      expectedStamp: STAMP,
      add: [
        { token: directoryToken(), keyVersion: 3, sealed: SEALED },
        {
          token: { ...directoryToken(true), type: 'master-key', id: 'Preferred', modifiedAt: NOW },
          keyVersion: null,
          sealed: null,
        },
      ],
      remove: ['v1:3f2a9c'],
      purgeWatermark: NOW - 90 * 86_400_000,
    },
    response: { stamp: bytes(16, 0x02), createdAt: NOW - 90 * 86_400_000 },
  },
  'directory.purge-user': {
    request: { userDn: USER_DN, expectedStamp: STAMP, types: ['certificate', 'private-key'] },
    response: { removed: 4, stamp: bytes(16, 0x03) },
  },
  'directory.inspect-user': {
    request: { userDn: USER_DN },
    response: { stamp: STAMP, state: directoryState() },
  },
  'directory.resolve-policy': {
    request: { userDn: USER_DN, groups: directoryUser.groups },
    response: effectivePolicy(),
  },
  'directory.health': { request: {}, response: health },
  'crypto.transport-certificate': {
    request: {},
    response: { certificatePem: CERTIFICATE_PEM, thumbprint: CERTIFICATE_ID },
  },
  'crypto.inspect': {
    request: { data: bytes(2600), format: 'pkcs12', passwordEnvelope: bytes(580) },
    response: {
      kind: 'pkcs12',
      subject: 'CN=Alice Martin,OU=people,DC=credroam,DC=test',
      issuer: 'CN=credroam test CA',
      serialNumber: '01A4F3',
      notBefore: '2026-01-01T00:00:00.000Z',
      notAfter: '2027-01-01T00:00:00.000Z',
      thumbprint: CERTIFICATE_ID,
      keyAlgorithm: 'RSA',
      keySize: 2048,
      expired: false,
      keyMatchesCertificate: true,
    },
  },
  'crypto.seal-for-storage': {
    request: {
      user: sealingUser,
      limits: { maxTokenBytes: POLICY_DEFAULTS.maxTokenBytes },
      items: [{ token: certificateMeta(), envelope: ENVELOPE }],
    },
    response: {
      items: [{ type: 'certificate', id: CERTIFICATE_ID, ok: true, keyVersion: 3, sealed: SEALED }],
    },
  },
  'crypto.seal-for-device': {
    request: {
      user: sealingUser,
      devicePublicKey: DEVICE_KEY,
      items: [{ token: directoryToken(), keyVersion: 3, sealed: SEALED }],
      includeHashKey: true,
      downloadKey: true,
    },
    response: {
      items: [{ type: 'certificate', id: CERTIFICATE_ID, ok: true, envelope: ENVELOPE }],
      hashKeyEnvelope: bytes(240),
      downloadKeyEnvelope: bytes(240),
    },
  },
  'crypto.reseal': {
    request: { user: sealingUser, items: [{ token: directoryToken(), keyVersion: 2, sealed: SEALED }] },
    response: {
      items: [
        {
          type: 'certificate',
          id: CERTIFICATE_ID,
          ok: false,
          error: {
            code: 'INTEGRITY_CHECK_FAILED',
            message: 'value is bound to another user',
            retryable: false,
          },
        },
      ],
    },
  },
  'crypto.reseal-password': {
    request: { login: 'alice', devicePublicKey: bytes(91), sealedPassword: bytes(580) },
    response: { sealedPassword: bytes(53) },
  },
  'crypto.health': { request: {}, response: health },
};
