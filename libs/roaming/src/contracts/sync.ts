import { z } from 'zod';
import {
  blockSchema,
  conflictSchema,
  FULL_RESYNC_REASONS,
  localDeletionSchema,
  localManifestSchema,
  machineBaseSchema,
  rejectionSchema,
  reportedValueSchema,
  windowsCertificateSchema,
} from '../reconcile/model';
import { RoamingError, type ErrorInfo } from '../errors/roaming-error';
import { describeUntrusted } from '../tokens/token-id';
import { tokenKeyString } from '../tokens/token-key';
import {
  timestampMsSchema,
  tokenMetaSchema,
  tokenMetaShape,
  withIdentifierRule,
  type TokenMeta,
} from '../tokens/token-meta';
import {
  certificatePemSchema,
  devicePublicKeySchema,
  envelopeSchema,
  smallEnvelopeSchema,
  stampSchema,
} from './base64';
import { effectivePolicySchema } from './effective-policy';
import { errorInfoSchema } from './error-info';
import { failureEventCode } from './event-codes';
import { correlationIdSchema, isoInstantSchema, loginNameSchema, machineIdSchema } from './identifiers';
import { rpcReplySchema } from './rpc';
import { uniqueKeys } from './unique-keys';

/**
 * The agent protocol (DESIGN.md section 6). Over HTTP: `POST /v1/sessions` (create-session), then `POST /v1/sync`,
 * `GET /v1/policy` and `POST /v1/events` with `Authorization: Bearer <sessionToken>`; `POST /v1/sessions/renew`
 * trades a session (expired or not) for a new one with a device proof instead of the password. The same bodies
 * travel over AMQP for hooks that publish to the broker (see ingressMessageSchema).
 */
export const AGENT_API_PATHS = Object.freeze({
  sessions: '/v1/sessions',
  renewSession: '/v1/sessions/renew',
  sync: '/v1/sync',
  policy: '/v1/policy',
  events: '/v1/events',
  changes: '/v1/changes/wait',
  /** A steady logon's cheap question: is the directory still where this workstation's last settled sync left it? */
  syncCheck: '/v1/sync/check',
  /** create-session with a Kerberos ticket: `Authorization: Negotiate <SPNEGO token>`, no password. */
  kerberosSessions: '/v1/sessions/kerberos',
} as const);

/**
 * Why a sync carries no base: `kept` (it carries one), `first-use` (this store never had a state file),
 * `lost` (the state file is unreadable or belongs to another machine). Only a lost base is self-healing
 * (events 502 then 2); a first use is ordinary roaming.
 */
export const BASE_STATUSES = ['kept', 'first-use', 'lost'] as const;
export type BaseStatus = (typeof BASE_STATUSES)[number];

/** `remote-change`: another workstation of the user changed the directory (a change notice, section changes). */
export const SYNC_TRIGGERS = [
  'logon',
  'unlock',
  'store-change',
  'refresh',
  'pulse',
  'logoff',
  'remote-change',
] as const;
export const syncTriggerSchema = z.enum(SYNC_TRIGGERS);
export type SyncTrigger = z.output<typeof syncTriggerSchema>;

export const agentVersionSchema = z.string().regex(/^[0-9A-Za-z][0-9A-Za-z.+-]{0,63}$/, {
  message: 'agent version must be 1-64 characters of [0-9A-Za-z.+-]',
});

/**
 * Opaque to the agent; logon-events issues and checks it. Bounded so a header cannot be used to flood, and large
 * enough for the device public key it carries.
 */
export const sessionTokenSchema = z
  .string()
  .regex(/^[A-Za-z0-9._~+/=-]{16,4096}$/, { message: 'session token is malformed' });

// ---------------------------------------------------------------------------------------------------------------
// create-session

const createSessionShape = {
  user: loginNameSchema,
  machine: machineIdSchema,
  /** SPKI of the workstation's device key pair (P-256 or RSA): downloads and the hash key are sealed to it. */
  devicePublicKey: devicePublicKeySchema,
  agentVersion: agentVersionSchema,
};

// Only the size is checked: a password is whatever the directory accepts. Never log this field.
const clearPasswordSchema = z.string().min(1).max(1024);

/**
 * HTTP body of `POST /v1/sessions`: the password in clear (the connection is TLS) or, as over AMQP, sealed to the
 * transport certificate. Exactly one of them.
 */
export const createSessionRequestSchema = z
  .object({
    ...createSessionShape,
    password: clearPasswordSchema.optional(),
    sealedPassword: smallEnvelopeSchema.optional(),
  })
  .strict()
  .refine((request) => (request.password === undefined) !== (request.sealedPassword === undefined), {
    message: 'exactly one of password and sealedPassword is required',
    path: ['password'],
  });
export type CreateSessionRequest = z.output<typeof createSessionRequestSchema>;

/**
 * Over AMQP the broker would see a clear password, so only the sealed form is accepted there, and it must be
 * bound (libs/sealing logon-password.ts) to this login, this device key and the current time.
 */
export const amqpCreateSessionRequestSchema = z
  .object({ ...createSessionShape, sealedPassword: smallEnvelopeSchema })
  .strict();
export type AmqpCreateSessionRequest = z.output<typeof amqpCreateSessionRequestSchema>;

/**
 * HTTP body of `POST /v1/sessions/kerberos`: the device to register, nothing that authenticates. The user is the
 * client principal of the Kerberos ticket in `Authorization: Negotiate <token>` (RFC 4559), never the body.
 */
export const kerberosSessionRequestSchema = z
  .object({
    machine: createSessionShape.machine,
    devicePublicKey: createSessionShape.devicePublicKey,
    agentVersion: createSessionShape.agentVersion,
  })
  .strict();
export type KerberosSessionRequest = z.output<typeof kerberosSessionRequestSchema>;

/** A base64 GSSAPI/SPNEGO token (RFC 4559); bounded, as a ticket with a large PAC is still well under 64 KiB. */
export const negotiateTokenSchema = z
  .string()
  .regex(/^[A-Za-z0-9+/]{16,87380}={0,2}$/, { message: 'a Negotiate token must be base64' });

/** The token of an `Authorization: Negotiate <token>` header, or undefined when the header is of another scheme. */
export function negotiateToken(header: string | undefined): string | undefined {
  const match = header === undefined ? null : /^Negotiate\s+(\S+)$/i.exec(header.trim());
  return match ? match[1] : undefined;
}

export const createSessionResponseSchema = z
  .object({
    sessionToken: sessionTokenSchema,
    expiresAt: isoInstantSchema,
    /** Until when the device key may renew this session without the password (policy `sessionRenewalHours`). */
    renewableUntil: isoInstantSchema,
    /** Where the agent seals uploads (and, over AMQP, the password of its next logon). */
    transportCertificatePem: certificatePemSchema,
    policy: effectivePolicySchema,
    /** The user's hash key sealed to the device key: the agent computes token hashes with it. */
    hashKeyEnvelope: smallEnvelopeSchema,
  })
  .strict();
export type CreateSessionResponse = z.output<typeof createSessionResponseSchema>;

/** The answer to a Kerberos logon: a session as for a password, and the directory login the ticket mapped to. */
export const kerberosSessionResponseSchema = createSessionResponseSchema
  .extend({ user: loginNameSchema })
  .strict();
export type KerberosSessionResponse = z.output<typeof kerberosSessionResponseSchema>;

// ---------------------------------------------------------------------------------------------------------------
// renew-session

/** A device proof carried in a body: when it was made (ms UTC) and the signature (base64), libs/sealing device-proof. */
export const bodyDeviceProofSchema = z
  .object({
    issuedAt: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
    signature: z.string().regex(/^[A-Za-z0-9+/]{16,2048}={0,2}$/, { message: 'signature must be base64' }),
  })
  .strict();
export type BodyDeviceProof = z.output<typeof bodyDeviceProofSchema>;

/**
 * Body of `POST /v1/sessions/renew` (and of the `renew-session` ingress message): the session to renew, genuine but
 * possibly expired, and a proof by the device key it names over renewalProofMessage(sessionToken). The password is
 * never part of a renewal.
 */
export const renewSessionRequestSchema = z
  .object({ sessionToken: sessionTokenSchema, proof: bodyDeviceProofSchema })
  .strict();
export type RenewSessionRequest = z.output<typeof renewSessionRequestSchema>;

/** What the device key signs to renew a session: a purpose label and the token, so no other proof can serve. */
export function renewalProofMessage(sessionToken: string): Buffer {
  return Buffer.from(`credroam renew-session\0${sessionToken}`, 'utf8');
}

/** A new short session for the same user, device and password logon, and the policy resolved again. */
export const renewSessionResponseSchema = createSessionResponseSchema
  .pick({ sessionToken: true, expiresAt: true, renewableUntil: true, policy: true })
  .strict();
export type RenewSessionResponse = z.output<typeof renewSessionResponseSchema>;

// ---------------------------------------------------------------------------------------------------------------
// workstation events

/** The failures a workstation reports: they happen on the machine, where no server-side code sees them. */
export const WORKSTATION_FAILURE_CODES = [1001, 1002, 1003, 1006, 1007] as const;
export type WorkstationFailureCode = (typeof WORKSTATION_FAILURE_CODES)[number];

/**
 * Body of `POST /v1/events` (and of the `report-event` ingress message): one local failure, with its Windows code
 * and a one-line description. The description is the workstation's word, so it is bounded and printable only; the
 * user and machine come from the session, never from the body.
 */
export const workstationEventRequestSchema = z
  .object({
    code: z.literal(WORKSTATION_FAILURE_CODES),
    problem: z
      .string()
      .min(1)
      .max(512)
      .regex(/^[^\p{Cc}\p{Cf}]*$/u, { message: 'problem must be one printable line' }),
    trigger: syncTriggerSchema.nullable(),
  })
  .strict();
export type WorkstationEventRequest = z.output<typeof workstationEventRequestSchema>;

export const workstationEventResponseSchema = z.object({ eventId: z.uuid() }).strict();
export type WorkstationEventResponse = z.output<typeof workstationEventResponseSchema>;

// ---------------------------------------------------------------------------------------------------------------
// changes

/** The longest a change wait is held open: below the idle timeouts of common proxies and load balancers (60 s). */
export const MAX_CHANGE_WAIT_SECONDS = 55;

/**
 * Body of `POST /v1/changes/wait`, a long poll: answer as soon as another workstation of the session's user has
 * changed the directory after `after` (the modified time of the directory stamp the caller holds; null: any
 * change), or after `waitSeconds` with `changed: false`.
 */
export const waitForChangeRequestSchema = z
  .object({
    after: isoInstantSchema.nullable(),
    waitSeconds: z.number().int().min(1).max(MAX_CHANGE_WAIT_SECONDS),
  })
  .strict();
export type WaitForChangeRequest = z.output<typeof waitForChangeRequestSchema>;

/** `modifiedAt`: the newest change seen (null when none); the next wait passes it as `after`. */
export const changeNoticeSchema = z
  .object({ changed: z.boolean(), modifiedAt: isoInstantSchema.nullable() })
  .strict()
  .refine(({ changed, modifiedAt }) => !changed || modifiedAt !== null, {
    message: 'a change names its time',
    path: ['modifiedAt'],
  });
export type ChangeNotice = z.output<typeof changeNoticeSchema>;

// ---------------------------------------------------------------------------------------------------------------
// sync

/** Content of a token changed since the base, sealed by the agent to the transport certificate. */
export const uploadSchema = withIdentifierRule(
  z.object({ type: tokenMetaShape.type, id: tokenMetaShape.id, envelope: envelopeSchema }).strict(),
);
export type Upload = z.output<typeof uploadSchema>;

/**
 * Body of `POST /v1/sync`. Every upload must be the content of a token listed in the manifest (the manifest
 * carries its metadata, which reconcile and token-crypto check the content against), and no key may be listed
 * twice: a second entry would make the plan depend on the order of the list.
 */
export const syncRequestSchema = z
  .object({
    trigger: syncTriggerSchema,
    machine: machineIdSchema,
    /** The stamp seen at this machine's last sync: equal to the directory's, with nothing changed, is the fast path. */
    lastStamp: stampSchema.nullable(),
    baseStatus: z.enum(BASE_STATUSES),
    manifest: localManifestSchema,
    uploads: z
      .array(uploadSchema)
      .max(20_000)
      .superRefine(uniqueKeys((upload: Upload) => upload, 'uploads')),
  })
  .strict()
  .superRefine((request, ctx) => {
    if ((request.manifest.base === null) !== (request.baseStatus !== 'kept')) {
      ctx.addIssue({
        code: 'custom',
        path: ['baseStatus'],
        message: 'baseStatus is "kept" exactly when manifest.base is given',
      });
    }
    uniqueKeys((token: TokenMeta) => token, 'manifest.tokens', ['manifest', 'tokens'])(
      request.manifest.tokens,
      ctx,
    );
    const listed = new Set(request.manifest.tokens.map(tokenKeyString));
    request.uploads.forEach((upload, index) => {
      if (!listed.has(tokenKeyString(upload))) {
        ctx.addIssue({
          code: 'custom',
          path: ['uploads', index],
          message: `upload ${upload.type} ${describeUntrusted(upload.id)} is not in manifest.tokens`,
        });
      }
    });
  });
export type SyncRequest = z.output<typeof syncRequestSchema>;

/**
 * The mark of a settled sync: one that left the workstation and the directory in agreement (nothing undelivered,
 * no upload refused, the base kept), under the effective policy this mark fingerprints. A workstation that holds
 * it and has changed nothing since may ask `POST /v1/sync/check` instead of sending its manifest.
 */
export const settledMarkSchema = z
  .string()
  .regex(/^[A-Za-z0-9_-]{22}$/, { message: 'settled must be the mark a sync answer carried' });

/**
 * Body of `POST /v1/sync/check`: nothing changed on this workstation since its last settled sync (its tokens are the
 * ones that sync left), so the sync is complete if the directory's stamp is still `stamp`. `syncedAt` is that
 * sync's base time, `settled` the mark its answer carried.
 */
export const syncCheckRequestSchema = z
  .object({
    trigger: syncTriggerSchema,
    machine: machineIdSchema,
    stamp: stampSchema,
    syncedAt: timestampMsSchema,
    settled: settledMarkSchema,
  })
  .strict();
export type SyncCheckRequest = z.output<typeof syncCheckRequestSchema>;

/**
 * The request header by which an agent says what it understands beyond the original protocol (a comma-separated
 * list). A sync answer carries `settled` only to an agent that lists SETTLED_CHECK_FEATURE: an older agent checks
 * answers against its own strict schema and would refuse the field.
 */
export const AGENT_FEATURES_HEADER = 'x-credroam-agent-features';
export const SETTLED_CHECK_FEATURE = 'settled-check';
/** The agent opens downloads sealed to download keys (the answer's `downloadKeys`). */
export const DOWNLOAD_KEYS_FEATURE = 'download-keys';

/** Whether an AGENT_FEATURES_HEADER value lists `feature`. */
export function agentHasFeature(header: string | undefined, feature: string): boolean {
  return (header ?? '').split(',').some((item) => item.trim().toLowerCase() === feature);
}

export const SYNC_CHECK_MISSES = ['directory-changed', 'policy-changed', 'stale-base'] as const;

/**
 * `up-to-date`: the sync is done (audited as one, code 1); the base's new time is `syncedAt`. `changed`: the
 * directory, the policy or the base's age calls for a full sync (`POST /v1/sync`); nothing was done or audited.
 */
export const syncCheckResponseSchema = z.discriminatedUnion('status', [
  z
    .object({
      status: z.literal('up-to-date'),
      code: z.literal(1),
      correlationId: correlationIdSchema,
      stamp: stampSchema,
      syncedAt: timestampMsSchema,
      settled: settledMarkSchema,
    })
    .strict(),
  z
    .object({
      status: z.literal('changed'),
      correlationId: correlationIdSchema,
      reason: z.enum(SYNC_CHECK_MISSES),
    })
    .strict(),
]);
export type SyncCheckResponse = z.output<typeof syncCheckResponseSchema>;

/** A token for this workstation: its metadata and its content sealed to the device key or to a download key. */
export const downloadSchema = z.object({ token: tokenMetaSchema, envelope: envelopeSchema }).strict();
export type Download = z.output<typeof downloadSchema>;

export const SYNC_STATUSES = ['up-to-date', 'synced', 'blocked'] as const;

/**
 * The answer to a sync: what the agent applies atomically (downloads, local deletions, then `base` as its new
 * state file) and what it shows (conflicts, rejections, reported values). `blocked` means a limit or the policy
 * stopped the whole sync and nothing was written; `code` then is that block's Windows code (1008/1009/1011),
 * otherwise 1 (roaming performed) or 2 (self-healing performed).
 */
export const syncResponseSchema = z
  .object({
    status: z.enum(SYNC_STATUSES),
    code: z.literal([1, 2, 1008, 1009, 1011]),
    correlationId: correlationIdSchema,
    stamp: stampSchema.nullable(),
    downloads: z
      .array(downloadSchema)
      .max(20_000)
      .superRefine(uniqueKeys((download: Download) => download.token, 'downloads')),
    localDeletions: z.array(withIdentifierRule(localDeletionSchema)).max(20_000),
    conflicts: z.array(conflictSchema).max(20_000),
    rejections: z.array(rejectionSchema).max(20_000),
    reported: z.array(reportedValueSchema).max(20_000),
    /**
     * Every certificate Windows clients roamed into the user's entry (the whole set, each time): the agent keeps
     * them read-only beside its tokens. Absent from servers before this field: the agent keeps what it has.
     */
    windowsCertificates: z.array(windowsCertificateSchema).max(10_000).optional(),
    base: machineBaseSchema,
    fullResync: z.enum(FULL_RESYNC_REASONS).nullable(),
    block: blockSchema.nullable(),
    /** Present when the sync is settled (settledMarkSchema): the workstation keeps it for its next check. */
    settled: settledMarkSchema.optional(),
    /**
     * Download keys sealed to the device key, for an agent that lists DOWNLOAD_KEYS_FEATURE: every download is then
     * sealed to one of them (a KEK recipient naming it), not to the device key. Absent: each download is sealed to
     * the device key.
     */
    downloadKeys: z.array(smallEnvelopeSchema).max(100).optional(),
  })
  .strict()
  .superRefine((response, ctx) => {
    const issue = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
    if (response.status === 'blocked') {
      if (response.block === null) issue('block', 'a blocked sync names its block');
      else if (response.code !== failureEventCode(response.block.code)) {
        issue(
          'code',
          `a sync blocked by ${response.block.code} carries ${failureEventCode(response.block.code)}`,
        );
      }
      if (response.downloads.length > 0 || response.localDeletions.length > 0) {
        issue('downloads', 'a blocked sync changes nothing');
      }
      return;
    }
    if (response.block !== null) issue('block', `a ${response.status} sync has no block`);
    if (response.code !== 1 && response.code !== 2) issue('code', `a ${response.status} sync carries 1 or 2`);
    if (
      response.status === 'up-to-date' &&
      (response.downloads.length > 0 || response.localDeletions.length > 0)
    ) {
      issue('downloads', 'an up-to-date sync changes nothing');
    }
  });
export type SyncResponse = z.output<typeof syncResponseSchema>;

// ---------------------------------------------------------------------------------------------------------------
// policy and errors

/** Body of `GET /v1/policy`: the user's effective policy, with where each knob came from. */
export const policyResponseSchema = effectivePolicySchema;
export type PolicyResponse = z.output<typeof policyResponseSchema>;

/** Body of every HTTP error (4xx/5xx): the error as a code, not an exception type, plus the id to quote. */
export const problemSchema = z
  .object({ error: errorInfoSchema, correlationId: correlationIdSchema })
  .strict();
export type Problem = z.output<typeof problemSchema>;

// ---------------------------------------------------------------------------------------------------------------
// AMQP ingress

/** The queue logon-events consumes the hooks' requests from. */
export const INGRESS_QUEUE = 'credroam.logon-events.ingress';

/**
 * Where hooks publish instead of calling HTTP: a direct exchange bound to INGRESS_QUEUE with INGRESS_ROUTING_KEY.
 * An exchange of its own, because publishing through the default exchange cannot be restricted to one queue:
 * the hook account's broker permissions name this exchange and nothing else.
 */
export const INGRESS_EXCHANGE = 'credroam.ingress';
export const INGRESS_ROUTING_KEY = 'agent-request';

/**
 * A message on INGRESS_EXCHANGE. AMQP properties carry what HTTP carries in headers: `reply_to` names the queue
 * for the answer (usually `amq.rabbitmq.reply-to`), `correlation_id` is echoed on the reply and becomes the
 * request's correlation id. The reply body is the serialised Result of the call (ingressReplySchemas). A message
 * without `reply_to` is still processed; its answer is only in the events.
 *
 * `transport-certificate` asks for the certificate the logon password is sealed to (public; an agent may pin it
 * instead). `sessionToken` is what the HTTP Authorization header carries: required for sync and report-event.
 * Because the broker is shared, a token read off a queue must be worth nothing: sessions opened over AMQP are only
 * accepted over AMQP, and every sync and report-event message carries a device proof in its headers
 * (INGRESS_PROOF_HEADERS), a signature by the session's device key over the message bytes and the time, checked
 * against the key the token names. A renew-session message carries its proof in its body, as over HTTP.
 */
export const ingressMessageSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('transport-certificate') }).strict(),
  z.object({ kind: z.literal('create-session'), body: amqpCreateSessionRequestSchema }).strict(),
  z.object({ kind: z.literal('sync'), sessionToken: sessionTokenSchema, body: syncRequestSchema }).strict(),
  z.object({ kind: z.literal('renew-session'), body: renewSessionRequestSchema }).strict(),
  z
    .object({
      kind: z.literal('report-event'),
      sessionToken: sessionTokenSchema,
      body: workstationEventRequestSchema,
    })
    .strict(),
]);
export type IngressMessage = z.output<typeof ingressMessageSchema>;
export type IngressKind = IngressMessage['kind'];

/** ingressMessageSchema's kinds, as zod reads them off its discriminator. */
export const INGRESS_KINDS = Object.freeze(
  ingressMessageSchema.options.map((option) => option.shape.kind.value),
) as readonly IngressKind[];

/**
 * What makes a message on the ingress an agent request at all: a known kind and no field but the request's. The
 * ingress dead-letters a message that is not one (a poison message); the fields themselves are the use-case's to
 * validate, and a request with a bad one is refused with INVALID_INPUT, as over HTTP.
 */
export const ingressEnvelopeSchema = z
  .object({
    kind: z.enum(INGRESS_KINDS as [IngressKind, ...IngressKind[]]),
    sessionToken: z.unknown().optional(),
    body: z.unknown().optional(),
  })
  .strict();
export type IngressEnvelope = z.output<typeof ingressEnvelopeSchema>;

/**
 * How far from the server's clock a sealed logon password or a device proof may have been made (either way):
 * older ones are refused as possible replays, so workstation clocks must keep within it.
 */
export const INGRESS_FRESHNESS_MS = 120_000;

/** The detail of a CLOCK_SKEW refusal that names the server's time (ms UTC) when it refused. */
export const SERVER_TIME_DETAIL = 'serverTime';

/** The server's time a CLOCK_SKEW refusal names, or null for any other error. */
export function refusalServerTime(error: { code: string; details?: ErrorInfo['details'] }): number | null {
  const serverTime = error.details?.[SERVER_TIME_DETAIL];
  return error.code === 'CLOCK_SKEW' && typeof serverTime === 'number' && Number.isFinite(serverTime)
    ? serverTime
    : null;
}

/**
 * The refusal of something a workstation dated (a device proof, a sealed logon password) outside
 * INGRESS_FRESHNESS_MS of this server's clock, or null when it is fresh. A replay and a workstation clock that is
 * off look the same here, so the refusal is CLOCK_SKEW (retryable), not a generic UNAUTHENTICATED: it says by how
 * much and which way the clocks disagree, and names the server's time, by which the agent dates its next attempt
 * (a replay gains nothing from it: a new date needs a new signature by the device key).
 */
export function freshnessRefusal(what: string, issuedAt: number, now: number): RoamingError | null {
  const offsetMs = issuedAt - now;
  if (Math.abs(offsetMs) <= INGRESS_FRESHNESS_MS) return null;
  const seconds = Math.round(Math.abs(offsetMs) / 1000);
  return new RoamingError(
    'CLOCK_SKEW',
    `${what} was dated ${seconds} s ${offsetMs > 0 ? 'ahead of' : 'behind'} this server's clock (limit ` +
      `${INGRESS_FRESHNESS_MS / 1000} s): the workstation's clock is off (set it, e.g. with NTP), or this is a replay`,
    { [SERVER_TIME_DETAIL]: now, offsetSeconds: Math.round(offsetMs / 1000) },
  );
}

/** AMQP headers of a sync message: when the proof was made (ms UTC, decimal) and the signature (base64). */
export const INGRESS_PROOF_HEADERS = Object.freeze({
  issuedAt: 'x-credroam-proof-issued-at',
  signature: 'x-credroam-device-proof',
} as const);

export const ingressTransportCertificateSchema = z
  .object({ transportCertificatePem: certificatePemSchema })
  .strict();
export type IngressTransportCertificate = z.output<typeof ingressTransportCertificateSchema>;

export const ingressReplySchemas = Object.freeze({
  'transport-certificate': rpcReplySchema(ingressTransportCertificateSchema),
  'create-session': rpcReplySchema(createSessionResponseSchema),
  sync: rpcReplySchema(syncResponseSchema),
  'renew-session': rpcReplySchema(renewSessionResponseSchema),
  'report-event': rpcReplySchema(workstationEventResponseSchema),
});
