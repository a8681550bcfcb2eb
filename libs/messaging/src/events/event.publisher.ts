import { eventsPublished, traceHeaders } from '@credroam/observability';
import { parseEvent, RoamingError, type RoamingEvent } from '@credroam/roaming';
import type { ConfirmChannel } from 'amqplib';
import type { AmqpConnectionManager, ChannelWrapper } from 'amqp-connection-manager';
import type { AmqpConfig } from '../amqp.config';
import {
  closeConnection,
  failedConnectionHint,
  openConnection,
  reconnectWhenChannelDies,
  type ConnectionTuning,
} from '../amqp.connection';
import { amqpNames, EXCHANGE_OPTIONS, type AmqpNames } from '../amqp-topology';
import { defaultMessagingLogger, errorFields, type MessagingLogger } from '../messaging.logger';
import { withTimeout } from '../timeout';

export interface EventPublisherOptions extends ConnectionTuning {
  logger?: MessagingLogger;
  /**
   * How long publish() waits for the broker's confirm, including time spent buffered while the connection is
   * down; then it rejects with SERVICE_UNAVAILABLE and the event is not sent. Default 30 s.
   */
  publishTimeoutMs?: number;
  /** How long connect() waits for the first connection. Default: the config's rpcTimeoutMs. */
  connectTimeoutMs?: number;
}

/** The AMQP properties of a published event: consumers can route, deduplicate and trace without the body. */
export function eventPublishOptions(event: RoamingEvent) {
  return {
    persistent: true,
    messageId: event.id,
    correlationId: event.correlationId,
    contentType: 'application/json',
    contentEncoding: 'utf-8',
    type: event.type,
    // AMQP timestamps are whole seconds.
    timestamp: Math.floor(Date.parse(event.occurredAt) / 1000),
  };
}

/**
 * Publishes domain events to the topic exchange `<ns>.events` (routing key = event type) over a confirm
 * channel: publish() resolves only once the broker has taken responsibility for the event. While the connection
 * is down, events are buffered and published after the reconnect (a confirm lost with the connection means the
 * event is sent again: consumers deduplicate by event id).
 */
export class EventPublisher {
  private readonly names: AmqpNames;
  private readonly logger: MessagingLogger;
  private manager: AmqpConnectionManager | undefined;
  private channel: ChannelWrapper | undefined;
  private closing = false;

  constructor(
    private readonly config: AmqpConfig,
    private readonly options: EventPublisherOptions = {},
  ) {
    this.names = amqpNames(config.namespace);
    this.logger = options.logger ?? defaultMessagingLogger();
  }

  get exchange(): string {
    return this.names.eventsExchange;
  }

  /**
   * Opens the connection and declares the exchange. Rejects with SERVICE_UNAVAILABLE when the broker cannot be
   * reached in time (the publisher is closed again; call connect() later to retry).
   */
  async connect(): Promise<void> {
    if (this.channel) return this.channel.waitForConnect();
    this.closing = false;
    const manager = openConnection(this.config, 'event-publisher', this.logger, this.options);
    const channel = manager.createChannel({
      name: 'event-publisher',
      confirm: true,
      setup: async (raw: ConfirmChannel) => {
        reconnectWhenChannelDies(manager, raw, () => this.closing, this.logger, 'event-publisher');
        await raw.assertExchange(this.names.eventsExchange, 'topic', EXCHANGE_OPTIONS);
      },
    });
    channel.on('error', (error: unknown) =>
      this.logger.error({ ...errorFields(error) }, 'event publisher channel setup failed'),
    );
    this.manager = manager;
    this.channel = channel;
    const timeoutMs = this.options.connectTimeoutMs ?? this.config.rpcTimeoutMs;
    try {
      await withTimeout(channel.waitForConnect(), timeoutMs);
    } catch {
      const hint = failedConnectionHint(manager);
      await this.close();
      throw new RoamingError(
        'SERVICE_UNAVAILABLE',
        `the message broker did not accept a connection within ${timeoutMs} ms${hint}`,
      );
    }
  }

  /**
   * Validates and publishes one event; resolves when the broker has confirmed it. An invalid event throws
   * CONTRACT_VIOLATION and nothing is sent.
   */
  async publish(event: RoamingEvent): Promise<void> {
    await this.send(validEvent(event));
  }

  /**
   * Validates every event first (one invalid event: CONTRACT_VIOLATION, nothing sent), then publishes them all
   * and resolves when all are confirmed.
   */
  async publishAll(events: readonly RoamingEvent[]): Promise<void> {
    const valid = events.map((event, index) => validEvent(event, `event ${index}: `));
    await Promise.all(valid.map((event) => this.send(event)));
  }

  /**
   * amqp-connection-manager buffers a publish while the connection is down, but a confirm lost *with* the
   * connection (the broker may or may not have the event) rejects the publish. Such an event is sent again until
   * it is confirmed or the publish timeout runs out: at least once, never silently dropped.
   */
  private async send(event: RoamingEvent): Promise<void> {
    if (!this.channel) await this.connect();
    const fields = { eventId: event.id, type: event.type, correlationId: event.correlationId };
    const content = Buffer.from(JSON.stringify(event));
    const timeoutMs = this.options.publishTimeoutMs ?? 30_000;
    const deadline = Date.now() + timeoutMs;
    for (let attempt = 1; ; attempt++) {
      const channel = this.channel;
      const remaining = deadline - Date.now();
      if (!channel || this.closing)
        throw new RoamingError('SERVICE_UNAVAILABLE', 'the event publisher is closed');
      try {
        await channel.publish(this.names.eventsExchange, event.type, content, {
          ...eventPublishOptions(event),
          // Consumers can continue the trace of the request that caused the event.
          headers: traceHeaders(),
          timeout: Math.max(remaining, 1),
        });
        this.logger.debug({ ...fields, ...(attempt > 1 ? { attempt } : {}) }, 'event published');
        eventsPublished.inc({ type: event.type, outcome: 'confirmed' });
        return;
      } catch (error) {
        const giveUp = this.closing || Date.now() >= deadline || isPublishTimeout(error);
        if (giveUp) {
          this.logger.error(
            { ...fields, attempt, ...errorFields(error) },
            'event not confirmed by the broker',
          );
          eventsPublished.inc({ type: event.type, outcome: 'failed' });
          throw new RoamingError(
            'SERVICE_UNAVAILABLE',
            `event ${event.id} was not confirmed by the broker within ${timeoutMs} ms`,
          );
        }
        this.logger.warn(
          { ...fields, attempt, ...errorFields(error) },
          'event not confirmed; sending it again',
        );
        await sleep(Math.min(100 * attempt, 1_000, Math.max(deadline - Date.now(), 0)));
      }
    }
  }

  /** Events buffered while the broker is unreachable (not yet sent). */
  pending(): number {
    return this.channel?.queueLength() ?? 0;
  }

  /** Closes the channel and connection; events still waiting for a confirm are rejected. */
  async close(): Promise<void> {
    this.closing = true;
    const manager = this.manager;
    this.channel = undefined;
    this.manager = undefined;
    if (manager) await closeConnection(manager, this.logger, 'event-publisher');
  }

  /** Nest lifecycle hook: a module that provides the publisher closes it with the application. */
  async onApplicationShutdown(): Promise<void> {
    await this.close();
  }
}

function validEvent(event: RoamingEvent, prefix = ''): RoamingEvent {
  const parsed = parseEvent(event);
  if (!parsed.ok) throw new RoamingError('CONTRACT_VIOLATION', `${prefix}${parsed.error.message}`);
  return parsed.value;
}

// amqp-connection-manager rejects a publish that outlived its `timeout` option with exactly this message.
function isPublishTimeout(error: unknown): boolean {
  return error instanceof Error && error.message === 'timeout';
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
