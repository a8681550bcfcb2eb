import { z } from 'zod';
import { type ErrorCode } from '../errors/roaming-error';
import { distinguishedNameSchema, loginNameSchema, stableIdSchema } from './identifiers';
import { RPC_PATTERNS, type RpcPattern, type RpcRequest, type RpcService } from './rpc';

/**
 * Grants (DESIGN.md section 7a). A connection to the broker proves nothing, so every internal request that
 * reveals, re-seals or changes a user's roaming data, or checks a password or an account's status for a renewal,
 * carries a grant: a short-lived JWT that logon-events signs after it authenticated the user (and, for a logon
 * attempt, before it checks the password), bound to the user, the device key, the operation and the exact request. The gateway and token-crypto verify it
 * with logon-events' public keys and refuse anything else.
 */

/** The `iss` of every grant, and the `typ` of its JOSE header (RFC 8725 explicit typing). */
export const GRANT_ISSUER = 'credroam:logon-events';
/**
 * The `iss` of an operator grant: signed by the admin CLI with an operator's key (not logon-events'), for the
 * OPERATOR_PATTERNS only, naming the operator (`opr`) so the gateway's audit event says who did it.
 */
export const OPERATOR_GRANT_ISSUER = 'credroam:operator';
export const GRANT_TYPE = 'credroam-grant+jwt';

/** The codes a refused request carries. */
export const GRANT_ERROR_CODES = [
  'GRANT_REQUIRED',
  'GRANT_INVALID',
  'GRANT_EXPIRED',
  'GRANT_MISMATCH',
] as const satisfies readonly ErrorCode[];
export type GrantErrorCode = (typeof GRANT_ERROR_CODES)[number];

/** What a request's payload says about whose data it touches; the grant must name the same. */
export interface RequestSubject {
  login?: string;
  stableId?: string;
  dn?: string;
  /** The device key (SPKI DER, base64) anything is sealed to: the grant names its SHA-256. */
  devicePublicKey?: string;
}

/**
 * The RPCs that need a grant, and how to read each one's subject from its payload. Reads that reveal only
 * metadata (lookup-user, read-state, read-stamp, resolve-policy) and requests about no user (health, the transport
 * certificate, inspecting a file the caller holds anyway) stay open to services.
 */
export const GRANTED_RPCS = Object.freeze({
  [RPC_PATTERNS.verifyPassword]: (request: RpcRequest<'directory.verify-password'>) => ({
    login: request.login,
  }),
  [RPC_PATTERNS.checkAccount]: (request: RpcRequest<'directory.check-account'>) => ({
    login: request.login,
    stableId: request.stableId,
    dn: request.dn,
  }),
  [RPC_PATTERNS.readValues]: (request: RpcRequest<'directory.read-values'>) => ({ dn: request.userDn }),
  [RPC_PATTERNS.applyChanges]: (request: RpcRequest<'directory.apply-changes'>) => ({ dn: request.userDn }),
  [RPC_PATTERNS.purgeUser]: (request: RpcRequest<'directory.purge-user'>) => ({ dn: request.userDn }),
  [RPC_PATTERNS.inspectUser]: (request: RpcRequest<'directory.inspect-user'>) => ({ dn: request.userDn }),
  [RPC_PATTERNS.sealForStorage]: (request: RpcRequest<'crypto.seal-for-storage'>) => ({
    login: request.user.login,
    stableId: request.user.stableId,
  }),
  [RPC_PATTERNS.sealForDevice]: (request: RpcRequest<'crypto.seal-for-device'>) => ({
    login: request.user.login,
    stableId: request.user.stableId,
    devicePublicKey: request.devicePublicKey,
  }),
  [RPC_PATTERNS.reseal]: (request: RpcRequest<'crypto.reseal'>) => ({
    login: request.user.login,
    stableId: request.user.stableId,
  }),
  [RPC_PATTERNS.resealPassword]: (request: RpcRequest<'crypto.reseal-password'>) => ({
    login: request.login,
    devicePublicKey: request.devicePublicKey,
  }),
} as const satisfies { [P in RpcPattern]?: (request: RpcRequest<P>) => RequestSubject });

export type GrantedPattern = keyof typeof GRANTED_RPCS;
export const GRANTED_PATTERNS = Object.freeze(Object.keys(GRANTED_RPCS) as GrantedPattern[]);

/** The granted patterns only an operator grant covers (and an operator grant covers nothing else). */
export const OPERATOR_PATTERNS = Object.freeze([
  RPC_PATTERNS.purgeUser,
  RPC_PATTERNS.inspectUser,
] as const satisfies readonly GrantedPattern[]);
export type OperatorPattern = (typeof OPERATOR_PATTERNS)[number];

export function isOperatorPattern(pattern: GrantedPattern): pattern is OperatorPattern {
  return (OPERATOR_PATTERNS as readonly GrantedPattern[]).includes(pattern);
}

/** Who an operator is, as their grants name them (a login-like name, for the audit trail). */
export const operatorNameSchema = loginNameSchema;

export function isGrantedPattern(pattern: string): pattern is GrantedPattern {
  return Object.hasOwn(GRANTED_RPCS, pattern);
}

/** The subject of a granted request, read from its (validated) payload. */
export function requestSubject<P extends GrantedPattern>(pattern: P, request: RpcRequest<P>): RequestSubject {
  return (GRANTED_RPCS[pattern] as (request: RpcRequest<P>) => RequestSubject)(request);
}

/** SHA-256 of a device public key's SPKI DER, lower-case hex: how a grant names the device. */
export const deviceKeyHashSchema = z
  .string()
  .regex(/^[0-9a-f]{64}$/, { message: 'device key hash must be 64 lower-case hex digits (SHA-256)' });

/**
 * Whom a grant is for. A logon attempt knows the login (and the device) only; after authentication logon-events
 * knows the directory user, so stableId and dn are set.
 */
export const grantSubjectSchema = z
  .object({
    login: loginNameSchema,
    stableId: stableIdSchema.nullable(),
    dn: distinguishedNameSchema.nullable(),
    deviceKeyHash: deviceKeyHashSchema.nullable(),
  })
  .strict();
export type GrantSubject = z.output<typeof grantSubjectSchema>;

/** SHA-256 (base64url, unpadded) of the request payload in RFC 8785 canonical JSON. */
export const requestDigestSchema = z
  .string()
  .regex(/^[A-Za-z0-9_-]{43}$/, { message: 'request digest must be an unpadded base64url SHA-256' });

const RPC_SERVICES = ['directory-gateway', 'token-crypto'] as const satisfies readonly RpcService[];

/** The claims of a grant (a JWT: times in seconds since the epoch). */
export const grantClaimsSchema = z
  .object({
    iss: z.enum([GRANT_ISSUER, OPERATOR_GRANT_ISSUER]),
    aud: z.enum(RPC_SERVICES),
    jti: z.uuid(),
    iat: z.number().int().min(0),
    exp: z.number().int().min(0),
    op: z.enum(GRANTED_PATTERNS as [GrantedPattern, ...GrantedPattern[]]),
    usr: grantSubjectSchema,
    req: requestDigestSchema,
    /** The operator, on an operator grant (and only there). */
    opr: operatorNameSchema.optional(),
  })
  .strict()
  .refine((claims) => claims.exp > claims.iat, {
    message: 'a grant expires after it was issued',
    path: ['exp'],
  })
  .refine(
    (claims) =>
      claims.iss === OPERATOR_GRANT_ISSUER
        ? claims.opr !== undefined && isOperatorPattern(claims.op)
        : claims.opr === undefined && !isOperatorPattern(claims.op),
    {
      message: "an operator grant names its operator and an operator's operation, and only it does",
      path: ['iss'],
    },
  );
export type GrantClaims = z.output<typeof grantClaimsSchema>;
