import { createHash } from 'node:crypto';
import { type Grantee } from '@credroam/grants';
import { sealServiceSecret } from '@credroam/sealing';
import {
  AMQP_INGRESS_SOURCE,
  amqpCreateSessionRequestSchema,
  createSessionRequestSchema,
  parseWith,
  RoamingError,
  unwrap,
  type AmqpCreateSessionRequest,
  type CreateSessionRequest,
  type CreateSessionResponse,
  type DirectoryUser,
  type LOGON_FAILURE_REASONS,
  type LOGON_METHODS,
  type RoamingEvent,
} from '@credroam/roaming';
import { EventFactory } from '../events/event.factory';
import {
  type Clock,
  type CryptoRepository,
  type DirectoryRepository,
  type EventSink,
  type LogSink,
} from '../repositories/logon.repositories';
import { type LogonFailureMonitor } from './logon-failure.monitor';
import { type ReplayMemory } from './replay-memory';
import { PolicyCache, type EffectivePolicyWire } from './policy.cache';
import { renewableUntil } from './session-renewal.service';
import { checkTransport, SessionTokenSigner, type SessionClaims } from './session-token';

export type Transport = 'http' | 'amqp';
export type LogonMethod = (typeof LOGON_METHODS)[number];

/** The device a logon registers: its key pair's public half, and what the session and events name it by. */
export type LogonDevice = Pick<CreateSessionRequest, 'machine' | 'devicePublicKey' | 'agentVersion'>;

/** Where a logon came from: its transport, and the client address over HTTP (the ingress over AMQP). */
export interface LogonOrigin {
  transport: Transport;
  /** An IP address, or AMQP_INGRESS_SOURCE. */
  source: string;
}

export interface SessionsSettings {
  serviceChannelKey: Buffer;
  sessionLifetimeMs: number;
}

export interface SessionsDependencies {
  directory: DirectoryRepository;
  crypto: CryptoRepository;
  events: EventSink;
  clock: Clock;
  signer: SessionTokenSigner;
  policies: PolicyCache;
  log: LogSink;
  failures: LogonFailureMonitor;
  /** The sealed passwords this replica has accepted, while they are fresh: a second use is a replay. */
  sealedPasswords: ReplayMemory;
}

/** The logon use-case: authenticate, register the device key, hand out token, certificate, policy and hash key. */
export class SessionsService {
  private readonly factory: EventFactory;

  constructor(
    private readonly deps: SessionsDependencies,
    private readonly settings: SessionsSettings,
  ) {
    this.factory = new EventFactory(deps.clock);
  }

  async createSession(
    body: unknown,
    origin: LogonOrigin,
    correlationId: string,
  ): Promise<CreateSessionResponse> {
    const { transport } = origin;
    const schema = transport === 'http' ? createSessionRequestSchema : amqpCreateSessionRequestSchema;
    const request = unwrap(parseWith(schema, body, 'INVALID_INPUT'));
    const { directory } = this.deps;
    // Before the password is checked, grants cover this logon attempt only: its login and device.
    const attempt = {
      login: request.user,
      stableId: null,
      dn: null,
      devicePublicKey: request.devicePublicKey,
    };
    const sealedPassword = await this.sealForGateway(request, attempt, correlationId);
    const { user } = await directory
      .verifyPassword({ login: request.user, sealedPassword }, attempt, correlationId)
      .catch(async (error: unknown) => {
        // One answer for an unknown login and a wrong password, so logins cannot be probed.
        if (
          error instanceof RoamingError &&
          (error.code === 'USER_NOT_FOUND' || error.code === 'INVALID_CREDENTIALS')
        ) {
          // Reporting must not change the answer: a failure to report is logged, the logon still refused.
          await this.logonFailed(request, origin, error.code, correlationId).catch((failure: unknown) =>
            this.deps.log.error(
              { correlationId, err: (failure as Error).message },
              'failed logon not reported',
            ),
          );
          throw new RoamingError('INVALID_CREDENTIALS', 'wrong user name or password');
        }
        throw error;
      });
    return this.openSession(user, request, transport, 'password', correlationId);
  }

  /**
   * The session of an authenticated user (by password, or by Kerberos ticket in KerberosLogonService): registers
   * the device key (the hash key sealed to it), resolves the policy, signs the token, publishes session.opened.
   */
  async openSession(
    user: DirectoryUser,
    device: LogonDevice,
    transport: Transport,
    method: LogonMethod,
    correlationId: string,
  ): Promise<CreateSessionResponse> {
    const { directory, crypto, clock, signer, policies } = this.deps;
    const [certificate, policy, hashKey] = await Promise.all([
      crypto.transportCertificate(correlationId),
      directory.resolvePolicy({ userDn: user.dn, groups: user.groups }, correlationId),
      crypto.sealForDevice(
        {
          user: { stableId: user.stableId, login: user.login },
          devicePublicKey: device.devicePublicKey,
          items: [],
          includeHashKey: true,
        },
        { login: user.login, stableId: user.stableId, dn: user.dn, devicePublicKey: device.devicePublicKey },
        correlationId,
      ),
    ]);
    if (hashKey.hashKeyEnvelope === null) {
      throw new RoamingError('INTERNAL', 'token-crypto returned no hash key envelope');
    }
    const now = clock.now();
    const claims: SessionClaims = {
      login: user.login,
      dn: user.dn,
      stableId: user.stableId,
      machine: device.machine,
      devicePublicKey: device.devicePublicKey,
      transport,
      authAt: now,
      exp: now + this.settings.sessionLifetimeMs,
    };
    policies.remember(claims, policy, now);
    const expiresAt = new Date(claims.exp).toISOString();
    await this.publish([
      this.factory.event('session.opened', {
        correlationId,
        user: user.login,
        machine: device.machine,
        payload: { transport, agentVersion: device.agentVersion, expiresAt, method },
      }),
    ]);
    this.deps.log.info(
      { correlationId, user: user.login, machine: device.machine, transport, method },
      'session opened',
    );
    return {
      sessionToken: signer.sign(claims),
      expiresAt,
      renewableUntil: new Date(renewableUntil(claims, policy.policy)).toISOString(),
      transportCertificatePem: certificate.certificatePem,
      policy,
      hashKeyEnvelope: hashKey.hashKeyEnvelope,
    };
  }

  /**
   * Publishes logon.failed (the login as typed, already validated as a login name; never the password), and
   * logon.failures-exceeded when this failure takes its user or its source over the threshold.
   */
  private async logonFailed(
    request: CreateSessionRequest | AmqpCreateSessionRequest,
    origin: LogonOrigin,
    reason: (typeof LOGON_FAILURE_REASONS)[number],
    correlationId: string,
  ): Promise<void> {
    const source = origin.transport === 'amqp' ? AMQP_INGRESS_SOURCE : origin.source;
    const failed = this.factory.event('logon.failed', {
      correlationId,
      user: request.user,
      machine: request.machine,
      payload: { reason, transport: origin.transport, source },
    });
    this.deps.log.warn({ correlationId, user: request.user, source, reason }, 'logon failed');
    await this.reportFailure(failed, request.user, origin, correlationId);
  }

  /**
   * Publishes a failed logon's event (logon.failed, logon.kerberos-refused), and logon.failures-exceeded when this
   * failure takes its user (when known) or its source over the threshold.
   */
  async reportFailure(
    failed: RoamingEvent,
    user: string | null,
    origin: LogonOrigin,
    correlationId: string,
  ): Promise<void> {
    const { threshold, windowMs } = this.deps.failures.thresholds;
    const source = origin.transport === 'amqp' ? AMQP_INGRESS_SOURCE : origin.source;
    const events: RoamingEvent[] = [failed];
    const alert = (scope: 'user' | 'source', failures: number | null) => {
      if (failures === null) return;
      events.push(
        this.factory.event('logon.failures-exceeded', {
          correlationId,
          user: scope === 'user' ? user : null,
          machine: null,
          payload: {
            scope,
            source: scope === 'source' ? source : null,
            failures,
            threshold,
            windowSeconds: Math.ceil(windowMs / 1000),
          },
        }),
      );
    };
    if (user !== null) alert('user', await this.deps.failures.record(`user:${user.toLowerCase()}`));
    // Every AMQP logon shares the ingress as its source: counting them together would only lock out everyone.
    if (origin.transport === 'http') alert('source', await this.deps.failures.record(`source:${source}`));
    await this.publish(events);
  }

  /**
   * The password sealed under the service channel key for the gateway's bind: sealed here when it came in clear
   * (HTTPS), re-sealed by token-crypto when the agent sealed it to the transport certificate (always over AMQP).
   */
  private async sealForGateway(
    request: CreateSessionRequest | AmqpCreateSessionRequest,
    attempt: Grantee,
    correlationId: string,
  ): Promise<string> {
    if (request.sealedPassword !== undefined) {
      const resealed = await this.deps.crypto.resealPassword(
        {
          login: request.user,
          devicePublicKey: request.devicePublicKey,
          sealedPassword: request.sealedPassword,
        },
        attempt,
        correlationId,
      );
      // The binding keeps a sealed password good for INGRESS_FRESHNESS_MS either side of its making, and whoever
      // reads the broker sees it: its first use spends it, so a copy cannot log the same device on again.
      const now = this.deps.clock.now();
      const digest = createHash('sha256').update(request.sealedPassword).digest('base64');
      if (this.deps.sealedPasswords.seenBefore(digest, now, now)) {
        throw new RoamingError('UNAUTHENTICATED', 'this sealed password was already used (a replay)');
      }
      return resealed.sealedPassword;
    }
    // The schemas require exactly one of the two forms, so the clear password is here.
    const password = Buffer.from('password' in request ? (request.password ?? '') : '', 'utf8');
    try {
      return unwrap(
        sealServiceSecret(this.settings.serviceChannelKey, `verify-password:${request.user}`, password),
      ).toString('base64');
    } finally {
      password.fill(0);
    }
  }

  /**
   * The session behind a bearer token; the user is always taken from here, never from a request body. A session
   * is accepted only on the transport it was opened on.
   */
  authenticate(token: string | undefined, transport: Transport): SessionClaims {
    if (!token)
      throw new RoamingError('UNAUTHENTICATED', 'a session token is required (Authorization: Bearer …)');
    const claims = this.deps.signer.verify(token, this.deps.clock.now());
    checkTransport(claims, transport);
    return claims;
  }

  /** The session's effective policy: cached at logon, resolved again on a replica that did not see the logon. */
  async policyFor(session: SessionClaims, correlationId: string): Promise<EffectivePolicyWire> {
    const now = this.deps.clock.now();
    const cached = this.deps.policies.get(session, now);
    if (cached) return cached;
    const { user } = await this.deps.directory.lookupUser(session.login, correlationId);
    checkSameUser(session, user);
    const policy = await this.deps.directory.resolvePolicy(
      { userDn: user.dn, groups: user.groups },
      correlationId,
    );
    this.deps.policies.remember(session, policy, now);
    return policy;
  }

  private async publish(events: Parameters<EventSink['publishAll']>[0]): Promise<void> {
    try {
      await this.deps.events.publishAll(events);
    } catch (error) {
      // The logon itself succeeded; a lost event is logged, not turned into a failed logon.
      this.deps.log.error({ err: (error as Error).message }, 'events not published');
    }
  }
}

function checkSameUser(session: SessionClaims, user: DirectoryUser): void {
  if (user.stableId !== session.stableId) {
    throw new RoamingError('UNAUTHENTICATED', 'the directory user of this session has changed; log on again');
  }
}
