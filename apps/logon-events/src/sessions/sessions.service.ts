import { sealServiceSecret } from '@credroam/sealing';
import {
  amqpCreateSessionRequestSchema,
  createSessionRequestSchema,
  parseWith,
  RoamingError,
  unwrap,
  type CreateSessionResponse,
  type DirectoryUser,
} from '@credroam/roaming';
import { EventFactory } from '../events/event.factory';
import {
  type Clock,
  type CryptoPort,
  type DirectoryPort,
  type EventSink,
  type LogSink,
} from '../ports/logon.ports';
import { SessionCache, type EffectivePolicyWire } from './session.cache';
import { deviceKeyHash, SessionTokenSigner, type SessionClaims } from './session-token';

export type Transport = 'http' | 'amqp';

export interface SessionsSettings {
  serviceChannelKey: Buffer;
  sessionLifetimeMs: number;
}

export interface SessionsDependencies {
  directory: DirectoryPort;
  crypto: CryptoPort;
  events: EventSink;
  clock: Clock;
  signer: SessionTokenSigner;
  cache: SessionCache;
  log: LogSink;
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
    transport: Transport,
    correlationId: string,
  ): Promise<CreateSessionResponse> {
    const schema = transport === 'http' ? createSessionRequestSchema : amqpCreateSessionRequestSchema;
    const request = unwrap(parseWith(schema, body, 'INVALID_INPUT'));
    const { directory, crypto, clock, signer, cache } = this.deps;
    const password = 'password' in request ? request.password : undefined;
    if (password === undefined) {
      // A password sealed to the transport certificate must be opened by token-crypto and re-sealed for the
      // gateway; token-crypto has no RPC for that yet, so it is refused by name instead of failing obscurely.
      throw new RoamingError(
        'INVALID_INPUT',
        'sealedPassword is not supported yet: token-crypto cannot re-seal it for the directory gateway; send password over HTTPS',
        { unsupported: 'sealedPassword' },
      );
    }
    const sealed = unwrap(
      sealServiceSecret(
        this.settings.serviceChannelKey,
        `verify-password:${request.user}`,
        Buffer.from(password, 'utf8'),
      ),
    );
    const { user } = await directory
      .verifyPassword({ login: request.user, sealedPassword: sealed.toString('base64') }, correlationId)
      .catch((error: unknown) => {
        // One answer for an unknown login and a wrong password, so logins cannot be probed.
        if (
          error instanceof RoamingError &&
          (error.code === 'USER_NOT_FOUND' || error.code === 'INVALID_CREDENTIALS')
        ) {
          throw new RoamingError('INVALID_CREDENTIALS', 'wrong user name or password');
        }
        throw error;
      });
    const [certificate, policy, hashKey] = await Promise.all([
      crypto.transportCertificate(correlationId),
      directory.resolvePolicy({ userDn: user.dn, groups: user.groups }, correlationId),
      crypto.sealForDevice(
        {
          user: { stableId: user.stableId, login: user.login },
          devicePublicKey: request.devicePublicKey,
          items: [],
          includeHashKey: true,
        },
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
      machine: request.machine,
      deviceKeyHash: deviceKeyHash(request.devicePublicKey),
      exp: now + this.settings.sessionLifetimeMs,
    };
    cache.register(claims, request.devicePublicKey, policy, now);
    const expiresAt = new Date(claims.exp).toISOString();
    await this.publish([
      this.factory.event('session.opened', {
        correlationId,
        user: user.login,
        machine: request.machine,
        payload: { transport, agentVersion: request.agentVersion, expiresAt },
      }),
    ]);
    this.deps.log.info(
      { correlationId, user: user.login, machine: request.machine, transport },
      'session opened',
    );
    return {
      sessionToken: signer.sign(claims),
      expiresAt,
      transportCertificatePem: certificate.certificatePem,
      policy,
      hashKeyEnvelope: hashKey.hashKeyEnvelope,
    };
  }

  /** The session behind a bearer token; the user is always taken from here, never from a request body. */
  authenticate(token: string | undefined): SessionClaims {
    if (!token)
      throw new RoamingError('UNAUTHENTICATED', 'a session token is required (Authorization: Bearer …)');
    return this.deps.signer.verify(token, this.deps.clock.now());
  }

  /** The session's effective policy: cached at logon, resolved again on a replica that did not see the logon. */
  async policyFor(session: SessionClaims, correlationId: string): Promise<EffectivePolicyWire> {
    const now = this.deps.clock.now();
    const cached = this.deps.cache.policy(session, now);
    if (cached) return cached;
    const { user } = await this.deps.directory.lookupUser(session.login, correlationId);
    checkSameUser(session, user);
    const policy = await this.deps.directory.resolvePolicy(
      { userDn: user.dn, groups: user.groups },
      correlationId,
    );
    this.deps.cache.rememberPolicy(session, policy, now);
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
