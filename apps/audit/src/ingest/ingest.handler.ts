import { EventConsumer, type EventConsumerSettings, type QueueDepth } from '@credroam/messaging';
import { type Logger } from '@credroam/platform';
import { type AuditConfig } from '../config/audit.config';
import { type QueueDepthSource } from '../metrics/audit-metrics';
import { type IngestService } from './ingest.service';

/**
 * The AMQP adapter of ingest: consumes every event (`#`) from audit's durable queue and hands each to the
 * service; the consumer acknowledges after store() resolved (the row is committed), retries a failure a bounded
 * number of times and dead-letters what cannot be stored, with a message.dead-lettered event. Envelopes of event
 * versions audit does not know are accepted and stored as they are.
 */
export class IngestHandler implements QueueDepthSource {
  private readonly consumer: EventConsumer;

  constructor(
    private readonly config: AuditConfig,
    private readonly ingest: IngestService,
    logger: Logger,
    settings: EventConsumerSettings = {},
  ) {
    this.consumer = new EventConsumer(config.amqp, { logger, ...settings });
  }

  async start(): Promise<void> {
    await this.consumer.start({
      accept: 'envelope',
      queue: this.config.queue,
      bindings: ['#'],
      prefetch: this.config.prefetch,
      maxAttempts: this.config.maxAttempts,
      retryDelayMs: this.config.retryDelayMs,
      handle: async (event) => {
        await this.ingest.store(event);
      },
    });
  }

  /** Stops consuming and waits for running handlers, so nothing is acknowledged after the database closes. */
  async stop(): Promise<void> {
    await this.consumer.stop();
  }

  async queueDepth(): Promise<QueueDepth | null> {
    return this.consumer.queueDepth().catch(() => null);
  }
}
