import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import {
  GRANT_ISSUER,
  GRANT_TYPE,
  isOperatorPattern,
  OPERATOR_GRANT_ISSUER,
  requestSubject,
  RoamingError,
  RPC_CONTRACTS,
  type GrantedPattern,
  type RpcRequest,
} from '@credroam/roaming';
import { type GrantSigningKey } from './grant-keys';
import { grantSubjectOf, subjectMismatch, type Grantee } from './grant-subject';
import { requestDigest } from './request-digest';

export interface GrantIssuerSettings {
  /** How long a grant is valid: long enough for one RPC (its timeout), short enough that a copy is worth little. */
  lifetimeSeconds: number;
  /**
   * Set in the admin CLI: this issuer signs operator grants (OPERATOR_GRANT_ISSUER) naming this operator, for
   * the OPERATOR_PATTERNS only. Unset in logon-events, which never signs those.
   */
  operator?: string;
  now?: () => number;
}

/**
 * Signs grants in logon-events, for the user it has just authenticated. It refuses to grant a request that names
 * anyone else: a bug in a use-case must not become a grant for another user's data.
 */
export class GrantIssuer {
  private readonly now: () => number;

  constructor(
    private readonly key: GrantSigningKey,
    private readonly settings: GrantIssuerSettings,
  ) {
    this.now = settings.now ?? Date.now;
  }

  /** A grant for exactly `request` (as it will be sent) to `pattern`, on behalf of `grantee`. */
  async issue<P extends GrantedPattern>(
    pattern: P,
    request: RpcRequest<P>,
    grantee: Grantee,
  ): Promise<string> {
    const operator = this.settings.operator;
    if (isOperatorPattern(pattern) !== (operator !== undefined)) {
      throw new RoamingError(
        'FORBIDDEN',
        `refusing to grant ${pattern}: ${operator === undefined ? 'only an operator grants it' : 'an operator grants only operator commands'}`,
      );
    }
    const subject = grantSubjectOf(grantee);
    const mismatch = subjectMismatch(requestSubject(pattern, request), subject);
    if (mismatch !== null) {
      throw new RoamingError('FORBIDDEN', `refusing to grant ${pattern} for ${grantee.login}: ${mismatch}`);
    }
    const issuedAt = Math.floor(this.now() / 1000);
    const claims = { op: pattern, usr: subject, req: requestDigest(request) };
    return new SignJWT(operator === undefined ? claims : { ...claims, opr: operator })
      .setProtectedHeader({ alg: 'EdDSA', kid: this.key.kid, typ: GRANT_TYPE })
      .setIssuer(operator === undefined ? GRANT_ISSUER : OPERATOR_GRANT_ISSUER)
      .setAudience(RPC_CONTRACTS[pattern].service)
      .setJti(randomUUID())
      .setIssuedAt(issuedAt)
      .setExpirationTime(issuedAt + this.settings.lifetimeSeconds)
      .sign(this.key.privateKey);
  }
}
