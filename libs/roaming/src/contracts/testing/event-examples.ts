import { type EventFields, type EventType } from '../events';
import {
  CERTIFICATE_FACTS,
  CERTIFICATE_ID,
  certificateMeta,
  CORRELATION_ID,
  HASH_A,
  HASH_B,
  KEY_CONTAINER_ID,
  NOW,
} from './contract-examples';

const subject = { correlationId: CORRELATION_ID, user: 'alice', machine: 'WS-0042.corp' };
const certificate = certificateMeta();
const tokenFields = {
  type: certificate.type,
  id: certificate.id,
  hash: certificate.hash,
  modifiedAt: certificate.modifiedAt,
  size: certificate.size,
};

/** One realistic event of every type; the mapped type makes the compiler insist on every catalog entry. */
export const EVENT_EXAMPLES: { [T in EventType]: EventFields<T> } = {
  'session.opened': {
    ...subject,
    payload: { transport: 'http', agentVersion: '0.1.0', expiresAt: new Date(NOW + 3_600_000).toISOString() },
  },
  'session.renewed': {
    ...subject,
    payload: {
      transport: 'amqp',
      expiresAt: new Date(NOW + 900_000).toISOString(),
      renewableUntil: new Date(NOW + 36_000_000).toISOString(),
    },
  },
  'session.renewal-refused': {
    ...subject,
    payload: {
      transport: 'http',
      reason: 'disabled',
      authenticatedAt: new Date(NOW - 3_600_000).toISOString(),
    },
  },
  'workstation.failure-reported': {
    ...subject,
    payload: { code: 1006, problem: 'state file is corrupt: Unexpected end of JSON input', trigger: 'logon' },
  },
  'logon.failed': {
    ...subject,
    payload: { reason: 'INVALID_CREDENTIALS', transport: 'http', source: '192.0.2.10' },
  },
  'logon.kerberos-refused': {
    correlationId: subject.correlationId,
    user: null,
    machine: subject.machine,
    payload: {
      reason: 'foreign-realm',
      principal: 'alice@OTHER.TEST',
      transport: 'http',
      source: '192.0.2.10',
    },
  },
  'logon.failures-exceeded': {
    correlationId: subject.correlationId,
    user: null,
    machine: null,
    payload: { scope: 'source', source: '192.0.2.10', failures: 6, threshold: 5, windowSeconds: 300 },
  },
  'sync.started': { ...subject, payload: { trigger: 'logon' } },
  'sync.completed': {
    ...subject,
    code: 1,
    payload: {
      trigger: 'logon',
      counts: {
        uploads: 1,
        downloads: 2,
        localDeletions: 0,
        tombstones: 1,
        purges: 0,
        conflicts: 1,
        rejections: 0,
        reported: 1,
      },
      durationMs: 184,
      fullResync: null,
      upToDate: false,
    },
  },
  'sync.failed': {
    ...subject,
    payload: {
      trigger: 'unlock',
      error: { code: 'DIRECTORY_STAMP_CHANGED', message: 'the roaming stamp changed 5 times in a row' },
      attempts: 5,
    },
  },
  'sync.self-heal-needed': { ...subject, payload: { reason: 'directory-reset' } },
  'token.uploaded': {
    ...subject,
    payload: { ...tokenFields, conflict: false, certificate: CERTIFICATE_FACTS },
  },
  'token.downloaded': { ...subject, payload: { ...tokenFields, conflict: true } },
  'token.tombstoned': { ...subject, payload: { ...tokenFields, modifiedAt: NOW } },
  'token.purged': { ...subject, machine: null, payload: { ...tokenFields, reason: 'expired-tombstone' } },
  'token.conflict': {
    ...subject,
    payload: {
      type: 'certificate',
      id: CERTIFICATE_ID,
      kind: 'both-changed',
      winner: 'directory',
      local: { hash: HASH_A, modifiedAt: NOW - 5000, tombstone: false },
      directory: { hash: HASH_B, modifiedAt: NOW - 1000, tombstone: false },
    },
  },
  'token.rejected': {
    ...subject,
    payload: {
      tokenType: 'private-key',
      displayId: JSON.stringify(KEY_CONTAINER_ID),
      side: 'local',
      code: 'TOKEN_SIZE_EXCEEDED',
      message: 'private-key is 70000 bytes, policy allows 65535',
    },
  },
  'token.reported': {
    ...subject,
    payload: {
      ref: 'v1:77e1',
      origin: 'foreign',
      reason: 'unsafe-identifier',
      tokenType: 'private-key',
      displayId: '"..\\\\..\\\\Windows\\\\Start Menu\\\\Programs\\\\Startup\\\\x.bat"',
      modifiedAt: NOW - 7 * 86_400_000,
    },
  },
  'policy.limit-exceeded': {
    ...subject,
    payload: { limit: 'maxTokens', allowed: 400, actual: 412 },
  },
  'directory.write-retried': {
    ...subject,
    payload: { attempt: 2, reason: 'DIRECTORY_STAMP_CHANGED', delayMs: 140 },
  },
  'directory.changed': {
    ...subject,
    payload: { trigger: 'store-change', modifiedAt: new Date(NOW).toISOString() },
  },
  'service.restarted': {
    correlationId: CORRELATION_ID,
    user: null,
    machine: null,
    payload: { service: 'directory-gateway', exitCode: null, signal: 'SIGKILL', restarts: 1, downMs: 4200 },
  },
  'message.dead-lettered': {
    correlationId: CORRELATION_ID,
    user: null,
    machine: null,
    payload: {
      queue: 'credroam.audit.events',
      originalRoutingKey: 'sync.completed',
      originalMessageId: '8d7c4a1e-0b64-4d3f-9a57-5a3f0f6c2b11',
      reason: 'retries-exhausted',
      errorCode: 'SERVICE_UNAVAILABLE',
      attempts: 5,
    },
  },
  'security.rate-limited': {
    correlationId: CORRELATION_ID,
    user: 'carol',
    machine: null,
    payload: { limit: 'logon', transport: 'http', source: '192.0.2.10', retryAfterSeconds: 15, shared: true },
  },
  'security.request-refused': {
    correlationId: CORRELATION_ID,
    user: 'alice',
    machine: null,
    payload: {
      service: 'token-crypto',
      operation: 'crypto.seal-for-device',
      code: 'GRANT_MISMATCH',
      reason: 'the grant names another device key',
      targetDn: null,
      grantedTo: 'alice',
    },
  },
  'security.operator-action': {
    correlationId: CORRELATION_ID,
    user: 'alice',
    machine: null,
    payload: {
      operator: 'helpdesk-jo',
      operation: 'directory.purge-user',
      targetDn: 'uid=alice,ou=people,dc=credroam,dc=test',
      types: null,
      removed: 12,
    },
  },
};
