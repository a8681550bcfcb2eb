import {
  Injectable,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  type Provider,
} from '@nestjs/common';
import { EventPublisher, rpcClientToken, type AmqpConfig, type RpcClient } from '@credroam/messaging';
import { AgentService } from './agent/agent.service';
import { type LogonEventsConfig } from './config/logon-events.config';
import { IngressConsumer } from './ingress/ingress.consumer';
import { CLOCK, CRYPTO_REPOSITORY, DIRECTORY_REPOSITORY, LOG_SINK } from './logon.tokens';
import { TokenBucketLimiter } from './rate-limit/token-bucket.limiter';
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
import { PolicyCache } from './sessions/policy.cache';
import { SessionRenewalService } from './sessions/session-renewal.service';
import { SessionTokenSigner } from './sessions/session-token';
import { LogonFailureMonitor } from './sessions/logon-failure.monitor';
import { SessionsService } from './sessions/sessions.service';
import { SyncService } from './sync/sync.service';
import { WorkstationEventsService } from './workstation/workstation-events.service';

/**
 * logon-events' use-cases, one provider each, over its repositories: the two services' RPC queues (every call for a
 * user's secrets granted) and the confirmed event publisher.
 */
export function logonProviders(config: LogonEventsConfig, amqp: AmqpConfig, log: LogSink): Provider[] {
  const granted = (rpc: RpcClient) => new GrantedRpcClient(rpc, config.grants);
  // Shared by logon, renewal and sync: one key, one policy cache, one memory of device proofs seen.
  const signer = new SessionTokenSigner(config.sessionKey);
  const policies = new PolicyCache(config.policyCacheMs);
  const proofs = new DeviceProofVerifier();
  return [
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
            failures: new LogonFailureMonitor(config.logonFailures),
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
      provide: AgentService,
      inject: [SessionsService, SessionRenewalService, SyncService, WorkstationEventsService, CLOCK],
      useFactory: (
        sessions: SessionsService,
        renewals: SessionRenewalService,
        syncs: SyncService,
        workstationEvents: WorkstationEventsService,
        clock: Clock,
      ) =>
        new AgentService({
          sessions,
          renewals,
          syncs,
          workstationEvents,
          proofs,
          clock,
          userLimiter: new TokenBucketLimiter('per user', config.userRate),
          clientLimiter: new TokenBucketLimiter('per client', config.clientRate),
        }),
    },
    ...(config.amqpIngress ? ingressProviders(amqp) : []),
  ];
}

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
