import fc from 'fast-check';
import { checkProperty } from '../testing/property-check';
import { ERROR_CODES, isErrorCode, isRetryable } from '../errors/roaming-error';
import { FULL_RESYNC_REASONS } from '../reconcile/model';
import { MAX_TIMESTAMP_MS } from '../tokens/token-meta';
import {
  AMQP_INGRESS_SOURCE,
  CREDROAM_SERVICES,
  DEAD_LETTER_REASONS,
  createEvent,
  EVENT_CATALOG,
  EVENT_TYPES,
  LOGON_FAILURE_REASONS,
  KERBEROS_REFUSALS,
  RATE_LIMITS,
  parseEvent,
  RENEWAL_REFUSALS,
  type EventPayload,
  type EventType,
} from './events';
import { TOKEN_TYPES } from '../tokens/token-type';
import { GRANT_ERROR_CODES, OPERATOR_PATTERNS } from './grants';
import { RPC_PATTERN_LIST, RPC_QUEUES } from './rpc';
import { SYNC_TRIGGERS, WORKSTATION_FAILURE_CODES } from './sync';

const hash = fc.stringMatching(/^[0-9a-f]{64}$/);
const timestamp = fc.integer({ min: 0, max: MAX_TIMESTAMP_MS });
const instant = timestamp.map((ms) => new Date(ms).toISOString());
const count = fc.integer({ min: 0, max: 1_000_000 });
const trigger = fc.constantFrom(...SYNC_TRIGGERS);
const errorCode = fc.constantFrom(...ERROR_CODES);
const text = fc.string({ maxLength: 200 });

/** A token key that passes its type's whitelist. */
const tokenKey = fc.oneof(
  fc.record({ type: fc.constant('certificate' as const), id: fc.stringMatching(/^[0-9A-F]{40}$/) }),
  fc.record({
    type: fc.constantFrom('private-key' as const, 'certificate-request' as const),
    id: fc.stringMatching(/^[A-Za-z0-9_-][A-Za-z0-9._-]{0,92}$/),
  }),
  fc.record({ type: fc.constant('master-key' as const), id: fc.oneof(fc.constant('Preferred'), fc.uuid()) }),
  fc.record({ type: fc.constant('stored-credential' as const), id: fc.stringMatching(/^[ -~]{1,93}$/) }),
);
const tokenFields = fc
  .record({ key: tokenKey, hash, modifiedAt: timestamp, size: fc.integer({ min: 0, max: 0xffff_ffff }) })
  .map(({ key, ...rest }) => ({ ...key, ...rest }));
const version = fc.option(fc.record({ hash, modifiedAt: fc.integer(), tombstone: fc.boolean() }), {
  nil: null,
});

const PAYLOADS: { [T in EventType]: fc.Arbitrary<EventPayload<T>> } = {
  'session.opened': fc.record({
    transport: fc.constantFrom('http' as const, 'amqp' as const),
    agentVersion: fc.stringMatching(/^[0-9A-Za-z][0-9A-Za-z.+-]{0,63}$/),
    expiresAt: instant,
    method: fc.constantFrom('password' as const, 'kerberos' as const),
  }),
  'session.renewed': fc.record({
    transport: fc.constantFrom('http' as const, 'amqp' as const),
    expiresAt: instant,
    renewableUntil: instant,
  }),
  'session.renewal-refused': fc.record({
    transport: fc.constantFrom('http' as const, 'amqp' as const),
    reason: fc.constantFrom(...RENEWAL_REFUSALS),
    authenticatedAt: instant,
  }),
  'workstation.failure-reported': fc.record({
    code: fc.constantFrom(...WORKSTATION_FAILURE_CODES),
    problem: fc.stringMatching(/^[ -~]{1,512}$/),
    trigger: fc.option(trigger, { nil: null }),
  }),
  'logon.failed': fc.record({
    reason: fc.constantFrom(...LOGON_FAILURE_REASONS),
    transport: fc.constantFrom('http' as const, 'amqp' as const),
    source: fc.oneof(fc.ipV4(), fc.ipV6(), fc.constant(AMQP_INGRESS_SOURCE)),
  }),
  'logon.kerberos-refused': fc.record({
    reason: fc.constantFrom(...KERBEROS_REFUSALS),
    principal: fc.option(fc.constantFrom('alice@CREDROAM.TEST', 'bob@OTHER.TEST'), { nil: null }),
    transport: fc.constant('http' as const),
    source: fc.oneof(fc.ipV4(), fc.ipV6()),
  }),
  'logon.failures-exceeded': fc
    .record({
      scope: fc.constantFrom('user' as const, 'source' as const),
      source: fc.ipV4(),
      threshold: fc.integer({ min: 1, max: 1_000 }),
      extra: fc.integer({ min: 1, max: 1_000 }),
      windowSeconds: fc.integer({ min: 1, max: 86_400 }),
    })
    .map(({ scope, source, threshold, extra, windowSeconds }) => ({
      scope,
      source: scope === 'source' ? source : null,
      failures: threshold + extra,
      threshold,
      windowSeconds,
    })),
  'sync.started': fc.record({ trigger }),
  'sync.completed': fc
    .record({
      trigger,
      counts: fc.record({
        uploads: count,
        downloads: count,
        localDeletions: count,
        tombstones: count,
        purges: count,
        conflicts: count,
        rejections: count,
        reported: count,
      }),
      durationMs: fc.integer({ min: 0, max: 86_400_000 }),
      fullResync: fc.option(fc.constantFrom(...FULL_RESYNC_REASONS), { nil: null }),
      upToDate: fc.boolean(),
    })
    .map((payload) =>
      payload.upToDate
        ? {
            ...payload,
            counts: {
              ...payload.counts,
              uploads: 0,
              downloads: 0,
              localDeletions: 0,
              tombstones: 0,
              purges: 0,
            },
          }
        : payload,
    ),
  'sync.failed': fc.record({
    trigger,
    error: fc.record({ code: errorCode, message: text }),
    attempts: fc.integer({ min: 1, max: 100 }),
  }),
  'sync.self-heal-needed': fc.record({ reason: fc.constantFrom(...FULL_RESYNC_REASONS) }),
  'token.uploaded': fc.tuple(tokenFields, fc.boolean()).map(([token, conflict]) => ({ ...token, conflict })),
  'token.downloaded': fc
    .tuple(tokenFields, fc.boolean())
    .map(([token, conflict]) => ({ ...token, conflict })),
  'token.tombstoned': tokenFields,
  'token.purged': fc
    .tuple(tokenFields, fc.constantFrom('expired-tombstone' as const, 'duplicate' as const))
    .map(([token, reason]) => ({ ...token, reason })),
  'token.conflict': fc
    .record({
      key: tokenKey,
      kind: fc.constantFrom('both-changed' as const, 'edit-beats-delete' as const),
      winner: fc.constantFrom('local' as const, 'directory' as const),
      local: version,
      directory: version,
    })
    .map(({ key, ...rest }) => ({ ...key, ...rest })),
  'token.rejected': fc.record({
    tokenType: fc.option(
      tokenKey.map((key) => key.type),
      { nil: null },
    ),
    displayId: fc.string({ maxLength: 512 }),
    side: fc.constantFrom('local' as const, 'directory' as const),
    code: errorCode,
    message: text,
  }),
  'token.reported': fc.record({
    ref: fc.string({ minLength: 1, maxLength: 128 }),
    origin: fc.constantFrom('foreign' as const, 'credroam' as const),
    reason: fc.constantFrom('foreign' as const, 'unsafe-identifier' as const, 'undecodable' as const),
    tokenType: fc.option(
      tokenKey.map((key) => key.type),
      { nil: null },
    ),
    displayId: fc.string({ maxLength: 512 }),
    modifiedAt: fc.option(fc.integer(), { nil: null }),
  }),
  'policy.limit-exceeded': fc
    .record({
      limit: fc.constantFrom('maxTokens' as const, 'maxTokenBytes' as const, 'maxTotalBytes' as const),
      allowed: count,
      over: fc.integer({ min: 1, max: 1_000_000_000 }),
    })
    .map(({ limit, allowed, over }) => ({ limit, allowed, actual: allowed + over })),
  'directory.write-retried': fc.record({
    attempt: fc.integer({ min: 1, max: 100 }),
    reason: fc.constantFrom(...ERROR_CODES.filter(isRetryable)),
    delayMs: fc.integer({ min: 0, max: 600_000 }),
  }),
  'directory.changed': fc.record({ trigger, modifiedAt: instant }),
  'service.restarted': fc
    .record({
      service: fc.constantFrom(...CREDROAM_SERVICES),
      ended: fc.oneof(
        fc.record({ exitCode: fc.integer({ min: 0, max: 255 }), signal: fc.constant(null) }),
        fc.record({ exitCode: fc.constant(null), signal: fc.constantFrom('SIGKILL', 'SIGSEGV', 'SIGTERM') }),
      ),
      restarts: fc.integer({ min: 1, max: 1_000_000 }),
      downMs: fc.integer({ min: 0, max: 86_400_000 }),
    })
    .map(({ ended, ...rest }) => ({ ...rest, ...ended })),
  'message.dead-lettered': fc.record({
    queue: fc.string({ minLength: 1, maxLength: 255 }),
    originalRoutingKey: fc.string({ maxLength: 255 }),
    originalMessageId: fc.option(fc.string({ minLength: 1, maxLength: 255 }), { nil: null }),
    reason: fc.constantFrom(...DEAD_LETTER_REASONS),
    errorCode: fc.option(errorCode, { nil: null }),
    attempts: fc.integer({ min: 1, max: 1000 }),
  }),
  'security.rate-limited': fc.record({
    limit: fc.constantFrom(...RATE_LIMITS),
    transport: fc.constantFrom('http' as const, 'amqp' as const),
    source: fc.oneof(fc.ipV4(), fc.ipV6(), fc.constant(AMQP_INGRESS_SOURCE)),
    retryAfterSeconds: fc.integer({ min: 1, max: 86_400 }),
    shared: fc.boolean(),
  }),
  'security.request-refused': fc.record({
    service: fc.constantFrom(...(Object.keys(RPC_QUEUES) as (keyof typeof RPC_QUEUES)[])),
    operation: fc.constantFrom(...RPC_PATTERN_LIST),
    code: fc.constantFrom(...GRANT_ERROR_CODES),
    reason: fc.string({ minLength: 1, maxLength: 512 }),
    targetDn: fc.option(fc.constant('uid=alice,ou=people,dc=credroam,dc=test'), { nil: null }),
    grantedTo: fc.option(fc.constant('bob'), { nil: null }),
  }),
  'security.operator-action': fc.record({
    operator: fc.constantFrom('helpdesk-jo', 'ops'),
    operation: fc.constantFrom(...OPERATOR_PATTERNS),
    targetDn: fc.constant('uid=alice,ou=people,dc=credroam,dc=test'),
    types: fc.option(fc.uniqueArray(fc.constantFrom(...TOKEN_TYPES), { minLength: 1 }), { nil: null }),
    removed: count,
  }),
};

const login = fc
  .stringMatching(/^[\x21-\x7e\u00a0-\u024f]([\x20-\x7e\u00a0-\u024f]{0,254}[\x21-\x7e\u00a0-\u024f])?$/)
  .filter((value) => value.trim() === value);
const machine = fc.stringMatching(/^[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}$/);
const correlationId = fc.oneof(fc.uuid(), fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/));
const context = fc.record({
  id: fc.uuid({ version: [4, 7] }),
  now: fc.oneof(
    timestamp,
    timestamp.map((ms) => new Date(ms)),
  ),
});

/** Any event type with fields that satisfy its catalog entry. */
const validEvent = fc.constantFrom(...EVENT_TYPES).chain((type) =>
  fc.record({
    type: fc.constant(type),
    fields: fc.record({
      correlationId,
      user: EVENT_CATALOG[type].requires.user ? login : fc.option(login, { nil: null }),
      machine: EVENT_CATALOG[type].requires.machine ? machine : fc.option(machine, { nil: null }),
      payload: PAYLOADS[type] as fc.Arbitrary<EventPayload<EventType>>,
      code: type === 'sync.completed' ? fc.constantFrom(1 as const, 2 as const) : fc.constant(undefined),
    }),
    context,
  }),
);

describe('createEvent and parseEvent', () => {
  it('builds every valid event, and what it builds parses back unchanged after a trip through JSON', () => {
    checkProperty(
      fc.property(validEvent, ({ type, fields, context: at }) => {
        const created = createEvent(type, fields, at);
        if (!created.ok) throw new Error(`${type}: ${created.error.message}`);
        const received = JSON.parse(JSON.stringify(created.value));
        expect(parseEvent(received)).toEqual({ ok: true, value: created.value });
      }),
      { numRuns: 500 },
    );
  });

  it('never throws on arbitrary input, and anything it accepts parses back', () => {
    checkProperty(
      fc.property(
        fc.constantFrom(...EVENT_TYPES),
        fc.record({
          correlationId: fc.oneof(correlationId, fc.string()),
          user: fc.oneof(login, fc.string(), fc.constant(null)),
          machine: fc.oneof(machine, fc.string(), fc.constant(null)),
          payload: fc.anything(),
          code: fc.option(fc.integer({ min: -1, max: 1100 }), { nil: undefined }),
        }),
        fc.record({ id: fc.oneof(fc.uuid(), fc.string()), now: fc.oneof(fc.double(), fc.integer()) }),
        (type, fields, at) => {
          const created = createEvent(type, fields as never, at);
          if (created.ok) expect(parseEvent(JSON.parse(JSON.stringify(created.value))).ok).toBe(true);
          else expect(isErrorCode(created.error.code)).toBe(true);
        },
      ),
      { numRuns: 500 },
    );
  });
});
