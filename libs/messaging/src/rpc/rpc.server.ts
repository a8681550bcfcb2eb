import { fail, RPC_CONTRACTS, type RpcPattern, type RpcService } from '@credroam/roaming';
import { RmqContext, ServerRMQ, type CustomStrategy } from '@nestjs/microservices';
import type { Channel, ConfirmChannel, ConsumeMessage, Options } from 'amqplib';
import type { ChannelWrapper } from 'amqp-connection-manager';
import type { AmqpConfig } from '../amqp.config';
import { defaultMessagingLogger, errorFields, type MessagingLogger } from '../messaging.logger';
import { ADMIN_CLI_PATTERNS, amqpNames, EXCHANGE_OPTIONS } from '../amqp-topology';
import { withTimeout } from '../timeout';
import { DeadLetterPublisher, declareDeadLetters } from '../consumer/dead-letter.publisher';
import { type Refusal } from '../consumer/message-admission';
import { admitRpcRequest } from './rpc-admission';
import { requestCorrelationId } from './rpc-handler.runner';
import { rpcServerOptions, type RmqTransportOptions } from './rpc-transport.options';

/** An exchange whose `patterns` (routing keys) reach this server's queue too. */
export interface RpcServerRoutes {
  exchange: string;
  patterns: readonly RpcPattern[];
}

/** How long close() lets replies already computed reach the broker. */
const REPLY_DRAIN_MS = 5_000;

/**
 * Nest's RMQ server with a graceful shutdown and a gate for poison. The stock ServerRMQ sends each reply without
 * awaiting it, on a confirm channel; closing the server while confirms are in flight rejects those sends, and the
 * rejections go unhandled (fatal by default in Node). This server awaits its replies (logging a failed one) and
 * lets them drain before it closes, within bounds. And before Nest sees a request, admitRpcRequest decides
 * whether it is one: a poison message is answered on its reply_to with the refusal's code, dead-lettered with
 * the reason headers and a `message.dead-lettered` event (DeadLetterPublisher, as the event consumers do), and
 * acknowledged: never retried, never run, and the next request is served.
 */
export class RpcServer extends ServerRMQ {
  private readonly replies = new Set<Promise<void>>();
  private readonly log: MessagingLogger;
  private readonly deadLetters: DeadLetterPublisher;

  constructor(
    options: RmqTransportOptions['options'],
    private readonly config: AmqpConfig,
    logger?: MessagingLogger,
    private readonly routes: RpcServerRoutes | null = null,
  ) {
    super(options);
    this.log = logger ?? defaultMessagingLogger();
    this.deadLetters = new DeadLetterPublisher(amqpNames(config.namespace), this.log);
  }

  /**
   * Declares the dead letters, and binds the queue to the admin exchange (at every (re)connection: the binding
   * may have gone with the queue).
   */
  override async setupChannel(channel: Channel, callback: () => void): Promise<void> {
    await declareDeadLetters(channel, amqpNames(this.config.namespace), this.config.queueType);
    if (this.routes) {
      const { exchange, patterns } = this.routes;
      await channel.assertQueue(this.queue, this.queueOptions as Options.AssertQueue);
      await channel.assertExchange(exchange, 'direct', EXCHANGE_OPTIONS);
      for (const pattern of patterns) await channel.bindQueue(this.queue, exchange, pattern);
    }
    return super.setupChannel(channel, callback);
  }

  override async handleMessage(message: Record<string, unknown> | null, channel: unknown): Promise<void> {
    if (message === null) return super.handleMessage(message as never, channel);
    const raw = message as unknown as ConsumeMessage;
    const admission = admitRpcRequest(raw, this.config.maxMessageBytes, (pattern) =>
      Boolean(this.getHandlerByPattern(pattern)),
    );
    if (admission.ok) return super.handleMessage(message, channel);
    await this.refuse(
      raw,
      channel as ConfirmChannel,
      admission.refusal,
      requestCorrelationId(admission.data, raw),
    );
  }

  private async refuse(
    message: ConsumeMessage,
    channel: ConfirmChannel,
    refusal: Refusal,
    correlationId: string | null,
  ): Promise<void> {
    const log = { queue: this.queue, reason: refusal.reason, errorCode: refusal.errorCode, correlationId };
    this.log.warn({ ...log, problem: refusal.problem }, 'poison request; dead-lettering it');
    const { replyTo, correlationId: callId } = message.properties as {
      replyTo?: unknown;
      correlationId?: unknown;
    };
    if (typeof replyTo === 'string' && replyTo !== '') {
      // The caller's RpcClient reads this as the RoamingError of the refusal, instead of waiting out its timeout.
      const answer = { response: fail(refusal.errorCode, refusal.problem), isDisposed: true };
      const context = new RmqContext([message, channel, '']);
      this.sendMessage(answer, replyTo, typeof callId === 'string' ? callId : '', context);
    }
    try {
      await this.deadLetters.deadLetter(channel, message, {
        queue: this.queue,
        reason: refusal.reason,
        errorCode: refusal.errorCode,
        attempt: 1,
        routingKey: message.fields.routingKey,
        correlationId,
      });
      channel.ack(message);
      this.log.warn(log, 'message dead-lettered');
    } catch (error) {
      // Dead-lettering failed (the broker refused, the channel closed): dropping beats redelivering poison forever.
      this.log.error({ ...log, ...errorFields(error) }, 'poison request could not be dead-lettered; dropped');
      try {
        channel.nack(message, false, false);
      } catch {
        // Channel closed: the broker redelivers it, and the gate refuses it again.
      }
    }
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
  return {
    strategy: new RpcServer(rpcServerOptions(config, service).options, config, options.logger, routes),
  };
}
