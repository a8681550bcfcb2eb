import { z } from 'zod';
import { fail, type Result } from '../errors/result';
import { isRetryable, type ErrorCode } from '../errors/roaming-error';
import { type PolicyKnob } from '../policy/policy';
import {
  conflictSchema,
  FULL_RESYNC_REASONS,
  plannedPurgeSchema,
  rejectionSchema,
  reportedValueSchema,
} from '../reconcile/model';
import { tokenMetaShape, withIdentifierRule } from '../tokens/token-meta';
import { tokenTypeSchema } from '../tokens/token-type';
import { parseWith } from '../validation/parse';
import { certificateFacts, factsOnCertificatesOnly } from './certificate-metadata';
import { errorCodeSchema } from './error-info';
import { ALL_EVENT_CODES, failureEventCode, FAILURE_EVENT_CODES, type EventCode } from './event-codes';
import { GRANT_ERROR_CODES, OPERATOR_PATTERNS, operatorNameSchema } from './grants';
import {
  correlationIdSchema,
  distinguishedNameSchema,
  isoInstantSchema,
  loginNameSchema,
  machineIdSchema,
} from './identifiers';
import { RPC_PATTERN_LIST, RPC_QUEUES, type AccountStatus, type RpcPattern, type RpcService } from './rpc';
import {
  agentVersionSchema,
  syncTriggerSchema,
  WORKSTATION_FAILURE_CODES,
  workstationEventRequestSchema,
} from './sync';

/**
 * Domain events on the topic exchange `credroam.events`, routing key = event type (DESIGN.md section 8). Each
 * payload schema is strict: a field the catalog does not name (a token's content, a password) is refused, so
 * no secret can ride along into the broker or the audit store. Events carry metadata and hashes only.
 */
export const EVENTS_EXCHANGE = 'credroam.events';

const COUNT = z.number().int().min(0).max(1_000_000);

/** What every token event says about its token: the key (whitelisted), hash, time and size. Never content. */
const tokenFields = {
  type: tokenMetaShape.type,
  id: tokenMetaShape.id,
  hash: tokenMetaShape.hash,
  modifiedAt: tokenMetaShape.modifiedAt,
  size: tokenMetaShape.size,
};

/** An upload or a download; certificates carry their public facts, so audit keeps the fleet's inventory. */
const roamedTokenPayload = factsOnCertificatesOnly(
  withIdentifierRule(z.object({ ...tokenFields, conflict: z.boolean(), ...certificateFacts }).strict()),
);

const LIMIT_CODES = {
  maxTokens: 1008,
  maxTokenBytes: 1011,
  maxTotalBytes: 1011,
} as const satisfies Partial<Record<PolicyKnob, EventCode>>;
type LimitName = keyof typeof LIMIT_CODES;
const LIMIT_NAMES = Object.keys(LIMIT_CODES) as [LimitName, ...LimitName[]];

/** Where a failed logon came from: the client's IP address over HTTP, the broker ingress over AMQP. */
export const AMQP_INGRESS_SOURCE = 'amqp-ingress';
export const logonSourceSchema = z.union([z.ipv4(), z.ipv6(), z.literal(AMQP_INGRESS_SOURCE)], {
  message: 'source must be an IP address or "amqp-ingress"',
});

/** The rate limits of logon-events' agent API, as security.rate-limited names them. */
export const RATE_LIMITS = ['client', 'logon', 'user'] as const;

/** Why a logon failed, as the gateway answered it (an unknown login and a wrong password look alike to clients). */
export const LOGON_FAILURE_REASONS = ['INVALID_CREDENTIALS', 'USER_NOT_FOUND'] as const;

/**
 * Why a Kerberos logon was refused: the keytab did not accept the ticket (invalid, expired, replayed), it was for
 * another service principal, the client is of another realm or is not a user principal, or its directory account
 * is missing or not usable.
 */
export const KERBEROS_REFUSALS = [
  'ticket-refused',
  'wrong-service',
  'foreign-realm',
  'not-a-user',
  'missing',
  'disabled',
  'locked',
] as const;
export type KerberosRefusal = (typeof KERBEROS_REFUSALS)[number];

/** How a session's user authenticated. */
export const LOGON_METHODS = ['password', 'kerberos'] as const;

/** credroam's services, as supervisors and operators name them. */
export const CREDROAM_SERVICES = ['directory-gateway', 'token-crypto', 'logon-events', 'audit'] as const;

/**
 * Why a message was given up. The last three are a poison message's, refused before anything reads it: a body that
 * is not JSON, one over the consumer's size limit, one declared in another media type or compressed.
 * `invalid-message` is JSON that is not the queue's contract.
 */
export const DEAD_LETTER_REASONS = [
  'retries-exhausted',
  'invalid-message',
  'rejected',
  'expired',
  'maxlen',
  'delivery-limit',
  'not-json',
  'too-large',
  'unsupported-content-type',
] as const;

interface EventDefinition<
  P extends z.ZodType = z.ZodType,
  V extends number = number,
  C extends EventCode = EventCode,
> {
  version: V;
  /** The Windows-style codes this event may carry. */
  codes: readonly [C, ...C[]];
  /** When the payload determines the code: the only code allowed for it (createEvent then fills it in). */
  codeFor?(payload: z.output<P>): C;
  /** Whether the event is about a user (login required) and a machine (machine id required). */
  requires: { user: boolean; machine: boolean };
  payload: P;
  summary: string;
}

function defineEvent<P extends z.ZodType, const V extends number, const C extends EventCode>(
  definition: EventDefinition<P, V, C>,
): EventDefinition<P, V, C> {
  return definition;
}

const USER_AND_MACHINE = { user: true, machine: true };

const TRANSPORTS = z.enum(['http', 'amqp']);

/**
 * Why a session was not renewed: the directory account is no longer usable (an account status other than
 * `usable`), or the time since the password logon passed policy `sessionRenewalHours`.
 */
export const RENEWAL_REFUSALS = [
  'missing',
  'disabled',
  'locked',
  'password-changed',
  'renewal-window-over',
] as const satisfies readonly (Exclude<AccountStatus, 'usable'> | 'renewal-window-over')[];
export type RenewalRefusal = (typeof RENEWAL_REFUSALS)[number];
const USER_ONLY = { user: true, machine: false };

/**
 * Every event credroam publishes. A breaking change to a payload is a new version; consumers refuse versions
 * they do not know (and can still store them through eventEnvelopeSchema).
 */
export const EVENT_CATALOG = Object.freeze({
  'session.opened': defineEvent({
    version: 1,
    codes: [1],
    requires: USER_AND_MACHINE,
    payload: z
      .object({
        transport: z.enum(['http', 'amqp']),
        agentVersion: agentVersionSchema,
        expiresAt: isoInstantSchema,
        /** Absent in events of agents before Kerberos logons: a password. */
        method: z.enum(LOGON_METHODS).optional(),
      })
      .strict(),
    summary: 'A user authenticated from a workstation (password or Kerberos ticket) and got a session.',
  }),
  'session.renewed': defineEvent({
    version: 1,
    codes: [1],
    requires: USER_AND_MACHINE,
    payload: z
      .object({ transport: TRANSPORTS, expiresAt: isoInstantSchema, renewableUntil: isoInstantSchema })
      .strict(),
    summary: 'The device key renewed a session without the password; the directory account was still usable.',
  }),
  'session.renewal-refused': defineEvent({
    version: 1,
    // Roaming is not performed because a precondition (a usable account, a logon recent enough) failed.
    codes: [1009],
    requires: USER_AND_MACHINE,
    payload: z
      .object({
        transport: TRANSPORTS,
        reason: z.enum(RENEWAL_REFUSALS),
        /** The password logon the session came from. */
        authenticatedAt: isoInstantSchema,
      })
      .strict(),
    summary:
      'A session was not renewed (account disabled, locked, gone or its password changed, or the renewal ' +
      'window over): the user must log on with the password.',
  }),
  'workstation.failure-reported': defineEvent({
    version: 1,
    codes: WORKSTATION_FAILURE_CODES,
    codeFor: (payload) => payload.code,
    requires: USER_AND_MACHINE,
    payload: workstationEventRequestSchema,
    summary:
      'A workstation reported a local failure (1002/1003 store read/write, 1006/1007 state file read/write, ' +
      '1001 other); problem is its own description.',
  }),
  'logon.failed': defineEvent({
    version: 1,
    codes: [4625],
    // The login as typed (validated as a login name); the password is never part of an event.
    requires: USER_AND_MACHINE,
    payload: z
      .object({
        reason: z.enum(LOGON_FAILURE_REASONS),
        transport: z.enum(['http', 'amqp']),
        source: logonSourceSchema,
      })
      .strict(),
    summary: 'A logon was refused: wrong password or unknown user (Windows Security 4625).',
  }),
  'logon.kerberos-refused': defineEvent({
    version: 1,
    codes: [4625],
    // user is the directory login when the ticket named one of this realm; null when it could not be read or named
    // another realm (the principal as the ticket gave it is then in the payload, when known).
    requires: { user: false, machine: true },
    payload: z
      .object({
        reason: z.enum(KERBEROS_REFUSALS),
        /** The client principal (`name@REALM`) of a ticket the keytab accepted; null when it did not. */
        principal: z.string().min(3).max(512).nullable(),
        transport: z.literal('http'),
        source: logonSourceSchema,
      })
      .strict(),
    summary:
      'A Kerberos logon was refused: a ticket the keytab does not accept (invalid, expired, replayed, another ' +
      'service), a foreign realm, or a directory account that is missing or not usable (Windows Security 4625).',
  }),
  'logon.failures-exceeded': defineEvent({
    version: 1,
    codes: [4625],
    // user names the login when the failures are counted per user; null when counted per source.
    requires: { user: false, machine: false },
    payload: z
      .object({
        scope: z.enum(['user', 'source']),
        /** The source address when counted per source; the user's login is in the envelope otherwise. */
        source: logonSourceSchema.nullable(),
        failures: z.number().int().min(1).max(1_000_000),
        threshold: z.number().int().min(1).max(1_000_000),
        windowSeconds: z.number().int().min(1).max(86_400),
      })
      .strict()
      .refine(({ failures, threshold }) => failures > threshold, {
        message: 'failures must exceed the threshold',
        path: ['failures'],
      })
      .refine(({ scope, source }) => (scope === 'source') === (source !== null), {
        message: 'source is set exactly when the scope is source',
        path: ['source'],
      }),
    summary:
      'Failed logons for one user or from one source exceeded the threshold within the window: a likely password-guessing attack.',
  }),
  'sync.started': defineEvent({
    version: 1,
    codes: [1],
    requires: USER_AND_MACHINE,
    payload: z.object({ trigger: syncTriggerSchema }).strict(),
    summary: 'A sync began.',
  }),
  'sync.completed': defineEvent({
    version: 1,
    codes: [1, 2],
    requires: USER_AND_MACHINE,
    payload: z
      .object({
        trigger: syncTriggerSchema,
        counts: z
          .object({
            uploads: COUNT,
            downloads: COUNT,
            localDeletions: COUNT,
            tombstones: COUNT,
            purges: COUNT,
            conflicts: COUNT,
            rejections: COUNT,
            reported: COUNT,
          })
          .strict(),
        durationMs: z.number().int().min(0).max(86_400_000),
        fullResync: z.enum(FULL_RESYNC_REASONS).nullable(),
        /** The fast path: the stamp matched and nothing changed locally. */
        upToDate: z.boolean(),
      })
      .strict()
      .refine(
        ({ upToDate, counts }) =>
          !upToDate ||
          counts.uploads + counts.downloads + counts.localDeletions + counts.tombstones + counts.purges === 0,
        { message: 'an up-to-date sync changed nothing', path: ['upToDate'] },
      ),
    summary: 'A sync ended: 1 roaming performed, 2 self-healing performed.',
  }),
  'sync.failed': defineEvent({
    version: 1,
    codes: FAILURE_EVENT_CODES,
    codeFor: (payload) => failureEventCode(payload.error.code),
    requires: USER_AND_MACHINE,
    payload: z
      .object({
        trigger: syncTriggerSchema,
        error: z.object({ code: errorCodeSchema, message: z.string().max(2048) }).strict(),
        /** Attempts made, counting the write retries after lost races. */
        attempts: z.number().int().min(1).max(100),
      })
      .strict(),
    summary: 'A sync gave up; the code maps its error to the Windows failure event.',
  }),
  'sync.self-heal-needed': defineEvent({
    version: 1,
    codes: [502],
    requires: USER_AND_MACHINE,
    payload: z.object({ reason: z.enum(FULL_RESYNC_REASONS) }).strict(),
    summary: "A machine's base could not be used; a full resync follows.",
  }),
  'token.uploaded': defineEvent({
    version: 1,
    codes: [1],
    requires: USER_ONLY,
    payload: roamedTokenPayload,
    summary:
      'A token was written to the directory; a certificate carries its public facts (certificate) for the inventory.',
  }),
  'token.downloaded': defineEvent({
    version: 1,
    codes: [1],
    requires: USER_ONLY,
    payload: roamedTokenPayload,
    summary:
      'A token was sent to a workstation; a certificate carries its public facts (certificate) for the inventory.',
  }),
  'token.tombstoned': defineEvent({
    version: 1,
    codes: [1],
    requires: USER_ONLY,
    payload: withIdentifierRule(z.object(tokenFields).strict()),
    summary: 'A deletion was recorded in the directory (modifiedAt is the deletion time).',
  }),
  'token.purged': defineEvent({
    version: 1,
    codes: [1],
    requires: USER_ONLY,
    payload: withIdentifierRule(
      z.object({ ...tokenFields, reason: plannedPurgeSchema.shape.reason }).strict(),
    ),
    summary: 'An expired tombstone or a duplicate value was removed from the directory.',
  }),
  'token.conflict': defineEvent({
    version: 1,
    codes: [501],
    requires: USER_ONLY,
    payload: withIdentifierRule(conflictSchema),
    summary: 'Both sides changed a token; the newer version won.',
  }),
  'token.rejected': defineEvent({
    version: 1,
    codes: FAILURE_EVENT_CODES,
    codeFor: (payload) => failureEventCode(payload.code),
    requires: USER_ONLY,
    payload: rejectionSchema,
    summary:
      'A token was not roamed (invalid, over a limit, filtered); displayId is escaped for display only.',
  }),
  'token.reported': defineEvent({
    version: 1,
    codes: [1, 1004],
    // Windows-written values are expected in a mixed domain; unsafe or undecodable ones are worth an alert.
    codeFor: (payload) => (payload.reason === 'foreign' ? 1 : 1004),
    requires: USER_ONLY,
    payload: reportedValueSchema,
    summary: "A directory value that is not credroam's or not safe to use was left untouched.",
  }),
  'policy.limit-exceeded': defineEvent({
    version: 1,
    codes: [1008, 1011],
    codeFor: (payload) => LIMIT_CODES[payload.limit],
    requires: USER_ONLY,
    payload: z
      .object({
        limit: z.enum(LIMIT_NAMES),
        allowed: COUNT.max(Number.MAX_SAFE_INTEGER),
        actual: z.number().int().min(0),
      })
      .strict()
      .refine(({ allowed, actual }) => actual > allowed, {
        message: 'actual must exceed allowed',
        path: ['actual'],
      }),
    summary: 'A policy limit stopped a sync (1008 count) or a token (1011 size).',
  }),
  'directory.write-retried': defineEvent({
    version: 1,
    codes: [1],
    requires: USER_ONLY,
    payload: z
      .object({
        attempt: z.number().int().min(1).max(100),
        reason: errorCodeSchema.refine((code: ErrorCode) => isRetryable(code), {
          message: 'only a retryable error is retried',
        }),
        delayMs: z.number().int().min(0).max(600_000),
      })
      .strict(),
    summary: 'A directory write lost a race (or hit a transient error) and is retried after delayMs.',
  }),
  'directory.changed': defineEvent({
    version: 1,
    codes: [1],
    requires: USER_AND_MACHINE,
    payload: z.object({ trigger: syncTriggerSchema, modifiedAt: isoInstantSchema }).strict(),
    summary:
      "A sync on the machine wrote the user's roaming data; modifiedAt is the new directory stamp's time. The user's other workstations waiting for changes are told.",
  }),
  'service.restarted': defineEvent({
    version: 1,
    codes: [1],
    requires: { user: false, machine: false },
    payload: z
      .object({
        service: z.enum(CREDROAM_SERVICES),
        exitCode: z.number().int().min(0).max(255).nullable(),
        signal: z
          .string()
          .regex(/^SIG[A-Z0-9]{1,12}$/)
          .nullable(),
        /** Restarts of this service since the stack started, this one included. */
        restarts: z.number().int().min(1).max(1_000_000),
        /** From the exit to the restarted service's ready line. */
        downMs: z.number().int().min(0).max(86_400_000),
      })
      .strict()
      .refine(({ exitCode, signal }) => (exitCode === null) !== (signal === null), {
        message: 'a process ends with an exit code or a signal',
        path: ['signal'],
      }),
    summary:
      'A service of the local stack (npm start) exited unexpectedly and its supervisor started it again, as compose and Kubernetes restart theirs.',
  }),
  'message.dead-lettered': defineEvent({
    version: 1,
    codes: [1001],
    requires: { user: false, machine: false },
    // Names the message, never its body: the body may be an upload.
    payload: z
      .object({
        queue: z.string().min(1).max(255),
        originalRoutingKey: z.string().max(255),
        originalMessageId: z.string().min(1).max(255).nullable(),
        reason: z.enum(DEAD_LETTER_REASONS),
        errorCode: errorCodeSchema.nullable(),
        attempts: z.number().int().min(1).max(1000),
      })
      .strict(),
    summary: 'A message was given up and moved to the dead-letter queue.',
  }),
  'security.request-refused': defineEvent({
    version: 1,
    codes: [1010],
    // The user is the one the refused request targeted, when its payload names a login (it may be forged).
    requires: { user: false, machine: false },
    payload: z
      .object({
        service: z.enum(Object.keys(RPC_QUEUES) as [RpcService, ...RpcService[]]),
        operation: z.enum(RPC_PATTERN_LIST as [RpcPattern, ...RpcPattern[]]),
        code: z.enum(GRANT_ERROR_CODES),
        reason: z.string().min(1).max(512),
        /** The entry the request named, when it named one by DN. */
        targetDn: distinguishedNameSchema.nullable(),
        /** Whom the grant was signed for, when it carried a genuine signature (a grant used out of scope). */
        grantedTo: loginNameSchema.nullable(),
      })
      .strict(),
    summary:
      "An internal request for a user's secrets was refused: it carried no grant, or one that does not cover it.",
  }),
  'security.operator-action': defineEvent({
    version: 1,
    codes: [1],
    // The user is the one whose roaming data the operator read or changed.
    requires: USER_ONLY,
    payload: z
      .object({
        operator: operatorNameSchema,
        /** directory.inspect-user (credroam user show) or directory.purge-user (credroam user purge). */
        operation: z.enum(OPERATOR_PATTERNS),
        targetDn: distinguishedNameSchema,
        /** The token types purged; null for all of them (an inspection reads all of them). */
        types: z.array(tokenTypeSchema).max(16).nullable(),
        /** Values removed: 0 for an inspection. */
        removed: COUNT,
      })
      .strict(),
    summary:
      "An operator read (credroam user show) or changed (credroam user purge) a user's roaming data with an operator grant; never the data itself.",
  }),
  'security.rate-limited': defineEvent({
    version: 1,
    codes: [1001],
    // The user is the login the limited requests named (for a logon, as typed, so possibly a stranger's guess).
    requires: { user: false, machine: false },
    payload: z
      .object({
        /** client: per source address; logon: per login and source; user: per user's session. */
        limit: z.enum(RATE_LIMITS),
        transport: z.enum(['http', 'amqp']),
        source: logonSourceSchema,
        retryAfterSeconds: z.number().int().min(1).max(86_400),
        /** Counted in Redis for every replica (true) or by this replica alone (false). */
        shared: z.boolean(),
      })
      .strict(),
    summary:
      'A caller ran into a rate limit: the first refused request of its window (later ones in the same window are not reported).',
  }),
});

type Catalog = typeof EVENT_CATALOG;
export type EventType = keyof Catalog;
export const EVENT_TYPES = Object.freeze(Object.keys(EVENT_CATALOG) as EventType[]);

export const eventIdSchema = z.uuid({ message: 'event id must be a UUID' });

const envelopeShape = {
  id: eventIdSchema,
  occurredAt: isoInstantSchema,
  correlationId: correlationIdSchema,
  user: loginNameSchema.nullable(),
  machine: machineIdSchema.nullable(),
};

function envelopeFor<const T extends EventType, D extends Catalog[T]>(type: T, definition: D) {
  return z
    .object({
      ...envelopeShape,
      type: z.literal(type),
      version: z.literal(definition.version as D['version']),
      code: z.literal(definition.codes as D['codes']),
      payload: definition.payload as D['payload'],
    })
    .strict()
    .superRefine((event, ctx) =>
      checkSubjectAndCode(type, definition, event as unknown as EnvelopeCore, ctx),
    );
}

interface EnvelopeCore {
  user: string | null;
  machine: string | null;
  code: EventCode;
  payload: unknown;
}

/** What a field schema cannot say alone: who the event must name, and the code its payload implies. */
function checkSubjectAndCode(
  type: EventType,
  definition: EventDefinition,
  event: EnvelopeCore,
  ctx: z.RefinementCtx,
): void {
  if (definition.requires.user && event.user === null) {
    ctx.addIssue({ code: 'custom', path: ['user'], message: `${type} names its user` });
  }
  if (definition.requires.machine && event.machine === null) {
    ctx.addIssue({ code: 'custom', path: ['machine'], message: `${type} names its machine` });
  }
  const expected = definition.codeFor?.(event.payload);
  if (expected !== undefined && expected !== event.code) {
    ctx.addIssue({
      code: 'custom',
      path: ['code'],
      message: `${type} with this payload carries ${expected}`,
    });
  }
}

type EnvelopeSchemas = { [T in EventType]: ReturnType<typeof envelopeFor<T, Catalog[T]>> };

/** The envelope schema of each event type, for consumers that handle one type. */
export const EVENT_SCHEMAS = Object.freeze(
  Object.fromEntries(EVENT_TYPES.map((type) => [type, envelopeFor(type, EVENT_CATALOG[type])])),
) as Readonly<EnvelopeSchemas>;

/** Any event of the catalog, validated with its type's payload schema. */
export const eventSchema = z.discriminatedUnion(
  'type',
  Object.values(EVENT_SCHEMAS) as [EnvelopeSchemas[EventType], ...EnvelopeSchemas[EventType][]],
);

export type RoamingEvent = z.output<typeof eventSchema>;
export type EventOf<T extends EventType> = Extract<RoamingEvent, { type: T }>;
export type EventPayload<T extends EventType> = z.output<Catalog[T]['payload']>;
export type EventCodeOf<T extends EventType> = Catalog[T]['codes'][number];

/**
 * Any well-formed envelope, whatever its type or version, with the payload unchecked: for a store (audit) that
 * keeps events it cannot interpret yet instead of dead-lettering them.
 */
export const eventEnvelopeSchema = z
  .object({
    ...envelopeShape,
    type: z
      .string()
      .regex(/^[a-z]+(?:[.-][a-z]+)*$/, { message: 'event type must be dotted kebab-case' })
      .max(64),
    version: z.number().int().min(1),
    code: z.literal(ALL_EVENT_CODES),
    payload: z.record(z.string(), z.unknown()),
  })
  .strict();
export type EventEnvelope = z.output<typeof eventEnvelopeSchema>;

/** Validates an event as received from the broker; any violation is CONTRACT_VIOLATION unless more precise. */
export function parseEvent(input: unknown): Result<RoamingEvent> {
  return parseWith(eventSchema, input, 'CONTRACT_VIOLATION');
}

export interface EventFields<T extends EventType> {
  correlationId: string;
  user: string | null;
  machine: string | null;
  payload: EventPayload<T>;
  /** Needed only where the payload does not determine it (sync.completed: 1, or 2 after self-healing). */
  code?: EventCodeOf<T>;
}

export interface EventContext {
  /** A fresh UUID from the caller: the library has no source of randomness. */
  id: string;
  /** The caller's clock reading. */
  now: Date | number;
}

/**
 * Builds an event and validates it with the same schema consumers use, so an invalid event never reaches the
 * broker. Fills in the code when the catalog derives it from the payload or allows only one.
 */
export function createEvent<T extends EventType>(
  type: T,
  fields: EventFields<T>,
  context: EventContext,
): Result<EventOf<T>> {
  const definition: EventDefinition | undefined = EVENT_CATALOG[type];
  if (!definition) return fail('CONTRACT_VIOLATION', `unknown event type ${JSON.stringify(type)}`);
  const at = new Date(context.now);
  if (Number.isNaN(at.getTime()))
    return fail('CONTRACT_VIOLATION', 'occurredAt: the clock reading is not a date');
  const candidate = {
    id: context.id,
    type,
    version: definition.version,
    occurredAt: at.toISOString(),
    correlationId: fields.correlationId,
    user: fields.user,
    machine: fields.machine,
    code: fields.code ?? defaultCode(definition, fields.payload),
    payload: fields.payload,
  };
  return parseWith(EVENT_SCHEMAS[type], candidate, 'CONTRACT_VIOLATION') as Result<EventOf<T>>;
}

function defaultCode(definition: EventDefinition, payload: unknown): EventCode | undefined {
  if (definition.codeFor) {
    // Derive from a validated payload only; an invalid one is reported by the envelope validation.
    const parsed = definition.payload.safeParse(payload);
    return parsed.success ? definition.codeFor(parsed.data) : undefined;
  }
  return definition.codes.length === 1 ? definition.codes[0] : undefined;
}
