import { randomUUID } from 'node:crypto';
import { type Logger } from '@credroam/platform';
import { type EventEnvelope, type RoamingEvent } from '@credroam/roaming';
import { type AmqpConfig } from '../amqp.config';
import { amqpNames } from '../amqp-topology';
import { EventConsumer } from './event.consumer';

/** Where a live feed comes from: something that calls back with every event published from now on. */
export interface LiveEventSource<E = EventEnvelope> {
  start(onEvent: (event: E) => void): Promise<void>;
  stop(): Promise<void>;
}

export type FeedAcceptance = 'catalog' | 'envelope';
/** What a feed hands on: validated catalog events, or any well-formed envelope. */
export type FeedEvent<A extends FeedAcceptance> = A extends 'catalog' ? RoamingEvent : EventEnvelope;

export interface LiveEventFeedOptions<A extends FeedAcceptance> {
  /** The queue's name within the namespace, before the replica's own suffix: `audit.live` → `<ns>.audit.live.<id>`. */
  name: string;
  /** Binding patterns on the events exchange. */
  bindings: readonly string[];
  /** `envelope`: any well-formed event (a store of what it cannot interpret yet); `catalog`: catalog events only. */
  accept: A;
  /** Events kept while this replica falls behind; older ones are dropped, not hoarded. */
  maxLength: number;
  connectTimeoutMs?: number;
}

/**
 * Every replica's own view of the events exchange: a transient queue of this replica's own (exclusive, deleted with
 * the connection). Unlike a durable queue, which gives each event to one replica, every replica sees every event,
 * so whichever replica a client is connected to hears what it waits for.
 */
export class LiveEventFeed<A extends FeedAcceptance> implements LiveEventSource<FeedEvent<A>> {
  private consumer: EventConsumer | undefined;

  constructor(
    private readonly config: AmqpConfig,
    private readonly logger: Logger,
    private readonly options: LiveEventFeedOptions<A>,
  ) {}

  async start(onEvent: (event: FeedEvent<A>) => void): Promise<void> {
    if (this.consumer) return;
    const consumer = new EventConsumer(this.config, {
      logger: this.logger,
      connectTimeoutMs: this.options.connectTimeoutMs ?? 10_000,
    });
    this.consumer = consumer;
    const common = {
      queue: amqpNames(this.config.namespace).queue(`${this.options.name}.${randomUUID().slice(0, 8)}`),
      bindings: this.options.bindings,
      durability: 'transient' as const,
      maxLength: this.options.maxLength,
      // The consumer validated the event as `accept` asks: that is what FeedEvent<A> names.
      handle: async (event: RoamingEvent | EventEnvelope) => onEvent(event as FeedEvent<A>),
    };
    try {
      await (this.options.accept === 'envelope'
        ? consumer.start({ ...common, accept: 'envelope' })
        : consumer.start({ ...common, accept: 'catalog' }));
    } catch (error) {
      this.consumer = undefined;
      throw error;
    }
  }

  async stop(): Promise<void> {
    const consumer = this.consumer;
    this.consumer = undefined;
    await consumer?.stop();
  }
}
