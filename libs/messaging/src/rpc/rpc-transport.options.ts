import type { RpcService } from '@credroam/roaming';
import { Transport, type RmqOptions } from '@nestjs/microservices';
import { brokerUrls, type AmqpConfig } from '../amqp.config';
import { connectionOptions, DEFAULT_TUNING } from '../amqp.connection';
import { amqpNames, rpcQueueOptions } from '../amqp-topology';

export type RmqTransportOptions = RmqOptions & {
  transport: Transport.RMQ;
  options: NonNullable<RmqOptions['options']>;
};

function socketOptions(config: AmqpConfig, role: string) {
  return {
    // Nest reads exactly `socketOptions.connectionOptions` (a top-level `noDelay` is ignored), on both ends.
    connectionOptions: connectionOptions(config, role),
    heartbeatIntervalInSeconds: DEFAULT_TUNING.heartbeatSeconds,
    reconnectTimeInSeconds: DEFAULT_TUNING.reconnectDelayMs / 1000,
  };
}

/**
 * Options for `NestFactory.createMicroservice(Module, rpcServerOptions(config, 'directory-gateway'))`: every
 * replica consumes the service's durable queue with manual acknowledgements (Nest defaults to auto-ack) and a
 * bounded prefetch (Nest defaults to unlimited). Handlers acknowledge through RpcHandlerRunner.
 */
export function rpcServerOptions(config: AmqpConfig, service: RpcService): RmqTransportOptions {
  return {
    transport: Transport.RMQ,
    options: {
      urls: brokerUrls(config),
      queue: amqpNames(config.namespace).rpcQueues[service],
      queueOptions: rpcQueueOptions(config.queueType),
      noAck: false,
      prefetchCount: config.prefetch,
      socketOptions: socketOptions(config, `rpc-server:${service}`),
    },
  };
}

/**
 * How a client reaches the service: straight to its queue through the default exchange (services, whose broker
 * accounts may publish there), or through the admin exchange (the admin CLI, whose account may publish nowhere
 * else; broker-accounts.ts).
 */
export type RpcRoute = 'service-queue' | 'admin-exchange';

/**
 * Options for a ClientRMQ calling `service` (what RpcClient uses; also usable with ClientsModule). The queue is
 * asserted with the server's exact options, so whichever side starts first declares it and the other agrees.
 * Replies come over direct reply-to, which requires the client's default auto-ack: noAck stays unset here.
 */
export function rpcClientOptions(
  config: AmqpConfig,
  service: RpcService,
  route: RpcRoute = 'service-queue',
): RmqTransportOptions {
  const names = amqpNames(config.namespace);
  return {
    transport: Transport.RMQ,
    options: {
      urls: brokerUrls(config),
      queue: names.rpcQueues[service],
      queueOptions: rpcQueueOptions(config.queueType),
      // Nest's "wildcards" mode publishes to `exchange` with the pattern as routing key, and asserts that exchange
      // (the gateway declares and binds it too) instead of the queue, which the admin CLI may not declare.
      ...(route === 'admin-exchange'
        ? { wildcards: true, exchange: names.adminExchange, exchangeType: 'direct' as const }
        : {}),
      // A request outlives neither its caller's timeout (it carries a TTL) nor a broker restart.
      persistent: false,
      socketOptions: socketOptions(config, `rpc-client:${service}`),
    },
  };
}
