import { randomUUID } from 'node:crypto';
import { createEvent, type ErrorCode } from '@credroam/roaming';
import type { ConfirmChannel, ConsumeMessage, MessageProperties, Options } from 'amqplib';
import type { QueueType } from '../amqp.config';
import { deadLetterQueueOptions, EXCHANGE_OPTIONS, MESSAGE_HEADERS, type AmqpNames } from '../amqp-topology';
import { type MessagingLogger } from '../messaging.logger';
import { eventPublishOptions } from '../events/event.publisher';
import { type DeadLetterReason } from '../events/failure-policy';

export const DEAD_LETTERED_EVENT = 'message.dead-lettered';

/** Why and where a message is given up. */
export interface DeadLetterInfo {
  /** The queue that gives the message up. */
  queue: string;
  reason: DeadLetterReason;
  errorCode: ErrorCode | null;
  /** The delivery the message was on (1 for a message refused at once). */
  attempt: number;
  /** The routing key it was first published with; the dead letter keeps it. */
  routingKey: string;
  correlationId: string | null;
}

/**
 * The dead-letter exchange and queue (bound with `#`), and the events exchange the announcement goes to, asserted by
 * every party that dead-letters: a publish to an exchange that does not exist closes the channel (404), and with it
 * every delivery in flight on it.
 */
export async function declareDeadLetters(
  channel: Pick<ConfirmChannel, 'assertExchange' | 'assertQueue' | 'bindQueue'>,
  names: AmqpNames,
  queueType: QueueType,
): Promise<void> {
  await channel.assertExchange(names.eventsExchange, 'topic', EXCHANGE_OPTIONS);
  await channel.assertExchange(names.deadLetterExchange, 'topic', EXCHANGE_OPTIONS);
  await channel.assertQueue(names.deadLetterQueue, deadLetterQueueOptions(queueType));
  await channel.bindQueue(names.deadLetterQueue, names.deadLetterExchange, '#');
}

/**
 * Moves a message to `<ns>.dead-letter` with the reason headers (x-credroam-*) and announces it with a
 * `message.dead-lettered` event that names the message, never its body. Both publishes are confirmed before this
 * resolves; the caller acknowledges the original only then, so a crash in between duplicates a dead letter but
 * never loses one. The one way credroam dead-letters: the event consumers, the ingress and the RPC servers use it.
 */
export class DeadLetterPublisher {
  constructor(
    private readonly names: AmqpNames,
    private readonly logger: MessagingLogger,
  ) {}

  async deadLetter(channel: ConfirmChannel, message: ConsumeMessage, info: DeadLetterInfo): Promise<void> {
    await publishConfirmed(channel, this.names.deadLetterExchange, info.routingKey, message.content, {
      ...copiedProperties(message.properties),
      headers: {
        ...retainedHeaders(message),
        [MESSAGE_HEADERS.reason]: info.reason,
        [MESSAGE_HEADERS.queue]: info.queue,
        [MESSAGE_HEADERS.attempt]: info.attempt,
        [MESSAGE_HEADERS.routingKey]: info.routingKey,
        [MESSAGE_HEADERS.deadLetteredAt]: new Date().toISOString(),
        ...(info.errorCode ? { [MESSAGE_HEADERS.errorCode]: info.errorCode } : {}),
      },
    });
    // A failing consumer of dead-letter events must not feed itself a new event per dead letter.
    if (info.routingKey === DEAD_LETTERED_EVENT) return;
    const event = createEvent(
      DEAD_LETTERED_EVENT,
      {
        correlationId: info.correlationId ?? randomUUID(),
        user: null,
        machine: null,
        payload: {
          queue: info.queue,
          originalRoutingKey: info.routingKey.slice(0, 255),
          originalMessageId: stringProperty(message.properties.messageId) ?? null,
          reason: info.reason,
          errorCode: info.errorCode,
          attempts: Math.min(Math.max(info.attempt, 1), 1000),
        },
      },
      { id: randomUUID(), now: Date.now() },
    );
    if (!event.ok) {
      this.logger.error(
        { queue: info.queue, reason: info.reason, problem: event.error.message },
        'could not build the dead-letter event',
      );
      return;
    }
    await publishConfirmed(
      channel,
      this.names.eventsExchange,
      DEAD_LETTERED_EVENT,
      Buffer.from(JSON.stringify(event.value)),
      eventPublishOptions(event.value),
    );
  }
}

/** Publishes on a confirm channel; resolves once the broker confirmed, rejects when it refused or the channel is gone. */
export function publishConfirmed(
  channel: ConfirmChannel,
  exchange: string,
  routingKey: string,
  content: Buffer,
  options: Options.Publish,
): Promise<void> {
  return new Promise((resolve, reject) => {
    try {
      channel.publish(exchange, routingKey, content, options, (error: unknown) =>
        error ? reject(error instanceof Error ? error : new Error(String(error))) : resolve(),
      );
    } catch (error) {
      // The channel is closed: the message stays unacknowledged and the broker redelivers it.
      reject(error instanceof Error ? error : new Error(String(error)));
    }
  });
}

export function stringProperty(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 && value.length <= 255 ? value : undefined;
}

/** The properties a republished message keeps, so the copy is traceable like the original. */
export function copiedProperties(properties: MessageProperties): Options.Publish {
  const copy: Options.Publish = { persistent: true };
  if (properties.messageId !== undefined) copy.messageId = String(properties.messageId);
  if (properties.correlationId !== undefined) copy.correlationId = String(properties.correlationId);
  if (properties.contentType !== undefined) copy.contentType = String(properties.contentType);
  if (properties.contentEncoding !== undefined) copy.contentEncoding = String(properties.contentEncoding);
  if (properties.type !== undefined) copy.type = String(properties.type);
  if (typeof properties.timestamp === 'number') copy.timestamp = properties.timestamp;
  if (properties.appId !== undefined) copy.appId = String(properties.appId);
  return copy;
}

/**
 * The original headers minus the broker's dead-lettering history: a republished message carrying `x-death`
 * for the retry queue would look like a dead-letter cycle to RabbitMQ, which then silently drops it.
 */
export function retainedHeaders(message: ConsumeMessage): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(message.properties.headers ?? {}).filter(
      ([name]) =>
        name !== 'x-death' &&
        !name.startsWith('x-first-death-') &&
        !name.startsWith('x-last-death-') &&
        // Set afresh by each retry or dead-letter; a stale one would blame the wrong failure.
        name !== MESSAGE_HEADERS.errorCode,
    ),
  );
}
