import { contextFromHeaders, inSpan, SpanKind } from '@credroam/observability';
import { correlationIdSchema, RoamingError, type ErrorInfo } from '@credroam/roaming';
import type { ConfirmChannel, ConsumeMessage, Options } from 'amqplib';
import type { AmqpConnectionManager } from 'amqp-connection-manager';
import { z } from 'zod';
import type { AmqpConfig } from '../amqp.config';
import {
  closeConnection,
  failedConnectionHint,
  openConnection,
  reconnectWhenChannelDies,
  withTemporaryChannel,
  type ConnectionTuning,
} from '../amqp.connection';
import {
  amqpNames,
  EXCHANGE_OPTIONS,
  isInNamespace,
  MESSAGE_HEADERS,
  retryQueueOptions,
  workQueueOptions,
  type AmqpNames,
} from '../amqp-topology';
import { defaultMessagingLogger, errorFields, type MessagingLogger } from '../messaging.logger';
import { withTimeout } from '../timeout';
import { decideFailure, type AttemptFailure } from '../events/failure-policy';
import {
  copiedProperties,
  DeadLetterPublisher,
  declareDeadLetters,
  publishConfirmed,
  retainedHeaders,
  stringProperty,
  type DeadLetterInfo,
} from './dead-letter.publisher';
import { admitJsonMessage, type Refusal } from './message-admission';

/** What a handler learns about the delivery besides the decoded message. */
export interface MessageDelivery {
  /** The message as received (properties, headers, content). */
  raw: ConsumeMessage;
  /** 1 on the first delivery, then counted up by every retry. */
  attempt: number;
  /** The routing key the message was published with (a retried message travels under another one). */
  routingKey: string;
  queue: string;
  /**
   * Answers a request on its `reply_to` (direct reply-to included), echoing its correlation id; resolves once the
   * broker confirmed the answer. Does nothing for a message without `reply_to`.
   */
  reply(content: Buffer, properties?: Options.Publish): Promise<void>;
}

/**
 * A message's body as the consumer's decoder read it; a message that does not decode is dead-lettered as
 * `invalid-message` (JSON off the queue's contract).
 */
export type Decoded<T> =
  | { ok: true; value: T; correlationId: string | null }
  | { ok: false; problem: string; correlationId: string | null };

/** Where a consumer's queue takes its messages from: an exchange and the routing keys bound. */
export interface MessageSource {
  exchange: string;
  type: 'topic' | 'direct';
  /** Topic patterns (`sync.*`, `#`) or, on a direct exchange, routing keys. */
  bindings: readonly string[];
}

export interface MessageConsumerOptions<T> {
  /** The consumer's queue; it must be in the config's namespace (`amqpNames(ns).queue('audit')`). */
  queue: string;
  /** Names the consumer in logs (`<role>:<queue>`). Default `consumer`. */
  role?: string;
  /**
   * `durable` (default): a queue every replica shares, with retries and dead-lettering. `transient`: a queue of
   * this connection's own, deleted with it, for what only matters while it runs (a live feed); a failed message
   * is dropped there, not retried.
   */
  durability?: 'durable' | 'transient';
  /** A transient queue keeps at most this many messages; the oldest are dropped when it falls behind. */
  maxLength?: number;
  source: MessageSource;
  /**
   * Reads the queue's contract from `body`, the message's JSON. Messages over the size limit, in another media
   * type or not JSON never reach it: they are dead-lettered before (message-admission.ts).
   */
  decode(message: ConsumeMessage, body: unknown): Decoded<T>;
  /**
   * The answer to a request refused before its handler ran (poison, or off contract), sent to its `reply_to` (if
   * any) before it is dead-lettered, so that a caller learns at once instead of waiting out its timeout.
   */
  refusalReply?(error: ErrorInfo): Buffer;
  /** The largest body admitted. Default: the config's maxMessageBytes. */
  maxMessageBytes?: number;
  /** Unacknowledged messages this consumer holds (and handles concurrently). Default: the config's prefetch. */
  prefetch?: number;
  /** Deliveries a message gets in all before it is dead-lettered. Default 5. */
  maxAttempts?: number;
  /** How long a failed message waits before its next attempt. Default 5000 ms. */
  retryDelayMs?: number;
  /**
   * Resolves once the message's side effect is durable: only then is the message acknowledged. Throwing a
   * non-retryable RoamingError dead-letters the message at once; anything else is retried.
   */
  handle(value: T, delivery: MessageDelivery): Promise<void>;
}

export interface ConsumerStats {
  delivered: number;
  acked: number;
  retried: number;
  deadLettered: number;
  inFlight: number;
}

export interface QueueDepth {
  queue: string;
  /** Messages ready for delivery: the consumer lag. */
  ready: number;
  consumers: number;
  /** Failed messages waiting in the retry queue. */
  retrying: number;
}

export interface ConsumerSettings extends ConnectionTuning {
  logger?: MessagingLogger;
  /** How long start() waits for the broker. Default: the config's rpcTimeoutMs. */
  connectTimeoutMs?: number;
  /** How long stop() waits for handlers still running. Default 10 s. */
  stopTimeoutMs?: number;
}

const TOPIC_PATTERN = /^(?:[A-Za-z0-9_-]+|\*|#)(?:\.(?:[A-Za-z0-9_-]+|\*|#))*$/;

const startOptionsSchema = z.object({
  queue: z.string().min(1).max(240),
  durability: z.enum(['durable', 'transient']),
  maxLength: z.number().int().min(1).max(10_000_000).optional(),
  exchange: z.string().min(1).max(255),
  exchangeType: z.enum(['topic', 'direct']),
  bindings: z
    .array(
      z
        .string()
        .max(255)
        .regex(TOPIC_PATTERN, { message: 'must be a topic pattern such as "sync.*" or "#"' }),
    )
    .min(1, { message: 'at least one binding is needed' }),
  prefetch: z.number().int().min(1).max(65_535),
  maxAttempts: z.number().int().min(1).max(1000),
  retryDelayMs: z.number().int().min(0).max(86_400_000),
  maxMessageBytes: z.number().int().min(1),
});
type StartOptions = z.output<typeof startOptionsSchema>;

interface Run<T> {
  options: StartOptions;
  role: string;
  decode(message: ConsumeMessage, body: unknown): Decoded<T>;
  refusalReply: ((error: ErrorInfo) => Buffer) | undefined;
  handle(value: T, delivery: MessageDelivery): Promise<void>;
  retryQueue: string;
}

/**
 * The one way credroam consumes from the broker: messages from a queue bound to an exchange, decoded, handed to a
 * handler and acknowledged after its side effect, with reconnects and bounded retries (EventConsumer is this for
 * the domain events; logon-events' ingress uses it for the agents' requests). A durable queue gets:
 *
 * - work queue `<queue>` (dead-letter exchange `<ns>.dead-letter` as a safety net for broker-side rejections);
 * - retry queue `<queue>.retry`, no consumer: a failed message is republished there with a per-message TTL
 *   (`retryDelayMs`) and the attempt number in `x-credroam-attempt`; when the TTL expires the broker
 *   dead-letters it through the default exchange back to `<queue>`;
 * - after `maxAttempts` deliveries, a non-retryable error, or a poison message (over the size limit, another media
 *   type, not JSON, off contract: dead-lettered on its first delivery, answered on its `reply_to` if the consumer
 *   has a `refusalReply`): the message goes to the dead-letter exchange `<ns>.dead-letter` with its original
 *   routing key and reason headers (queue `<ns>.dead-letters` is bound with `#`), and a `message.dead-lettered`
 *   event names it (never its body). DeadLetterPublisher does both.
 *
 * Every republish is confirmed by the broker before the original is acknowledged, so a crash in between
 * duplicates a message but never loses one: handlers deduplicate by event id.
 */
export class MessageConsumer<T> {
  private readonly names: AmqpNames;
  private readonly logger: MessagingLogger;
  private readonly deadLetters: DeadLetterPublisher;
  private manager: AmqpConnectionManager | undefined;
  private run: Run<T> | undefined;
  private current: { channel: ConfirmChannel; consumerTag: string } | undefined;
  private closing = false;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly counters = { delivered: 0, acked: 0, retried: 0, deadLettered: 0 };

  constructor(
    private readonly config: AmqpConfig,
    private readonly settings: ConsumerSettings = {},
  ) {
    this.names = amqpNames(config.namespace);
    this.logger = settings.logger ?? defaultMessagingLogger();
    this.deadLetters = new DeadLetterPublisher(this.names, this.logger);
  }

  /**
   * Declares the topology, binds the queue and starts consuming. Rejects with INVALID_INPUT for bad options and
   * SERVICE_UNAVAILABLE when the broker cannot be reached in time.
   */
  async start(options: MessageConsumerOptions<T>): Promise<void> {
    if (this.run)
      throw new RoamingError('INVALID_INPUT', `consumer of ${this.run.options.queue} already started`);
    const checked = startOptionsSchema.safeParse({
      queue: options.queue,
      durability: options.durability ?? 'durable',
      maxLength: options.maxLength,
      exchange: options.source.exchange,
      exchangeType: options.source.type,
      bindings: [...options.source.bindings],
      prefetch: options.prefetch ?? this.config.prefetch,
      maxAttempts: options.maxAttempts ?? 5,
      retryDelayMs: options.retryDelayMs ?? 5_000,
      maxMessageBytes: options.maxMessageBytes ?? this.config.maxMessageBytes,
    });
    if (!checked.success) {
      const problems = checked.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
      throw new RoamingError('INVALID_INPUT', `invalid consumer options: ${problems.join('; ')}`);
    }
    const startOptions = checked.data;
    if (!isInNamespace(startOptions.queue, this.names.namespace)) {
      throw new RoamingError(
        'INVALID_INPUT',
        `queue ${startOptions.queue} is outside the namespace ${this.names.namespace} (use amqpNames().queue(name))`,
      );
    }
    const run: Run<T> = {
      options: startOptions,
      role: `${options.role ?? 'consumer'}:${startOptions.queue}`,
      decode: options.decode,
      refusalReply: options.refusalReply,
      handle: options.handle,
      retryQueue: this.names.retryQueue(startOptions.queue),
    };
    this.run = run;
    this.closing = false;
    const { role } = run;
    const manager = openConnection(this.config, role, this.logger, this.settings);
    const wrapper = manager.createChannel({
      name: role,
      confirm: true,
      setup: async (channel: ConfirmChannel) => {
        reconnectWhenChannelDies(manager, channel, () => this.closing, this.logger, role);
        await this.declare(channel, run);
        await channel.prefetch(startOptions.prefetch);
        const { consumerTag } = await channel.consume(
          startOptions.queue,
          (message) => this.onDelivery(manager, channel, run, message),
          { noAck: false },
        );
        this.current = { channel, consumerTag };
      },
    });
    wrapper.on('error', (error: unknown) =>
      this.logger.error(
        { queue: startOptions.queue, ...errorFields(error) },
        'consumer channel setup failed',
      ),
    );
    this.manager = manager;
    const timeoutMs = this.settings.connectTimeoutMs ?? this.config.rpcTimeoutMs;
    try {
      await withTimeout(wrapper.waitForConnect(), timeoutMs);
    } catch {
      const hint = failedConnectionHint(manager);
      await this.stop();
      throw new RoamingError(
        'SERVICE_UNAVAILABLE',
        `the message broker was not reachable within ${timeoutMs} ms${hint}`,
      );
    }
    const { queue, exchange, bindings, prefetch } = startOptions;
    this.logger.info({ queue, exchange, bindings, prefetch }, 'consuming');
  }

  /** Stops consuming, lets running handlers finish (bounded), then closes the connection. */
  async stop(): Promise<void> {
    this.closing = true;
    const current = this.current;
    this.current = undefined;
    if (current) await current.channel.cancel(current.consumerTag).catch(() => undefined);
    if (this.inFlight.size > 0) {
      await withTimeout(Promise.allSettled([...this.inFlight]), this.settings.stopTimeoutMs ?? 10_000).catch(
        () =>
          this.logger.warn(
            { queue: this.run?.options.queue, inFlight: this.inFlight.size },
            'handlers still running at stop; their messages will be redelivered',
          ),
      );
    }
    const manager = this.manager;
    const role = this.run?.role ?? 'consumer';
    this.manager = undefined;
    this.run = undefined;
    if (manager) await closeConnection(manager, this.logger, role);
  }

  /** Nest lifecycle hook. */
  async onApplicationShutdown(): Promise<void> {
    await this.stop();
  }

  stats(): ConsumerStats {
    return { ...this.counters, inFlight: this.inFlight.size };
  }

  /** The queue's backlog (consumer lag) and the messages waiting for a retry, read with checkQueue. */
  async queueDepth(): Promise<QueueDepth> {
    const run = this.run;
    const manager = this.manager;
    if (!run || !manager) throw new RoamingError('INVALID_INPUT', 'the consumer is not started');
    return withTemporaryChannel(manager, async (channel) => {
      const work = await channel.checkQueue(run.options.queue);
      const retry =
        run.options.durability === 'durable' ? await channel.checkQueue(run.retryQueue) : { messageCount: 0 };
      return {
        queue: run.options.queue,
        ready: work.messageCount,
        consumers: work.consumerCount,
        retrying: retry.messageCount,
      };
    });
  }

  private async declare(channel: ConfirmChannel, run: Run<T>): Promise<void> {
    const { queue, exchange, exchangeType, bindings, durability, maxLength } = run.options;
    await channel.assertExchange(exchange, exchangeType, EXCHANGE_OPTIONS);
    if (durability === 'transient') {
      const bounded = maxLength === undefined ? {} : { 'x-max-length': maxLength, 'x-overflow': 'drop-head' };
      await channel.assertQueue(queue, {
        durable: false,
        exclusive: true,
        autoDelete: true,
        arguments: bounded,
      });
      for (const pattern of bindings) await channel.bindQueue(queue, exchange, pattern);
      return;
    }
    await declareDeadLetters(channel, this.names, this.config.queueType);
    await channel.assertQueue(queue, workQueueOptions(this.names, this.config.queueType));
    for (const pattern of bindings) await channel.bindQueue(queue, exchange, pattern);
    await channel.assertQueue(run.retryQueue, retryQueueOptions(queue, this.config.queueType));
  }

  private onDelivery(
    manager: AmqpConnectionManager,
    channel: ConfirmChannel,
    run: Run<T>,
    message: ConsumeMessage | null,
  ): void {
    if (message === null) {
      // The broker cancelled the consumer (its queue was deleted): re-declare everything by reconnecting.
      if (!this.closing) {
        this.logger.warn({ queue: run.options.queue }, 'consumer cancelled by the broker; re-declaring');
        try {
          manager.reconnect();
        } catch {
          // Closed meanwhile.
        }
      }
      return;
    }
    this.counters.delivered++;
    const task = this.process(channel, run, message).catch((error: unknown) => {
      // A republish was refused or the channel closed before the message was acknowledged. On a live channel,
      // rejecting it hands it to the queue's dead-letter exchange (x-death reason "rejected") instead of leaving
      // it unacknowledged; on a closed one the broker redelivers it anyway.
      this.logger.error({ queue: run.options.queue, ...errorFields(error) }, 'message processing failed');
      try {
        channel.nack(message, false, false);
      } catch {
        // Channel closed: redelivered.
      }
    });
    this.inFlight.add(task);
    void task.finally(() => this.inFlight.delete(task));
  }

  private async process(channel: ConfirmChannel, run: Run<T>, message: ConsumeMessage): Promise<void> {
    const { queue } = run.options;
    const attempt = attemptOf(message);
    const routingKey = headerString(message, MESSAGE_HEADERS.routingKey) ?? message.fields.routingKey;
    const admitted = admitJsonMessage(message, run.options.maxMessageBytes);
    const decoded: Decoded<T> = admitted.ok
      ? run.decode(message, admitted.body)
      : { ok: false, problem: admitted.refusal.problem, correlationId: fallbackCorrelationId(message, null) };
    const log = {
      queue,
      routingKey,
      messageId: stringProperty(message.properties.messageId),
      correlationId: decoded.correlationId,
      attempt,
    };
    if (!decoded.ok && run.options.durability === 'transient') {
      this.logger.warn({ ...log, problem: decoded.problem }, 'unreadable message; dropped');
      this.drop(channel, message);
      return;
    }
    if (!decoded.ok) {
      const refusal: Refusal = admitted.ok
        ? { reason: 'invalid-message', errorCode: 'CONTRACT_VIOLATION', problem: decoded.problem }
        : admitted.refusal;
      this.logger.warn(
        { ...log, reason: refusal.reason, problem: refusal.problem },
        'poison message; dead-lettering it',
      );
      await this.refuse(channel, run, message, refusal, decoded.correlationId);
      await this.deadLetter(channel, message, {
        queue,
        reason: refusal.reason,
        errorCode: refusal.errorCode,
        attempt,
        routingKey,
        correlationId: decoded.correlationId,
      });
      return;
    }
    let failure: AttemptFailure | undefined;
    if (message.fields.redelivered) {
      // The consumer before us died (or lost its channel) holding this message. Counting that as a failed
      // attempt keeps a message that crashes its consumer from being redelivered forever.
      failure = { kind: 'redelivered' };
    } else {
      const started = performance.now();
      try {
        const reply = (content: Buffer, properties: Options.Publish = {}) =>
          this.replyTo(channel, message, content, properties);
        // A consumer span continuing the publisher's trace (traceparent in the headers): the ingress's logons and
        // syncs, and what audit stores, join the trace of the request that caused them.
        await inSpan(
          `process ${routingKey}`,
          {
            kind: SpanKind.CONSUMER,
            parent: contextFromHeaders(message.properties.headers),
            attributes: { 'messaging.destination.name': queue },
          },
          () => run.handle(decoded.value, { raw: message, attempt, routingKey, queue, reply }),
        );
        const durationMs = Math.round(performance.now() - started);
        if (this.ack(channel, message, log)) {
          this.counters.acked++;
          this.logger.debug({ ...log, durationMs }, 'message handled');
        }
        return;
      } catch (error) {
        failure = { kind: 'threw', error };
        this.logger.warn(
          { ...log, durationMs: Math.round(performance.now() - started), ...errorFields(error) },
          'message handler failed',
        );
      }
    }
    if (run.options.durability === 'transient') {
      // Only this replica's own feed had the message: nothing to retry it for.
      this.drop(channel, message);
      return;
    }
    const decision = decideFailure(failure, attempt, run.options);
    if (decision.action === 'retry') {
      await publishConfirmed(channel, '', run.retryQueue, message.content, {
        ...copiedProperties(message.properties),
        headers: {
          ...retainedHeaders(message),
          [MESSAGE_HEADERS.attempt]: decision.nextAttempt,
          [MESSAGE_HEADERS.routingKey]: routingKey,
          ...(decision.errorCode ? { [MESSAGE_HEADERS.errorCode]: decision.errorCode } : {}),
        },
        expiration: String(decision.delayMs),
      });
      if (!this.ack(channel, message, log)) return;
      this.counters.retried++;
      this.logger.info(
        {
          ...log,
          nextAttempt: decision.nextAttempt,
          delayMs: decision.delayMs,
          errorCode: decision.errorCode,
        },
        'message scheduled for retry',
      );
      return;
    }
    await this.deadLetter(channel, message, {
      queue,
      reason: decision.reason,
      errorCode: decision.errorCode,
      attempt,
      routingKey,
      correlationId: decoded.correlationId,
    });
  }

  private async deadLetter(
    channel: ConfirmChannel,
    message: ConsumeMessage,
    info: DeadLetterInfo,
  ): Promise<void> {
    await this.deadLetters.deadLetter(channel, message, info);
    const log = {
      queue: info.queue,
      routingKey: info.routingKey,
      reason: info.reason,
      attempts: info.attempt,
    };
    if (!this.ack(channel, message, log)) return;
    this.counters.deadLettered++;
    this.logger.warn({ ...log, errorCode: info.errorCode }, 'message dead-lettered');
  }

  /** Answers a refused request on its reply_to, when the consumer answers requests; a lost answer is only logged. */
  private async refuse(
    channel: ConfirmChannel,
    run: Run<T>,
    message: ConsumeMessage,
    refusal: Refusal,
    correlationId: string | null,
  ): Promise<void> {
    if (!run.refusalReply) return;
    const reply = run.refusalReply({ code: refusal.errorCode, message: refusal.problem, retryable: false });
    await this.replyTo(channel, message, reply, { contentType: 'application/json' }).catch((error: unknown) =>
      this.logger.warn(
        { queue: run.options.queue, correlationId, ...errorFields(error) },
        'refusal not sent',
      ),
    );
  }

  private replyTo(
    channel: ConfirmChannel,
    message: ConsumeMessage,
    content: Buffer,
    properties: Options.Publish,
  ): Promise<void> {
    const replyTo: unknown = message.properties.replyTo;
    if (typeof replyTo !== 'string' || replyTo === '') return Promise.resolve();
    const correlationId: unknown = message.properties.correlationId;
    return publishConfirmed(channel, '', replyTo, content, {
      ...(typeof correlationId === 'string' ? { correlationId } : {}),
      ...properties,
    });
  }

  /** Discards a message of a transient queue. */
  private drop(channel: ConfirmChannel, message: ConsumeMessage): void {
    try {
      channel.nack(message, false, false);
    } catch {
      // Channel closed: the queue is gone with it.
    }
  }

  /** Acknowledges on the delivering channel; false when that channel is gone (the message comes back). */
  private ack(channel: ConfirmChannel, message: ConsumeMessage, log: Record<string, unknown>): boolean {
    try {
      channel.ack(message);
      return true;
    } catch (error) {
      // Only the channel that delivered a message can acknowledge it; once that channel is gone the broker
      // redelivers the message, which the attempt count then records.
      this.logger.warn({ ...log, ...errorFields(error) }, 'could not acknowledge: channel closed');
      return false;
    }
  }
}

function attemptOf(message: ConsumeMessage): number {
  const value: unknown = message.properties.headers?.[MESSAGE_HEADERS.attempt];
  const attempt = typeof value === 'number' ? value : Number(value);
  return Number.isInteger(attempt) && attempt >= 1 ? attempt : 1;
}

function headerString(message: ConsumeMessage, name: string): string | undefined {
  const value: unknown = message.properties.headers?.[name];
  if (typeof value === 'string') return value;
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  return undefined;
}

/** A correlation id from the body or the message's properties, when one is well-formed. */
export function fallbackCorrelationId(message: ConsumeMessage, body: unknown): string | null {
  const candidates = [
    (body as { correlationId?: unknown } | null)?.correlationId,
    message.properties.correlationId,
  ];
  for (const candidate of candidates) {
    if (correlationIdSchema.safeParse(candidate).success) return candidate as string;
  }
  return null;
}
