import { type AmqpConfig, type RpcClient } from '@credroam/messaging';
import { AgentService } from './agent/agent.service';
import { type LogonEventsConfig } from './config/logon-events.config';
import { IngressConsumer } from './ingress/ingress.consumer';
import { GrantedRpcClient } from './ports/granted-rpc.client';
import { systemClock, type EventSink, type LogSink } from './ports/logon.ports';
import { RpcCryptoAdapter } from './ports/rpc-crypto.adapter';
import { RpcDirectoryAdapter } from './ports/rpc-directory.adapter';
import { TokenBucketLimiter } from './rate-limit/token-bucket.limiter';
import { DeviceProofVerifier } from './sessions/device-proof.verifier';
import { PolicyCache } from './sessions/policy.cache';
import { SessionTokenSigner } from './sessions/session-token';
import { SessionsService } from './sessions/sessions.service';
import { SyncService } from './sync/sync.service';

export interface LogonServices {
  agent: AgentService;
  ingress: IngressConsumer | null;
}

/** Wires the use-cases to the real ports: RPC clients for the two services, the confirmed event publisher. */
export function createLogonServices(
  config: LogonEventsConfig,
  amqp: AmqpConfig,
  clients: { directory: RpcClient; crypto: RpcClient },
  events: EventSink,
  log: LogSink,
): LogonServices {
  const directory = new RpcDirectoryAdapter(new GrantedRpcClient(clients.directory, config.grants));
  const crypto = new RpcCryptoAdapter(new GrantedRpcClient(clients.crypto, config.grants));
  const clock = systemClock;
  const sessions = new SessionsService(
    {
      directory,
      crypto,
      events,
      clock,
      signer: new SessionTokenSigner(config.sessionKey),
      policies: new PolicyCache(),
      log,
    },
    { serviceChannelKey: config.serviceChannelKey, sessionLifetimeMs: config.sessionLifetimeMs },
  );
  const syncs = new SyncService({ directory, crypto, events, clock, log }, config.sync);
  const agent = new AgentService({
    sessions,
    syncs,
    proofs: new DeviceProofVerifier(),
    clock,
    userLimiter: new TokenBucketLimiter('per user', config.userRate),
    clientLimiter: new TokenBucketLimiter('per client', config.clientRate),
  });
  return {
    agent,
    ingress: config.amqpIngress ? new IngressConsumer(amqp, agent, crypto, log) : null,
  };
}
