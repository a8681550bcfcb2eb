import { errors, jwtVerify, type JWTHeaderParameters } from 'jose';
import {
  GRANT_ISSUER,
  GRANT_TYPE,
  grantClaimsSchema,
  isOperatorPattern,
  OPERATOR_GRANT_ISSUER,
  requestSubject,
  type GrantClaims,
  type GrantedPattern,
  type GrantErrorCode,
  type RpcRequest,
  type RpcService,
} from '@credroam/roaming';
import { type GrantPublicKey } from './grant-keys';
import { subjectMismatch } from './grant-subject';
import { requestDigest } from './request-digest';

export interface GrantVerifierSettings {
  /**
   * The operators' public keys (the admin CLI's signing keys): the only keys an operator grant may be signed
   * with, and never accepted for anything else. None: every operator command is refused.
   */
  operatorKeys?: readonly GrantPublicKey[];
  /** The service this verifier guards: a grant addressed to another service is refused. */
  audience: RpcService;
  /** The longest lifetime accepted (exp - iat), whatever the signer chose. */
  maxLifetimeSeconds: number;
  /** Tolerated difference between logon-events' clock and this service's. */
  clockSkewSeconds: number;
  now?: () => number;
}

export type GrantVerdict =
  | { ok: true; claims: GrantClaims }
  | {
      ok: false;
      code: GrantErrorCode;
      reason: string;
      /** The grant's user when its signature was genuine: someone used a real grant out of its scope. */
      grantedTo: string | null;
    };

/** How many grant ids a replica remembers to refuse a second use (they are forgotten once expired). */
const MAX_REMEMBERED = 200_000;

/**
 * Verifies grants where the secret is (directory-gateway, token-crypto): signed by a trusted logon-events key,
 * addressed to this service, unexpired, for this operation, this user and device, this exact request, and not
 * used before on this replica. A replay elsewhere gains nothing: it is the same request, for the same user,
 * sealed to the same device.
 */
export class GrantVerifier {
  private readonly keys: ReadonlyMap<string, GrantPublicKey>;
  private readonly operatorKeys: ReadonlyMap<string, GrantPublicKey>;
  private readonly used = new Map<string, number>();
  private readonly now: () => number;

  constructor(
    keys: readonly GrantPublicKey[],
    private readonly settings: GrantVerifierSettings,
  ) {
    this.keys = new Map(keys.map((key) => [key.kid, key]));
    this.operatorKeys = new Map((settings.operatorKeys ?? []).map((key) => [key.kid, key]));
    this.now = settings.now ?? Date.now;
  }

  get keyIds(): string[] {
    return [...this.keys.keys()];
  }

  /** `redelivered`: the broker handed the request to us again after a replica lost it; its grant is not a replay. */
  async verify<P extends GrantedPattern>(
    pattern: P,
    request: RpcRequest<P>,
    grant: string | undefined,
    redelivered = false,
  ): Promise<GrantVerdict> {
    const operator = isOperatorPattern(pattern);
    if (grant === undefined) {
      const from = operator ? 'an operator' : 'logon-events';
      return refused('GRANT_REQUIRED', `${pattern} needs a grant from ${from}`, null);
    }
    const signed = await this.signedClaims(grant, operator);
    if (!signed.ok) return signed;
    const { claims } = signed;
    const grantedTo = claims.usr.login;
    if (claims.op !== pattern) {
      return refused('GRANT_MISMATCH', `the grant is for ${claims.op}, not ${pattern}`, grantedTo);
    }
    const mismatch = subjectMismatch(requestSubject(pattern, request), claims.usr);
    if (mismatch !== null) return refused('GRANT_MISMATCH', mismatch, grantedTo);
    if (claims.req !== requestDigest(request)) {
      return refused('GRANT_MISMATCH', 'the grant was signed for a different request', grantedTo);
    }
    if (this.alreadyUsed(claims, redelivered)) {
      return refused('GRANT_INVALID', 'the grant was already used (a replay)', grantedTo);
    }
    return { ok: true, claims };
  }

  private async signedClaims(grant: string, operator: boolean): Promise<GrantVerdict> {
    const nowMs = this.now();
    const keys = operator ? this.operatorKeys : this.keys;
    let payload: unknown;
    try {
      ({ payload } = await jwtVerify(grant, (header) => keyFor(keys, header), {
        algorithms: ['EdDSA'],
        typ: GRANT_TYPE,
        issuer: operator ? OPERATOR_GRANT_ISSUER : GRANT_ISSUER,
        audience: this.settings.audience,
        currentDate: new Date(nowMs),
        clockTolerance: this.settings.clockSkewSeconds,
        maxTokenAge: this.settings.maxLifetimeSeconds + this.settings.clockSkewSeconds,
        requiredClaims: ['jti', 'iat', 'exp'],
      }));
    } catch (error) {
      return refusedFor(error);
    }
    const claims = grantClaimsSchema.safeParse(payload);
    if (!claims.success)
      return refused('GRANT_INVALID', 'the grant does not carry the claims of a grant', null);
    const { iat, exp } = claims.data;
    if (exp - iat > this.settings.maxLifetimeSeconds) {
      return refused(
        'GRANT_INVALID',
        `the grant is valid for ${exp - iat} s, longer than the ${this.settings.maxLifetimeSeconds} s accepted`,
        claims.data.usr.login,
      );
    }
    if (iat * 1000 > nowMs + this.settings.clockSkewSeconds * 1000) {
      return refused('GRANT_INVALID', 'the grant was issued in the future', claims.data.usr.login);
    }
    return { ok: true, claims: claims.data };
  }

  private alreadyUsed(claims: GrantClaims, redelivered: boolean): boolean {
    const nowSeconds = this.now() / 1000;
    for (const [jti, exp] of this.used) {
      if (exp + this.settings.clockSkewSeconds >= nowSeconds && this.used.size < MAX_REMEMBERED) break;
      this.used.delete(jti);
    }
    if (this.used.has(claims.jti)) return !redelivered;
    this.used.set(claims.jti, claims.exp);
    return false;
  }
}

class UntrustedKey extends Error {}

function keyFor(keys: ReadonlyMap<string, GrantPublicKey>, header: JWTHeaderParameters) {
  const key = header.kid === undefined ? undefined : keys.get(header.kid);
  if (!key) throw new UntrustedKey();
  return key.publicKey;
}

function grantedLogin(payload: unknown): string | null {
  const parsed = grantClaimsSchema.safeParse(payload);
  return parsed.success ? parsed.data.usr.login : null;
}

function refused(code: GrantErrorCode, reason: string, grantedTo: string | null): GrantVerdict {
  return { ok: false, code, reason, grantedTo };
}

function refusedFor(error: unknown): GrantVerdict {
  if (error instanceof UntrustedKey) {
    return refused('GRANT_INVALID', 'the grant is signed by a key this service does not trust', null);
  }
  // jose checks claims only after the signature, so a claim failure comes from a genuine grant.
  if (error instanceof errors.JWTExpired) {
    return refused('GRANT_EXPIRED', 'the grant has expired', grantedLogin(error.payload));
  }
  if (error instanceof errors.JWTClaimValidationFailed) {
    const grantedTo = grantedLogin(error.payload);
    if (error.claim === 'aud')
      return refused('GRANT_MISMATCH', 'the grant is for another service', grantedTo);
    if (error.claim === 'iat' && error.reason === 'check_failed') {
      return refused('GRANT_EXPIRED', 'the grant was issued too long ago', grantedTo);
    }
    return refused('GRANT_INVALID', `the grant's ${error.claim} claim is not acceptable`, grantedTo);
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) {
    return refused('GRANT_INVALID', 'the grant signature is not valid', null);
  }
  return refused('GRANT_INVALID', 'the grant is not a valid signed grant', null);
}
