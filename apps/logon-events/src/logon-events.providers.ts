import {
  Injectable,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  type Provider,
} from '@nestjs/common';
import {
  EventPublisher,
  LiveEventFeed,
  rpcClientToken,
  type AmqpConfig,
  type RpcClient,
} from '@credroam/messaging';
import { watchChangeWaits } from '@credroam/observability';
import { type Logger } from '@credroam/platform';
import { INGRESS_FRESHNESS_MS } from '@credroam/roaming';
import { AgentService } from './agent/agent.service';
import { ChangeFeedLifecycle } from './changes/change-feed.lifecycle';
import { ChangeNotifier } from './changes/change-notifier';
import { ChangeWaitsService } from './changes/change-waits.service';
import { type LogonEventsConfig } from './config/logon-events.config';
import { IngressConsumer } from './ingress/ingress.consumer';
import { CLOCK, CRYPTO_REPOSITORY, DIRECTORY_REPOSITORY, LOG_SINK } from './logon.tokens';
import { RateLimitStore } from './rate-limit/rate-limit.store';
import { RateLimits } from './rate-limit/rate-limits';
import { GrantedRpcClient } from './repositories/granted-rpc.client';
import {
  systemClock,
  type Clock,
  type CryptoRepository,
  type DirectoryRepository,
  type LogSink,
} from './repositories/logon.repositories';
import { RpcCryptoRepository } from './repositories/rpc-crypto.repository';
import { RpcDirectoryRepository } from './repositories/rpc-directory.repository';
import { DeviceProofVerifier } from './sessions/device-proof.verifier';
import { ReplayMemory } from './sessions/replay-memory';
import { PolicyCache } from './sessions/policy.cache';
import { SessionRenewalService } from './sessions/session-renewal.service';
import { SessionTokenSigner } from './sessions/session-token';
import { LogonFailureMonitor } from './sessions/logon-failure.monitor';
import { SessionsService } from './sessions/sessions.service';
import { GssapiTicketAcceptor, KerberosLogonService } from './sessions/kerberos-logon.service';
import { SyncService } from './sync/sync.service';
import { WorkstationEventsService } from './workstation/workstation-events.service';

/**
 * logon-events' use-cases, one provider each, over its repositories: the two services' RPC queues (every call for a
 * user's secrets granted) and the confirmed event publisher.
 */
export function logonProviders(config: LogonEventsConfig, amqp: AmqpConfig, log: Logger): Provider[] {
  const granted = (rpc: RpcClient) => new GrantedRpcClient(rpc, config.grants);
  // Shared by logon, renewal and sync: one key, one policy cache, one memory of device proofs seen.
  const signer = new SessionTokenSigner(config.sessionKey);
  const policies = new PolicyCache(config.policyCacheMs);
  const proofs = new DeviceProofVerifier();
  const changes = new ChangeNotifier({ ...CHANGE_MEMORY, now: Date.now });
  watchChangeWaits(() => changes.waiting());
  const rateStore = new RateLimitStore(
    { redisUrl: config.rateLimitRedisUrl, namespace: amqp.namespace },
    log,
  );
  return [
    { provide: RateLimitStore, useValue: rateStore },
    RateLimitStoreLifecycle,
    { provide: CLOCK, useValue: systemClock },
    { provide: LOG_SINK, useValue: log },
    {
      provide: DIRECTORY_REPOSITORY,
      inject: [rpcClientToken('directory-gateway')],
      useFactory: (rpc: RpcClient) => new RpcDirectoryRepository(granted(rpc)),
    },
    {
      provide: CRYPTO_REPOSITORY,
      inject: [rpcClientToken('token-crypto')],
      useFactory: (rpc: RpcClient) => new RpcCryptoRepository(granted(rpc)),
    },
    overRepositories(
      SessionsService,
      (repositories) =>
        new SessionsService(
          {
            ...repositories,
            signer,
            policies,
            failures: new LogonFailureMonitor(config.logonFailures, rateStore),
            // A sealed password may have been made up to the freshness limit ahead of this clock, and stays good
            // that long after its making.
            sealedPasswords: new ReplayMemory(2 * INGRESS_FRESHNESS_MS),
          },
          { serviceChannelKey: config.serviceChannelKey, sessionLifetimeMs: config.sessionLifetimeMs },
        ),
    ),
    overRepositories(
      SessionRenewalService,
      (repositories) =>
        new SessionRenewalService(
          { ...repositories, signer, policies, proofs },
          { sessionLifetimeMs: config.sessionLifetimeMs },
        ),
    ),
    overRepositories(SyncService, (repositories) => new SyncService(repositories, config.sync)),
    overRepositories(WorkstationEventsService, (repositories) => new WorkstationEventsService(repositories)),
    {
      provide: KerberosLogonService,
      inject: [SessionsService, DIRECTORY_REPOSITORY, CLOCK, LOG_SINK],
      useFactory: (sessions: SessionsService, directory: DirectoryRepository, clock: Clock, sink: LogSink) =>
        new KerberosLogonService({
          sessions,
          directory,
          clock,
          log: sink,
          kerberos: config.kerberos && {
            settings: config.kerberos,
            acceptor: new GssapiTicketAcceptor(config.kerberos.keytab),
          },
        }),
    },
    {
      provide: AgentService,
      inject: [
        SessionsService,
        SessionRenewalService,
        SyncService,
        WorkstationEventsService,
        KerberosLogonService,
        CLOCK,
        EventPublisher,
      ],
      useFactory: (
        sessions: SessionsService,
        renewals: SessionRenewalService,
        syncs: SyncService,
        workstationEvents: WorkstationEventsService,
        kerberos: KerberosLogonService,
        clock: Clock,
        events: EventPublisher,
      ) =>
        new AgentService({
          sessions,
          kerberos,
          renewals,
          syncs,
          workstationEvents,
          changes: new ChangeWaitsService(changes),
          proofs,
          clock,
          limits: new RateLimits(config.rates, rateStore, { events, clock, log }),
        }),
    },
    {
      provide: ChangeFeedLifecycle,
      useFactory: () =>
        new ChangeFeedLifecycle(
          new LiveEventFeed(amqp, log, {
            name: 'logon-events.changes',
            bindings: ['directory.changed'],
            accept: 'catalog',
            maxLength: CHANGE_MEMORY.maxUsers,
          }),
          changes,
        ),
    },
    ...(config.amqpIngress ? ingressProviders(amqp) : []),
  ];
}

/**
 * A change is remembered for two minutes, for a workstation whose wait starts a moment after it; at most 100,000
 * users at once (a few MB), the oldest forgotten first: those workstations catch up at their next refresh.
 */
const CHANGE_MEMORY = { rememberMs: 120_000, maxUsers: 100_000 };

/** What the use-cases share: the directory and crypto repositories, the publisher, the clock and the log. */
interface Repositories {
  directory: DirectoryRepository;
  crypto: CryptoRepository;
  events: EventPublisher;
  clock: Clock;
  log: LogSink;
}

function overRepositories<T>(
  provide: new (...args: never[]) => T,
  build: (repositories: Repositories) => T,
): Provider {
  return {
    provide,
    inject: [DIRECTORY_REPOSITORY, CRYPTO_REPOSITORY, EventPublisher, CLOCK, LOG_SINK],
    useFactory: (
      directory: DirectoryRepository,
      crypto: CryptoRepository,
      events: EventPublisher,
      clock: Clock,
      log: LogSink,
    ) => build({ directory, crypto, events, clock, log }),
  };
}

function ingressProviders(amqp: AmqpConfig): Provider[] {
  return [
    {
      provide: IngressConsumer,
      inject: [AgentService, CRYPTO_REPOSITORY, LOG_SINK],
      useFactory: (agent: AgentService, crypto: CryptoRepository, log: LogSink) =>
        new IngressConsumer(amqp, agent, crypto, log),
    },
    IngressLifecycle,
  ];
}

/** Closes the Redis connection of the rate limits, if there is one, when the app stops. */
@Injectable()
class RateLimitStoreLifecycle implements OnApplicationShutdown {
  constructor(private readonly store: RateLimitStore) {}

  async onApplicationShutdown(): Promise<void> {
    await this.store.close();
  }
}

/** Starts consuming the AMQP ingress once the app is up, and stops before the connections close. */
@Injectable()
class IngressLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(private readonly ingress: IngressConsumer) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.ingress.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.ingress.stop();
  }
}
