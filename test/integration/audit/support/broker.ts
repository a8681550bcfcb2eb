// A private messaging namespace per test run on the shared RabbitMQ, removed again afterwards.
import { randomBytes } from 'node:crypto';
import { amqpConfig, amqpNames, EventPublisher, type AmqpConfig } from '@credroam/messaging';
import amqplib from 'amqplib';

export const AMQP_URL = process.env.CREDROAM_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

export function uniqueNamespace(label: string): string {
  return `audit-test-${label}-${randomBytes(4).toString('hex')}`;
}

export function testAmqpConfig(namespace: string): AmqpConfig {
  return amqpConfig({ url: AMQP_URL, namespace, rpcTimeoutMs: 10_000 });
}

/** Queue depths straight from the broker (null when the queue does not exist). */
export async function queueDepth(queue: string): Promise<number | null> {
  const connection = await amqplib.connect(AMQP_URL);
  try {
    const channel = await connection.createChannel();
    channel.on('error', () => undefined);
    try {
      return (await channel.checkQueue(queue)).messageCount;
    } catch {
      return null;
    }
  } finally {
    await connection.close().catch(() => undefined);
  }
}

/** Publishes raw bytes to the namespace's events exchange (for malformed-message tests). */
export async function publishRaw(namespace: string, routingKey: string, body: Buffer): Promise<void> {
  const connection = await amqplib.connect(AMQP_URL);
  try {
    const channel = await connection.createConfirmChannel();
    await channel.assertExchange(amqpNames(namespace).eventsExchange, 'topic', { durable: true });
    channel.publish(amqpNames(namespace).eventsExchange, routingKey, body, { persistent: true });
    await channel.waitForConfirms();
  } finally {
    await connection.close().catch(() => undefined);
  }
}

/** Deletes every queue and exchange the namespace's audit consumer declares. */
export async function deleteNamespace(namespace: string, queues: string[] = []): Promise<void> {
  const names = amqpNames(namespace);
  const connection = await amqplib.connect(AMQP_URL);
  try {
    const channel = await connection.createChannel();
    const audit = names.queue('audit');
    for (const queue of [audit, names.retryQueue(audit), names.deadLetterQueue, ...queues]) {
      await channel.deleteQueue(queue);
    }
    await channel.deleteExchange(names.eventsExchange);
    await channel.deleteExchange(names.deadLetterExchange);
    await channel.close();
  } finally {
    await connection.close().catch(() => undefined);
  }
}

export async function connectedPublisher(namespace: string): Promise<EventPublisher> {
  const publisher = new EventPublisher(testAmqpConfig(namespace), {
    logger: { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined },
  });
  await publisher.connect();
  return publisher;
}
