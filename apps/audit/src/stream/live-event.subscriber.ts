import { randomUUID } from 'node:crypto';
import { amqpNames, EventConsumer, type AmqpConfig } from '@credroam/messaging';
import { type Logger } from '@credroam/platform';
import { type EventEnvelope } from '@credroam/roaming';

/** Where the live feed comes from: something that calls back with every event published from now on. */
export interface LiveEventSource {
  start(onEvent: (event: EventEnvelope) => void): Promise<void>;
  stop(): Promise<void>;
}

/** Events kept in the private queue while this replica falls behind; older ones are dropped, not hoarded. */
const QUEUE_MAX_LENGTH = 10_000;

/**
 * Every replica's own view of the events exchange, for the live stream: a transient queue of this replica's own
 * (`<ns>.audit.live.<id>`, exclusive, deleted with the connection) bound with `#`. Streaming from the exchange
 * rather than from this replica's inserts means every dashboard sees every event whichever replica it is
 * connected to, while the durable queue still gives each event to one replica for storage.
 */
export class AmqpLiveEventSource implements LiveEventSource {
  private consumer: EventConsumer | undefined;

  constructor(
    private readonly config: AmqpConfig,
    private readonly logger: Logger,
    private readonly connectTimeoutMs = 10_000,
  ) {}

  async start(onEvent: (event: EventEnvelope) => void): Promise<void> {
    if (this.consumer) return;
    const consumer = new EventConsumer(this.config, {
      logger: this.logger,
      connectTimeoutMs: this.connectTimeoutMs,
    });
    this.consumer = consumer;
    try {
      await consumer.start({
        queue: amqpNames(this.config.namespace).queue(`audit.live.${randomUUID().slice(0, 8)}`),
        bindings: ['#'],
        durability: 'transient',
        maxLength: QUEUE_MAX_LENGTH,
        accept: 'envelope',
        handle: async (event) => onEvent(event),
      });
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
