import { amqpNames, EXCHANGE_OPTIONS, type AmqpConfig } from '@credroam/messaging';
import { type Logger } from '@credroam/platform';
import { eventEnvelopeSchema, type EventEnvelope } from '@credroam/roaming';
import amqp, { type AmqpConnectionManager, type ChannelWrapper } from 'amqp-connection-manager';
import type { Channel, ConsumeMessage } from 'amqplib';

/** Where the live feed comes from: something that calls back with every event published from now on. */
export interface LiveEventSource {
  start(onEvent: (event: EventEnvelope) => void): Promise<void>;
  stop(): Promise<void>;
}

/** Events kept in the private queue while this replica falls behind; older ones are dropped, not hoarded. */
const QUEUE_MAX_LENGTH = 10_000;

/**
 * Every replica's own view of the events exchange, for the live stream: a server-named, exclusive, auto-deleted
 * queue bound with `#`, consumed without acknowledgements. Streaming from the exchange rather than from this
 * replica's inserts means every dashboard sees every event whichever replica it is connected to, while the
 * durable queue still gives each event to one replica for storage. The queue disappears with the connection.
 */
export class AmqpLiveEventSource implements LiveEventSource {
  private manager: AmqpConnectionManager | undefined;
  private channel: ChannelWrapper | undefined;

  constructor(
    private readonly config: AmqpConfig,
    private readonly logger: Logger,
    private readonly connectTimeoutMs = 10_000,
  ) {}

  async start(onEvent: (event: EventEnvelope) => void): Promise<void> {
    if (this.manager) return;
    const names = amqpNames(this.config.namespace);
    const manager = amqp.connect([this.config.url], {
      heartbeatIntervalInSeconds: 5,
      reconnectTimeInSeconds: 1,
      connectionOptions: {
        noDelay: true,
        clientProperties: { connection_name: `${this.config.namespace}:audit-live-stream` },
      },
    });
    manager.on('disconnect', ({ err }) =>
      this.logger.warn({ errorMessage: err?.message }, 'live stream lost the broker; reconnecting'),
    );
    const onMessage = (message: ConsumeMessage | null) => {
      if (!message) return;
      let body: unknown;
      try {
        body = JSON.parse(message.content.toString('utf8'));
      } catch {
        return;
      }
      const parsed = eventEnvelopeSchema.safeParse(body);
      if (parsed.success) onEvent(parsed.data);
    };
    const channel = manager.createChannel({
      name: 'audit-live-stream',
      confirm: false,
      setup: async (raw: Channel) => {
        await raw.assertExchange(names.eventsExchange, 'topic', EXCHANGE_OPTIONS);
        const { queue } = await raw.assertQueue('', {
          exclusive: true,
          autoDelete: true,
          durable: false,
          arguments: { 'x-max-length': QUEUE_MAX_LENGTH, 'x-overflow': 'drop-head' },
        });
        await raw.bindQueue(queue, names.eventsExchange, '#');
        await raw.consume(queue, onMessage, { noAck: true });
      },
    });
    this.manager = manager;
    this.channel = channel;
    const timeout = new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error('broker not reachable')), this.connectTimeoutMs).unref(),
    );
    try {
      await Promise.race([channel.waitForConnect(), timeout]);
    } catch (error) {
      await this.stop();
      throw error;
    }
  }

  async stop(): Promise<void> {
    const manager = this.manager;
    this.manager = undefined;
    this.channel = undefined;
    await manager?.close();
  }
}
