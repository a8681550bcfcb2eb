import { eventEnvelopeSchema, parseEvent, type EventEnvelope, type RoamingEvent } from '@credroam/roaming';
import type { ConsumeMessage } from 'amqplib';
import type { AmqpConfig } from '../amqp.config';
import { amqpNames } from '../amqp-topology';
import {
  fallbackCorrelationId,
  MessageConsumer,
  type ConsumerSettings,
  type ConsumerStats,
  type Decoded,
  type MessageDelivery,
  type QueueDepth,
} from '../consumer/message.consumer';

export type EventDelivery = MessageDelivery;
export type EventConsumerSettings = ConsumerSettings;
export type EventConsumerStats = ConsumerStats;

export interface EventConsumerOptions<E> {
  /** The consumer's durable queue; it must be in the config's namespace (`amqpNames(ns).queue('audit')`). */
  queue: string;
  /** Binding patterns on the events exchange, e.g. ['#'] or ['sync.*', 'token.conflict']. */
  bindings: readonly string[];
  /** A queue shared by every replica (default), or one of this connection's own (a live feed). */
  durability?: 'durable' | 'transient';
  /** For a transient queue: the most it keeps while the consumer falls behind (the oldest go first). */
  maxLength?: number;
  prefetch?: number;
  maxAttempts?: number;
  retryDelayMs?: number;
  handle(event: E, delivery: EventDelivery): Promise<void>;
}

/** Which messages reach the handler: catalog events only (default), or any well-formed envelope (a store). */
export type EventAcceptance = { accept?: 'catalog' } | { accept: 'envelope' };

/**
 * MessageConsumer for the domain events on `<ns>.events`: each message is validated against the event catalog
 * (or, for a store that keeps what it cannot interpret yet, any well-formed envelope); what does not validate is
 * dead-lettered.
 */
export class EventConsumer {
  private readonly consumer: MessageConsumer<RoamingEvent | EventEnvelope>;

  constructor(
    private readonly config: AmqpConfig,
    settings: EventConsumerSettings = {},
  ) {
    this.consumer = new MessageConsumer(config, settings);
  }

  start(
    options:
      | (EventConsumerOptions<RoamingEvent> & { accept?: 'catalog' })
      | (EventConsumerOptions<RoamingEvent | EventEnvelope> & { accept: 'envelope' }),
  ): Promise<void> {
    const { bindings, accept, handle, ...rest } = options;
    return this.consumer.start({
      ...rest,
      role: 'event-consumer',
      source: { exchange: amqpNames(this.config.namespace).eventsExchange, type: 'topic', bindings },
      decode: (message, body) => decodeEvent(message, body, accept ?? 'catalog'),
      handle: handle as (event: RoamingEvent | EventEnvelope, delivery: EventDelivery) => Promise<void>,
    });
  }

  stop(): Promise<void> {
    return this.consumer.stop();
  }

  /** Nest lifecycle hook. */
  async onApplicationShutdown(): Promise<void> {
    await this.stop();
  }

  stats(): EventConsumerStats {
    return this.consumer.stats();
  }

  queueDepth(): Promise<QueueDepth> {
    return this.consumer.queueDepth();
  }
}

function decodeEvent(
  message: ConsumeMessage,
  body: unknown,
  accept: 'catalog' | 'envelope',
): Decoded<RoamingEvent | EventEnvelope> {
  const event = parseEvent(body);
  if (event.ok) return { ok: true, value: event.value, correlationId: event.value.correlationId };
  if (accept === 'envelope') {
    const envelope = eventEnvelopeSchema.safeParse(body);
    if (envelope.success)
      return { ok: true, value: envelope.data, correlationId: envelope.data.correlationId };
  }
  // The validation message names fields and rules, never values.
  return { ok: false, problem: event.error.message, correlationId: fallbackCorrelationId(message, body) };
}
