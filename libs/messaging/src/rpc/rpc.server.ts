import type { RpcService } from '@credroam/roaming';
import { ServerRMQ, type CustomStrategy, type RmqContext } from '@nestjs/microservices';
import type { Options } from 'amqplib';
import type { ChannelWrapper } from 'amqp-connection-manager';
import type { AmqpConfig } from '../amqp.config';
import { defaultMessagingLogger, errorFields, type MessagingLogger } from '../messaging.logger';
import { withTimeout } from '../timeout';
import { rpcServerOptions, type RmqTransportOptions } from './rpc-transport.options';

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

  constructor(options: RmqTransportOptions['options'], logger?: MessagingLogger) {
    super(options);
    this.log = logger ?? defaultMessagingLogger();
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
 * graceful shutdown.
 */
export function rpcServer(
  config: AmqpConfig,
  service: RpcService,
  options: { logger?: MessagingLogger } = {},
): CustomStrategy {
  return { strategy: new RpcServer(rpcServerOptions(config, service).options, options.logger) };
}
