import {
  parseWith,
  renewalProofMessage,
  renewSessionRequestSchema,
  RoamingError,
  unwrap,
  type ErrorCode,
  type Policy,
  type RenewalRefusal,
  type RenewSessionResponse,
} from '@credroam/roaming';
import { EventFactory } from '../events/event.factory';
import {
  type Clock,
  type DirectoryRepository,
  type EventSink,
  type LogSink,
} from '../repositories/logon.repositories';
import { type DeviceProofVerifier } from './device-proof.verifier';
import { type PolicyCache } from './policy.cache';
import { checkTransport, granteeOf, type SessionClaims, type SessionTokenSigner } from './session-token';
import { type Transport } from './sessions.service';

const HOUR_MS = 3_600_000;

/** Until when a session may be renewed without the password: policy `sessionRenewalHours` after its logon. */
export function renewableUntil(claims: Pick<SessionClaims, 'authAt'>, policy: Policy): number {
  return claims.authAt + policy.sessionRenewalHours * HOUR_MS;
}

export interface SessionRenewalDependencies {
  directory: DirectoryRepository;
  events: EventSink;
  clock: Clock;
  signer: SessionTokenSigner;
  policies: PolicyCache;
  proofs: DeviceProofVerifier;
  log: LogSink;
}

/** A renewal request whose token is genuine and whose device proof holds: whom it is for, not yet granted. */
export interface ProvenRenewal {
  claims: SessionClaims;
}

const REFUSALS: Record<RenewalRefusal, { code: ErrorCode; message: string }> = {
  missing: {
    code: 'UNAUTHENTICATED',
    message: 'the session was not renewed: the account no longer exists in the directory',
  },
  disabled: { code: 'UNAUTHENTICATED', message: 'the session was not renewed: the account is disabled' },
  locked: { code: 'UNAUTHENTICATED', message: 'the session was not renewed: the account is locked' },
  'password-changed': {
    code: 'UNAUTHENTICATED',
    message: "the session was not renewed: the password was changed since this session's logon",
  },
  'renewal-window-over': {
    code: 'SESSION_EXPIRED',
    message:
      'the session was not renewed: the password logon is older than policy sessionRenewalHours allows',
  },
};

/**
 * Sessions that outlive the password (issue 14): the device key registered at the password logon renews a session,
 * expired or not, as long as the directory account is still usable and the logon is recent enough for policy. The
 * new session keeps the logon time, so renewals never extend the window.
 */
export class SessionRenewalService {
  private readonly factory: EventFactory;

  constructor(
    private readonly deps: SessionRenewalDependencies,
    private readonly settings: { sessionLifetimeMs: number },
  ) {
    this.factory = new EventFactory(deps.clock);
  }

  /** The token must be ours (expired is fine), on its transport, and the proof fresh, unseen and by its device key. */
  prove(body: unknown, transport: Transport): ProvenRenewal {
    const request = unwrap(parseWith(renewSessionRequestSchema, body, 'INVALID_INPUT'));
    const claims = this.deps.signer.verifyGenuine(request.sessionToken);
    checkTransport(claims, transport);
    this.deps.proofs.verify(
      claims,
      { message: renewalProofMessage(request.sessionToken), ...request.proof },
      this.deps.clock.now(),
    );
    return { claims };
  }

  async renew({ claims }: ProvenRenewal, correlationId: string): Promise<RenewSessionResponse> {
    const { directory, signer, policies, clock } = this.deps;
    const authenticatedAt = new Date(claims.authAt).toISOString();
    const account = await directory.checkAccount(
      { login: claims.login, stableId: claims.stableId, dn: claims.dn, authenticatedAt },
      granteeOf(claims),
      correlationId,
    );
    if (account.status !== 'usable' || account.user === null) {
      return this.refuse(claims, account.status === 'usable' ? 'missing' : account.status, correlationId);
    }
    const { user } = account;
    const policy = await directory.resolvePolicy({ userDn: user.dn, groups: user.groups }, correlationId);
    const now = clock.now();
    const until = renewableUntil(claims, policy.policy);
    if (now >= until) return this.refuse(claims, 'renewal-window-over', correlationId);

    const renewed: SessionClaims = {
      ...claims,
      login: user.login,
      dn: user.dn,
      exp: Math.min(now + this.settings.sessionLifetimeMs, until),
    };
    policies.remember(renewed, policy, now);
    const expiresAt = new Date(renewed.exp).toISOString();
    const renewableUntilIso = new Date(until).toISOString();
    await this.publish(
      this.factory.event('session.renewed', {
        correlationId,
        user: renewed.login,
        machine: renewed.machine,
        payload: { transport: renewed.transport, expiresAt, renewableUntil: renewableUntilIso },
      }),
    );
    this.deps.log.info(
      { correlationId, user: renewed.login, machine: renewed.machine, expiresAt },
      'session renewed',
    );
    return { sessionToken: signer.sign(renewed), expiresAt, renewableUntil: renewableUntilIso, policy };
  }

  private async refuse(claims: SessionClaims, reason: RenewalRefusal, correlationId: string): Promise<never> {
    await this.publish(
      this.factory.event('session.renewal-refused', {
        correlationId,
        user: claims.login,
        machine: claims.machine,
        payload: {
          transport: claims.transport,
          reason,
          authenticatedAt: new Date(claims.authAt).toISOString(),
        },
      }),
    );
    this.deps.log.warn(
      { correlationId, user: claims.login, machine: claims.machine, reason },
      'session renewal refused',
    );
    const refusal = REFUSALS[reason];
    throw new RoamingError(refusal.code, `${refusal.message}; log on again with the password`);
  }

  private async publish(event: Parameters<EventSink['publishAll']>[0][number]): Promise<void> {
    try {
      await this.deps.events.publishAll([event]);
    } catch (error) {
      // The answer stands; a lost event is logged, not turned into a failed renewal.
      this.deps.log.error({ err: (error as Error).message }, 'events not published');
    }
  }
}
