import { z } from 'zod';
import { fail, type Result } from '../errors/result';
import { policySchema } from '../policy/policy';
import { directoryEntrySchema, directoryStateSchema } from '../reconcile/model';
import {
  directoryTokenSchema,
  tokenMetaSchema,
  tokenMetaShape,
  withIdentifierRule,
} from '../tokens/token-meta';
import { type TokenKey } from '../tokens/token-key';
import { TOKEN_TYPES, tokenTypeSchema } from '../tokens/token-type';
import { parseWith } from '../validation/parse';
import {
  BYTE_LIMITS,
  base64Schema,
  certificatePemSchema,
  devicePublicKeySchema,
  envelopeSchema,
  publicKeySchema,
  sealedValueSchema,
  smallEnvelopeSchema,
  stampSchema,
} from './base64';
import {
  certificateFacts,
  certificateNameSchema,
  certificateSerialSchema,
  factsOnCertificatesOnly,
  keyAlgorithmSchema,
  keySizeSchema,
} from './certificate-metadata';
import { effectivePolicySchema } from './effective-policy';
import { grantTokenSchema } from './grant-token';
import { errorInfoSchema } from './error-info';
import { uniqueKeys } from './unique-keys';
import {
  certificateThumbprintSchema,
  correlationIdSchema,
  distinguishedNameSchema,
  isoInstantSchema,
  keyVersionSchema,
  loginNameSchema,
  stableIdSchema,
} from './identifiers';

/**
 * Request/response contracts of the two internal services, carried by @nestjs/microservices' RabbitMQ transport:
 * the request body is `{ correlationId, payload, grant? }` (the grant: contracts/grants.ts), the reply `{ ok: true, value } | { ok: false, error }`
 * (the same shape as a Result, so a handler returns its Result as is). Both ends validate against RPC_CONTRACTS.
 */

/** The durable request queue of each service; every replica consumes it. */
export const RPC_QUEUES = Object.freeze({
  'directory-gateway': 'credroam.directory-gateway.rpc',
  'token-crypto': 'credroam.token-crypto.rpc',
} as const);
export type RpcService = keyof typeof RPC_QUEUES;

export const RPC_PATTERNS = Object.freeze({
  lookupUser: 'directory.lookup-user',
  verifyPassword: 'directory.verify-password',
  checkAccount: 'directory.check-account',
  readState: 'directory.read-state',
  readStamp: 'directory.read-stamp',
  readValues: 'directory.read-values',
  applyChanges: 'directory.apply-changes',
  purgeUser: 'directory.purge-user',
  inspectUser: 'directory.inspect-user',
  resolvePolicy: 'directory.resolve-policy',
  directoryHealth: 'directory.health',
  transportCertificate: 'crypto.transport-certificate',
  inspect: 'crypto.inspect',
  sealForStorage: 'crypto.seal-for-storage',
  sealForDevice: 'crypto.seal-for-device',
  reseal: 'crypto.reseal',
  resealPassword: 'crypto.reseal-password',
  cryptoHealth: 'crypto.health',
} as const);

// ---------------------------------------------------------------------------------------------------------------
// shared parts

const MAX_ITEMS = 20_000;
const MAX_GROUPS = 10_000;

const emptyRequestSchema = z.object({}).strict();

export const healthSchema = z
  .object({
    status: z.enum(['ok', 'degraded']),
    checks: z.record(
      z.string().regex(/^[a-z][a-z0-9-]{0,63}$/, { message: 'check name must be kebab-case' }),
      z.object({ ok: z.boolean(), detail: z.string().max(1024).optional() }).strict(),
    ),
  })
  .strict();
export type Health = z.output<typeof healthSchema>;

/** A reference to the exact stored value in the directory (the gateway's handle on its raw bytes). */
const valueRefSchema = directoryEntrySchema.shape.ref;

/** Who a value belongs to, for the crypto service: the key derivation uses the stable id, audit the login. */
export const sealingUserSchema = z.object({ stableId: stableIdSchema, login: loginNameSchema }).strict();
export type SealingUser = z.output<typeof sealingUserSchema>;

/** A live token as stored: its directory metadata, the key version it is sealed under and the sealed content. */
export const storedValueSchema = z
  .object({ token: directoryTokenSchema, keyVersion: keyVersionSchema, sealed: sealedValueSchema })
  .strict()
  .refine((item) => !item.token.tombstone, {
    message: 'a tombstone has no content to seal',
    path: ['token', 'tombstone'],
  });
export type StoredValue = z.output<typeof storedValueSchema>;

const itemKeyShape = { type: tokenMetaShape.type, id: tokenMetaShape.id };

/** A per-item outcome: one bad token is rejected on its own instead of failing the whole batch. */
export const sealedItemResultSchema = z.discriminatedUnion('ok', [
  factsOnCertificatesOnly(
    withIdentifierRule(
      z
        .object({
          ...itemKeyShape,
          ok: z.literal(true),
          keyVersion: keyVersionSchema,
          sealed: sealedValueSchema,
          ...certificateFacts,
        })
        .strict(),
    ),
  ),
  withIdentifierRule(z.object({ ...itemKeyShape, ok: z.literal(false), error: errorInfoSchema }).strict()),
]);
export type SealedItemResult = z.output<typeof sealedItemResultSchema>;

export const deviceItemResultSchema = z.discriminatedUnion('ok', [
  factsOnCertificatesOnly(
    withIdentifierRule(
      z
        .object({ ...itemKeyShape, ok: z.literal(true), envelope: envelopeSchema, ...certificateFacts })
        .strict(),
    ),
  ),
  withIdentifierRule(z.object({ ...itemKeyShape, ok: z.literal(false), error: errorInfoSchema }).strict()),
]);
export type DeviceItemResult = z.output<typeof deviceItemResultSchema>;

// ---------------------------------------------------------------------------------------------------------------
// directory-gateway

export const directoryUserSchema = z
  .object({
    dn: distinguishedNameSchema,
    login: loginNameSchema,
    stableId: stableIdSchema,
    displayName: z.string().max(512).nullable(),
    groups: z.array(distinguishedNameSchema).max(MAX_GROUPS),
  })
  .strict();
export type DirectoryUser = z.output<typeof directoryUserSchema>;

const userReplySchema = z.object({ user: directoryUserSchema }).strict();

export const lookupUserRequestSchema = z.object({ login: loginNameSchema }).strict();

/**
 * The password is sealed to the gateway's credential-transport certificate (CMS EnvelopedData) by the edge, so
 * it never crosses the broker in clear; only the gateway opens it, for the bind, and forgets it.
 */
export const verifyPasswordRequestSchema = z
  .object({ login: loginNameSchema, sealedPassword: smallEnvelopeSchema })
  .strict();

/**
 * Whether the account a session authenticated is still usable, for a renewal without the password: the same
 * entry (login and stable id), not disabled or locked, its password not changed since `authenticatedAt` (the
 * password logon). The gateway reads the status attributes its dialect maps (README: account status).
 */
export const checkAccountRequestSchema = z
  .object({
    login: loginNameSchema,
    stableId: stableIdSchema,
    dn: distinguishedNameSchema,
    authenticatedAt: isoInstantSchema,
  })
  .strict();

export const ACCOUNT_STATUSES = ['usable', 'missing', 'disabled', 'locked', 'password-changed'] as const;
export const accountStatusSchema = z.enum(ACCOUNT_STATUSES);
export type AccountStatus = z.output<typeof accountStatusSchema>;

/** The verdict, and the user as the directory has it now (null when missing: gone, or another entry). */
export const checkAccountResponseSchema = z
  .object({ status: accountStatusSchema, user: directoryUserSchema.nullable() })
  .strict()
  .refine((reply) => (reply.status === 'missing') === (reply.user === null), {
    message: 'the user is null exactly when the account is missing',
    path: ['user'],
  });

export const readStateRequestSchema = z.object({ userDn: distinguishedNameSchema }).strict();
export const readStateResponseSchema = z
  .object({ stamp: stampSchema.nullable(), state: directoryStateSchema })
  .strict();

/**
 * The entry's stamp alone (one search of one attribute, nothing decoded): what a steady sync compares with the stamp
 * its workstation holds (the settled check: apps/logon-events/README.md).
 */
export const readStampRequestSchema = readStateRequestSchema;
export const readStampResponseSchema = z.object({ stamp: stampSchema.nullable() }).strict();

/** A value to add: a live token with its sealed content, or a tombstone, which has none. */
export const directoryAdditionSchema = z
  .object({
    token: directoryTokenSchema,
    keyVersion: keyVersionSchema.nullable(),
    sealed: sealedValueSchema.nullable(),
  })
  .strict()
  .superRefine((item, ctx) => {
    const tombstone = item.token.tombstone;
    for (const field of ['keyVersion', 'sealed'] as const) {
      if (tombstone !== (item[field] === null)) {
        ctx.addIssue({
          code: 'custom',
          path: [field],
          message: tombstone
            ? `${field} must be null for a tombstone`
            : `${field} is required for a live token`,
        });
      }
    }
  });
export type DirectoryAddition = z.output<typeof directoryAdditionSchema>;

/**
 * One atomic compare-and-swap modify: it applies only while the stamp is still `expectedStamp` (null: the entry
 * has no stamp yet), and fails as a whole with DIRECTORY_STAMP_CHANGED when another writer got there first.
 */
export const applyChangesRequestSchema = z
  .object({
    userDn: distinguishedNameSchema,
    expectedStamp: stampSchema.nullable(),
    add: z
      .array(directoryAdditionSchema)
      .max(MAX_ITEMS)
      .superRefine(uniqueKeys((item: DirectoryAddition) => item.token, 'add')),
    remove: z
      .array(valueRefSchema)
      .max(MAX_ITEMS)
      .refine((refs) => new Set(refs).size === refs.length, { message: 'remove lists a value twice' }),
    purgeWatermark: directoryStateSchema.shape.purgeWatermark,
  })
  .strict();
/** The sealed content of live tokens, for re-sealing downloads; tombstones and unknown keys are left out. */
export const readValuesRequestSchema = z
  .object({
    userDn: distinguishedNameSchema,
    keys: z
      .array(withIdentifierRule(z.object(itemKeyShape).strict()))
      .min(1)
      .max(MAX_ITEMS)
      .superRefine(uniqueKeys((key: TokenKey) => key, 'keys')),
  })
  .strict();
export const readValuesResponseSchema = z
  .object({ values: z.array(storedValueSchema).max(MAX_ITEMS) })
  .strict();

/** The new stamp, and its created time (when the roaming data was first written), which the caller's base records. */
export const applyChangesResponseSchema = z
  .object({ stamp: stampSchema, createdAt: directoryStateSchema.shape.purgeWatermark })
  .strict();

export const resolvePolicyRequestSchema = z
  .object({ userDn: distinguishedNameSchema, groups: z.array(distinguishedNameSchema).max(MAX_GROUPS) })
  .strict();

// ---------------------------------------------------------------------------------------------------------------
// token-crypto

export const transportCertificateResponseSchema = z
  .object({ certificatePem: certificatePemSchema, thumbprint: certificateThumbprintSchema })
  .strict();

export const inspectRequestSchema = z
  .object({
    data: base64Schema({ maxBytes: BYTE_LIMITS.inspectedFile, what: 'data' }),
    format: z.enum(['auto', 'pem', 'der', 'pkcs12']),
    /** The file's password (PKCS#12, encrypted PKCS#8), sealed to the transport certificate. */
    passwordEnvelope: smallEnvelopeSchema.optional(),
  })
  .strict();

export const CREDENTIAL_KINDS = ['certificate', 'private-key', 'certificate-request', 'pkcs12'] as const;

/** What token-crypto found in a file; the fields that do not apply to its kind are null. */
export const credentialDescriptionSchema = z
  .object({
    kind: z.enum(CREDENTIAL_KINDS),
    subject: certificateNameSchema.nullable(),
    issuer: certificateNameSchema.nullable(),
    serialNumber: certificateSerialSchema.nullable(),
    notBefore: isoInstantSchema.nullable(),
    notAfter: isoInstantSchema.nullable(),
    thumbprint: certificateThumbprintSchema.nullable(),
    keyAlgorithm: keyAlgorithmSchema.nullable(),
    keySize: keySizeSchema.nullable(),
    expired: z.boolean().nullable(),
    /** Present when the file holds both a certificate and a private key. */
    keyMatchesCertificate: z.boolean().optional(),
  })
  .strict();
export type CredentialDescription = z.output<typeof credentialDescriptionSchema>;

/**
 * Uploads on their way to storage: each envelope is CMS sealed by the agent to the transport certificate.
 * token-crypto opens it, checks it against `token` (hash, thumbprint, size within `maxTokenBytes`) and seals it
 * under the user's storage key. The reply lists one result per request item, in request order.
 */
export const sealForStorageRequestSchema = z
  .object({
    user: sealingUserSchema,
    limits: z.object({ maxTokenBytes: policySchema.shape.maxTokenBytes }).strict(),
    items: z
      .array(z.object({ token: tokenMetaSchema, envelope: envelopeSchema }).strict())
      .max(MAX_ITEMS)
      .superRefine(uniqueKeys((item: { token: TokenKey }) => item.token, 'items')),
  })
  .strict();
export const sealedItemsResponseSchema = z
  .object({ items: z.array(sealedItemResultSchema).max(MAX_ITEMS) })
  .strict();

/**
 * Downloads on their way to one workstation: stored values re-sealed to the device key the agent registered at
 * logon. A value failing its integrity check (changed, swapped or replayed in the directory) comes back as a
 * per-item error, so one planted value cannot block a user's roaming.
 */
export const sealForDeviceRequestSchema = z
  .object({
    user: sealingUserSchema,
    devicePublicKey: publicKeySchema,
    items: z
      .array(storedValueSchema)
      .max(MAX_ITEMS)
      .superRefine(uniqueKeys((item: StoredValue) => item.token, 'items')),
    /** Also seal the user's hash key to the device (at session creation). */
    includeHashKey: z.boolean(),
    /**
     * Seal the items to one fresh download key, itself sealed to the device (libs/sealing download-key.ts): one key
     * agreement per call instead of one per item. Absent: every item is sealed to the device key.
     */
    downloadKey: z.boolean().optional(),
  })
  .strict();
export const sealForDeviceResponseSchema = z
  .object({
    items: z.array(deviceItemResultSchema).max(MAX_ITEMS),
    hashKeyEnvelope: smallEnvelopeSchema.nullable(),
    /** The download key the items are sealed to, sealed to the device; present when the request asked for one. */
    downloadKeyEnvelope: smallEnvelopeSchema.optional(),
  })
  .strict();

/** Re-seals stored values under the current storage master key version (key rotation). */
export const resealRequestSchema = z
  .object({
    user: sealingUserSchema,
    items: z
      .array(storedValueSchema)
      .max(MAX_ITEMS)
      .superRefine(uniqueKeys((item: StoredValue) => item.token, 'items')),
  })
  .strict();

/**
 * A logon password sealed by the agent to the transport certificate, bound to login, device key and time (libs/sealing
 * logon-password.ts), re-sealed for the directory gateway under the service channel key (purpose
 * `verify-password:<login>`): the reply is what directory.verify-password takes. token-crypto refuses a password
 * bound to another login or device key, or made too long ago. The password is never in clear on the broker.
 */
export const resealPasswordRequestSchema = z
  .object({
    login: loginNameSchema,
    devicePublicKey: devicePublicKeySchema,
    sealedPassword: smallEnvelopeSchema,
  })
  .strict();
export const resealPasswordResponseSchema = z.object({ sealedPassword: smallEnvelopeSchema }).strict();

/**
 * An operator's purge (`credroam user purge`, offboarding or a reset): removes every roaming value of the entry, or
 * those of `types` (Windows' and undecodable ones included: a reset must also clear what credroam would only
 * report), in one compare-and-swap modify against `expectedStamp`, the stamp the operator was shown. A full purge
 * also removes the stamp (the entry is as if it never roamed); a partial one moves it on like any write.
 * Needs an operator grant (contracts/grants.ts).
 */
export const purgeUserRequestSchema = z
  .object({
    userDn: distinguishedNameSchema,
    expectedStamp: stampSchema.nullable(),
    types: z.array(tokenTypeSchema).min(1).max(TOKEN_TYPES.length).nullable(),
  })
  .strict();
export const purgeUserResponseSchema = z
  .object({ removed: z.number().int().min(0).max(1_000_000), stamp: stampSchema.nullable() })
  .strict();

/**
 * An operator's look at a user's roaming state (`credroam user show`): what directory.read-state answers, but
 * with an operator grant and a security.operator-action event, so that who looked at whose data is on record.
 */
export const inspectUserRequestSchema = readStateRequestSchema;
export const inspectUserResponseSchema = readStateResponseSchema;

// ---------------------------------------------------------------------------------------------------------------
// the registry

interface RpcContract {
  service: RpcService;
  request: z.ZodType;
  response: z.ZodType;
}

export const RPC_CONTRACTS = Object.freeze({
  [RPC_PATTERNS.lookupUser]: {
    service: 'directory-gateway',
    request: lookupUserRequestSchema,
    response: userReplySchema,
  },
  [RPC_PATTERNS.verifyPassword]: {
    service: 'directory-gateway',
    request: verifyPasswordRequestSchema,
    response: userReplySchema,
  },
  [RPC_PATTERNS.checkAccount]: {
    service: 'directory-gateway',
    request: checkAccountRequestSchema,
    response: checkAccountResponseSchema,
  },
  [RPC_PATTERNS.readState]: {
    service: 'directory-gateway',
    request: readStateRequestSchema,
    response: readStateResponseSchema,
  },
  [RPC_PATTERNS.readStamp]: {
    service: 'directory-gateway',
    request: readStampRequestSchema,
    response: readStampResponseSchema,
  },
  [RPC_PATTERNS.readValues]: {
    service: 'directory-gateway',
    request: readValuesRequestSchema,
    response: readValuesResponseSchema,
  },
  [RPC_PATTERNS.applyChanges]: {
    service: 'directory-gateway',
    request: applyChangesRequestSchema,
    response: applyChangesResponseSchema,
  },
  [RPC_PATTERNS.purgeUser]: {
    service: 'directory-gateway',
    request: purgeUserRequestSchema,
    response: purgeUserResponseSchema,
  },
  [RPC_PATTERNS.inspectUser]: {
    service: 'directory-gateway',
    request: inspectUserRequestSchema,
    response: inspectUserResponseSchema,
  },
  [RPC_PATTERNS.resolvePolicy]: {
    service: 'directory-gateway',
    request: resolvePolicyRequestSchema,
    response: effectivePolicySchema,
  },
  [RPC_PATTERNS.directoryHealth]: {
    service: 'directory-gateway',
    request: emptyRequestSchema,
    response: healthSchema,
  },
  [RPC_PATTERNS.transportCertificate]: {
    service: 'token-crypto',
    request: emptyRequestSchema,
    response: transportCertificateResponseSchema,
  },
  [RPC_PATTERNS.inspect]: {
    service: 'token-crypto',
    request: inspectRequestSchema,
    response: credentialDescriptionSchema,
  },
  [RPC_PATTERNS.sealForStorage]: {
    service: 'token-crypto',
    request: sealForStorageRequestSchema,
    response: sealedItemsResponseSchema,
  },
  [RPC_PATTERNS.sealForDevice]: {
    service: 'token-crypto',
    request: sealForDeviceRequestSchema,
    response: sealForDeviceResponseSchema,
  },
  [RPC_PATTERNS.reseal]: {
    service: 'token-crypto',
    request: resealRequestSchema,
    response: sealedItemsResponseSchema,
  },
  [RPC_PATTERNS.resealPassword]: {
    service: 'token-crypto',
    request: resealPasswordRequestSchema,
    response: resealPasswordResponseSchema,
  },
  [RPC_PATTERNS.cryptoHealth]: {
    service: 'token-crypto',
    request: emptyRequestSchema,
    response: healthSchema,
  },
} as const satisfies Record<string, RpcContract>);

export type RpcPattern = keyof typeof RPC_CONTRACTS;
export const RPC_PATTERN_LIST = Object.freeze(Object.keys(RPC_CONTRACTS) as RpcPattern[]);

export type RpcRequest<P extends RpcPattern> = z.output<(typeof RPC_CONTRACTS)[P]['request']>;
export type RpcResponse<P extends RpcPattern> = z.output<(typeof RPC_CONTRACTS)[P]['response']>;

/** The body of every RPC request message. */
export function rpcRequestSchema<S extends z.ZodType>(payload: S) {
  return z
    .object({ correlationId: correlationIdSchema, payload, grant: grantTokenSchema.optional() })
    .strict();
}

/** The body of every RPC reply message: a serialised Result. */
export function rpcReplySchema<S extends z.ZodType>(value: S) {
  return z.discriminatedUnion('ok', [
    z.object({ ok: z.literal(true), value }).strict(),
    z.object({ ok: z.literal(false), error: errorInfoSchema }).strict(),
  ]);
}

export interface RpcRequestMessage<P extends RpcPattern> {
  correlationId: string;
  payload: RpcRequest<P>;
  /** Required by the patterns of GRANTED_RPCS (contracts/grants.ts). */
  grant?: string;
}
export type RpcReply<P extends RpcPattern> = Result<RpcResponse<P>>;

const WIRE = new Map<string, { request: z.ZodType; reply: z.ZodType }>(
  Object.entries(RPC_CONTRACTS).map(([pattern, contract]) => [
    pattern,
    { request: rpcRequestSchema(contract.request), reply: rpcReplySchema(contract.response) },
  ]),
);

export function isRpcPattern(value: unknown): value is RpcPattern {
  return typeof value === 'string' && WIRE.has(value);
}

/** Validates an incoming request message for `pattern`; a violation is CONTRACT_VIOLATION unless more precise. */
export function parseRpcRequest<P extends RpcPattern>(
  pattern: P,
  input: unknown,
): Result<RpcRequestMessage<P>> {
  const wire = WIRE.get(pattern);
  if (!wire) return fail('CONTRACT_VIOLATION', `unknown RPC pattern ${JSON.stringify(pattern)}`);
  return parseWith(wire.request, input, 'CONTRACT_VIOLATION') as Result<RpcRequestMessage<P>>;
}

/**
 * Validates a reply for `pattern` and returns it as the Result it encodes: a well-formed error reply is a failed
 * Result carrying the remote error, a malformed reply a CONTRACT_VIOLATION.
 */
export function parseRpcReply<P extends RpcPattern>(pattern: P, input: unknown): RpcReply<P> {
  const wire = WIRE.get(pattern);
  if (!wire) return fail('CONTRACT_VIOLATION', `unknown RPC pattern ${JSON.stringify(pattern)}`);
  const parsed = parseWith(wire.reply, input, 'CONTRACT_VIOLATION');
  if (!parsed.ok) return parsed;
  return parsed.value as RpcReply<P>;
}
