import {
  AMQP_INGRESS_SOURCE,
  RoamingError,
  type ChangeNotice,
  type CreateSessionResponse,
  type KerberosSessionResponse,
  type PolicyResponse,
  type RenewSessionResponse,
  type SyncCheckResponse,
  type SyncResponse,
  type WorkstationEventResponse,
} from '@credroam/roaming';
import { type ChangeWaitsService } from '../changes/change-waits.service';
import { type Clock } from '../repositories/logon.repositories';
import { type LimitedCaller, type RateLimits } from '../rate-limit/rate-limits';
import { type DeviceProof, type DeviceProofVerifier } from '../sessions/device-proof.verifier';
import { type SessionRenewalService } from '../sessions/session-renewal.service';
import { type SessionClaims } from '../sessions/session-token';
import { type SessionsService } from '../sessions/sessions.service';
import { type KerberosLogonService } from '../sessions/kerberos-logon.service';
import { type AgentFeatures, type SyncService } from '../sync/sync.service';
import { type WorkstationEventsService } from '../workstation/workstation-events.service';

/**
 * Who is calling, as far as the transport knows: the client address over HTTP; over AMQP no address, but the
 * device proof the message carried (null when it carried none).
 */
export type Caller =
  { transport: 'http'; clientAddress: string } | { transport: 'amqp'; proof: DeviceProof | null };

export interface AgentDependencies {
  sessions: SessionsService;
  kerberos: KerberosLogonService;
  renewals: SessionRenewalService;
  syncs: SyncService;
  workstationEvents: WorkstationEventsService;
  changes: ChangeWaitsService;
  proofs: DeviceProofVerifier;
  clock: Clock;
  limits: RateLimits;
}

/**
 * The agent protocol as use-cases, shared by the HTTP controller and the AMQP ingress: both validate the same
 * way, rate-limit the same way and get the same answers. The user always comes from the session token.
 */
export class AgentService {
  constructor(private readonly deps: AgentDependencies) {}

  async createSession(body: unknown, caller: Caller, correlationId: string): Promise<CreateSessionResponse> {
    const limited = limitedCaller(caller);
    await this.deps.limits.client({ caller: limited, correlationId });
    const login = typeof body === 'object' && body !== null ? (body as { user?: unknown }).user : undefined;
    if (typeof login === 'string') await this.deps.limits.logon({ caller: limited, login, correlationId });
    return this.deps.sessions.createSession(
      body,
      { transport: caller.transport, source: limited.source },
      correlationId,
    );
  }

  /**
   * A logon with a Kerberos ticket (HTTP only: SPNEGO rides on the Authorization header). Rated per client before
   * the ticket is checked and per login and client after, as a password logon; returns the acceptor's token for
   * mutual authentication beside the session.
   */
  async createKerberosSession(
    authorization: string | undefined,
    body: unknown,
    caller: Extract<Caller, { transport: 'http' }>,
    correlationId: string,
  ): Promise<{ session: KerberosSessionResponse; response: string | null }> {
    const limited = limitedCaller(caller);
    await this.deps.limits.client({ caller: limited, correlationId });
    const { identity, device } = await this.deps.kerberos.authenticate(
      authorization,
      body,
      limited.source,
      correlationId,
    );
    await this.deps.limits.logon({ caller: limited, login: identity.user.login, correlationId });
    const session = await this.deps.kerberos.logOn(identity, device, correlationId);
    return { session, response: identity.response };
  }

  /** The proof is in the body on both transports: it signs the token, which the renewal replaces. */
  async renewSession(body: unknown, caller: Caller, correlationId: string): Promise<RenewSessionResponse> {
    const limited = limitedCaller(caller);
    await this.deps.limits.client({ caller: limited, correlationId });
    const proven = this.deps.renewals.prove(body, caller.transport);
    await this.deps.limits.user({ caller: limited, login: proven.claims.login, correlationId });
    return this.deps.renewals.renew(proven, correlationId);
  }

  /** `features`: what the agent said it understands (AGENT_FEATURES_HEADER). */
  async sync(
    token: string | undefined,
    body: unknown,
    caller: Caller,
    correlationId: string,
    features: AgentFeatures = {},
  ): Promise<SyncResponse> {
    const claims = await this.signedSession(token, caller, correlationId);
    const effective = await this.deps.sessions.policyFor(claims, correlationId);
    const session = { claims, policy: effective.policy };
    return this.deps.syncs.sync(session, body, correlationId, features);
  }

  /** The settled check of a steady sync (HTTP only, as the agent's AMQP client always sends its manifest). */
  async checkSync(
    token: string | undefined,
    body: unknown,
    caller: Caller,
    correlationId: string,
  ): Promise<SyncCheckResponse> {
    const claims = await this.signedSession(token, caller, correlationId);
    const effective = await this.deps.sessions.policyFor(claims, correlationId);
    return this.deps.syncs.check({ claims, policy: effective.policy }, body, correlationId);
  }

  async policy(token: string | undefined, caller: Caller, correlationId: string): Promise<PolicyResponse> {
    const limited = limitedCaller(caller);
    await this.deps.limits.client({ caller: limited, correlationId });
    const claims = this.deps.sessions.authenticate(token, caller.transport);
    await this.deps.limits.user({ caller: limited, login: claims.login, correlationId });
    return this.deps.sessions.policyFor(claims, correlationId);
  }

  async reportEvent(
    token: string | undefined,
    body: unknown,
    caller: Caller,
    correlationId: string,
  ): Promise<WorkstationEventResponse> {
    const claims = await this.signedSession(token, caller, correlationId);
    return this.deps.workstationEvents.report(claims, body, correlationId);
  }

  /** Over HTTP only: a long poll holds a connection, which the broker ingress has no use for. */
  async waitForChange(
    token: string | undefined,
    body: unknown,
    caller: Caller,
    signal: AbortSignal,
    correlationId: string,
  ): Promise<ChangeNotice> {
    const claims = await this.signedSession(token, caller, correlationId);
    return this.deps.changes.wait(claims, body, signal);
  }

  /** A live session, its AMQP message signed by its device key, within the caller's and the user's rates. */
  private async signedSession(
    token: string | undefined,
    caller: Caller,
    correlationId: string,
  ): Promise<SessionClaims> {
    const limited = limitedCaller(caller);
    await this.deps.limits.client({ caller: limited, correlationId });
    const claims = this.deps.sessions.authenticate(token, caller.transport);
    if (caller.transport === 'amqp') this.deps.proofs.verify(claims, caller.proof, this.deps.clock.now());
    await this.deps.limits.user({ caller: limited, login: claims.login, correlationId });
    return claims;
  }
}

function limitedCaller(caller: Caller): LimitedCaller {
  return caller.transport === 'http'
    ? { transport: 'http', source: caller.clientAddress }
    : { transport: 'amqp', source: AMQP_INGRESS_SOURCE };
}

/** The bearer token of an Authorization header, or undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const match = /^Bearer ([^\s]+)$/i.exec(header.trim());
  if (!match)
    throw new RoamingError('UNAUTHENTICATED', 'the Authorization header must be "Bearer <session token>"');
  return match[1];
}
