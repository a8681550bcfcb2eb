import { RPC_CONTRACTS, type RpcPattern, type RpcService } from '@credroam/roaming';
import { ServerRMQ, type CustomStrategy, type RmqContext } from '@nestjs/microservices';
import type { Channel, Options } from 'amqplib';
import type { ChannelWrapper } from 'amqp-connection-manager';
import type { AmqpConfig } from '../amqp.config';
import { defaultMessagingLogger, errorFields, type MessagingLogger } from '../messaging.logger';
import { ADMIN_CLI_PATTERNS, amqpNames, EXCHANGE_OPTIONS } from '../amqp-topology';
import { withTimeout } from '../timeout';
import { rpcServerOptions, type RmqTransportOptions } from './rpc-transport.options';

/** An exchange whose `patterns` (routing keys) reach this server's queue too. */
export interface RpcServerRoutes {
  exchange: string;
  patterns: readonly RpcPattern[];
}

/** How long close() lets replies already computed reach the broker. */
const REPLY_DRAIN_MS = 5_000;

/**
 * Nest's RMQ server with a graceful shutdown. The stock ServerRMQ sends each reply without awaiting it, on a
 * confirm channel; closing the server while confirms are in flight rejects those sends, and the rejections go
 * unhandled (fatal by default in Node). This server awaits its replies (logging a failed one) and lets them
 * drain before it closes, within bounds.
 */
export class RpcServer extends ServerRMQ {
  private readonly replies = new Set<Promise<void>>();
  private readonly log: MessagingLogger;

  constructor(
    options: RmqTransportOptions['options'],
    logger?: MessagingLogger,
    private readonly routes: RpcServerRoutes | null = null,
  ) {
    super(options);
    this.log = logger ?? defaultMessagingLogger();
  }

  /** Binds the queue to the admin exchange (at every (re)connection: the binding may have gone with the queue). */
  override async setupChannel(channel: Channel, callback: () => void): Promise<void> {
    if (this.routes) {
      const { exchange, patterns } = this.routes;
      await channel.assertQueue(this.queue, this.queueOptions as Options.AssertQueue);
      await channel.assertExchange(exchange, 'direct', EXCHANGE_OPTIONS);
      for (const pattern of patterns) await channel.bindQueue(this.queue, exchange, pattern);
    }
    return super.setupChannel(channel, callback);
  }

  override sendMessage<T = unknown>(
    message: T,
    replyTo: string,
    correlationId: string,
    context: RmqContext,
  ): void {
    // As ServerRMQ does: the serializer may attach AMQP options (an RmqRecord) next to the body.
    const { options, ...body } = this.serializer.serialize(message as never) as { options?: Options.Publish };
    this.onProcessingEndHook?.(this.transportId, context);
    const channel = this.channel as ChannelWrapper | null;
    if (!channel) return;
    const reply = channel
      .sendToQueue(replyTo, Buffer.from(JSON.stringify(body)), { correlationId, ...options })
      .then(
        () => undefined,
        (error: unknown) =>
          this.log.warn({ pattern: context.getPattern(), ...errorFields(error) }, 'rpc reply not sent'),
      );
    this.replies.add(reply);
    void reply.finally(() => this.replies.delete(reply));
  }

  override async close(): Promise<void> {
    if (this.replies.size > 0) {
      await withTimeout(Promise.allSettled([...this.replies]), REPLY_DRAIN_MS).catch(() => undefined);
    }
    // Bounded for the same reason as closeConnection(): amqp-connection-manager may otherwise wait forever.
    await withTimeout(super.close(), 5_000).catch((error: unknown) =>
      this.log.warn({ ...errorFields(error) }, 'the rpc server did not close cleanly'),
    );
  }
}

/**
 * The recommended way to serve RPC: `NestFactory.createMicroservice(Module, rpcServer(config, 'token-crypto'))`.
 * Same transport settings as rpcServerOptions() (manual acks, bounded prefetch, noDelay), plus RpcServer's
 * graceful shutdown; a service that answers some of the ADMIN_CLI_PATTERNS also takes them off the admin exchange.
 */
export function rpcServer(
  config: AmqpConfig,
  service: RpcService,
  options: { logger?: MessagingLogger } = {},
): CustomStrategy {
  const patterns = ADMIN_CLI_PATTERNS.filter((pattern) => RPC_CONTRACTS[pattern].service === service);
  const routes =
    patterns.length > 0 ? { exchange: amqpNames(config.namespace).adminExchange, patterns } : null;
  return { strategy: new RpcServer(rpcServerOptions(config, service).options, options.logger, routes) };
}
