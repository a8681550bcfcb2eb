import {
  AMQP_INGRESS_SOURCE,
  RoamingError,
  type CreateSessionResponse,
  type PolicyResponse,
  type SyncResponse,
} from '@credroam/roaming';
import { type Clock } from '../repositories/logon.repositories';
import { type TokenBucketLimiter } from '../rate-limit/token-bucket.limiter';
import { type DeviceProof, type DeviceProofVerifier } from '../sessions/device-proof.verifier';
import { type SessionsService } from '../sessions/sessions.service';
import { type SyncService } from '../sync/sync.service';

/**
 * Who is calling, as far as the transport knows: the client address over HTTP; over AMQP no address, but the
 * device proof the message carried (null when it carried none).
 */
export type Caller =
  { transport: 'http'; clientAddress: string } | { transport: 'amqp'; proof: DeviceProof | null };

export interface AgentDependencies {
  sessions: SessionsService;
  syncs: SyncService;
  proofs: DeviceProofVerifier;
  clock: Clock;
  userLimiter: TokenBucketLimiter;
  clientLimiter: TokenBucketLimiter;
}

/**
 * The agent protocol as use-cases, shared by the HTTP controller and the AMQP ingress: both validate the same
 * way, rate-limit the same way and get the same answers. The user always comes from the session token.
 */
export class AgentService {
  constructor(private readonly deps: AgentDependencies) {}

  async createSession(body: unknown, caller: Caller, correlationId: string): Promise<CreateSessionResponse> {
    this.limitClient(caller);
    const login = typeof body === 'object' && body !== null ? (body as { user?: unknown }).user : undefined;
    if (typeof login === 'string')
      this.deps.userLimiter.take(`user:${login.toLowerCase()}`, this.deps.clock.now());
    const source = caller.transport === 'http' ? caller.clientAddress : AMQP_INGRESS_SOURCE;
    return this.deps.sessions.createSession(body, { transport: caller.transport, source }, correlationId);
  }

  async sync(
    token: string | undefined,
    body: unknown,
    caller: Caller,
    correlationId: string,
  ): Promise<SyncResponse> {
    this.limitClient(caller);
    const claims = this.deps.sessions.authenticate(token, caller.transport);
    if (caller.transport === 'amqp') this.deps.proofs.verify(claims, caller.proof, this.deps.clock.now());
    this.deps.userLimiter.take(`user:${claims.login.toLowerCase()}`, this.deps.clock.now());
    const effective = await this.deps.sessions.policyFor(claims, correlationId);
    return this.deps.syncs.sync({ claims, policy: effective.policy }, body, correlationId);
  }

  async policy(token: string | undefined, caller: Caller, correlationId: string): Promise<PolicyResponse> {
    this.limitClient(caller);
    const claims = this.deps.sessions.authenticate(token, caller.transport);
    this.deps.userLimiter.take(`user:${claims.login.toLowerCase()}`, this.deps.clock.now());
    return this.deps.sessions.policyFor(claims, correlationId);
  }

  private limitClient(caller: Caller): void {
    if (caller.transport === 'http') {
      this.deps.clientLimiter.take(`client:${caller.clientAddress}`, this.deps.clock.now());
    }
  }
}

/** The bearer token of an Authorization header, or undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const match = /^Bearer ([^\s]+)$/i.exec(header.trim());
  if (!match)
    throw new RoamingError('UNAUTHENTICATED', 'the Authorization header must be "Bearer <session token>"');
  return match[1];
}
