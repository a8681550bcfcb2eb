// What a broker account may do, tried for real: each attempt runs on a channel of its own, and a refusal by the
// broker (403 ACCESS_REFUSED, which closes the channel) is told apart from any other failure.
import amqplib, { type ConfirmChannel } from 'amqplib';
import { waitFor } from '../helpers/wait-for';

export type Access = 'allowed' | 'refused';

/** Runs `operation` as the account of `url`; 'refused' when the broker denies it, any other error is thrown. */
export async function tryAs(
  url: string,
  operation: (channel: ConfirmChannel) => Promise<unknown>,
): Promise<Access> {
  const connection = await amqplib.connect(url);
  connection.on('error', () => undefined);
  let closedBy: Error | undefined;
  try {
    const channel = await connection.createConfirmChannel();
    channel.on('error', (error: Error) => (closedBy = error));
    try {
      await operation(channel);
      // A refused publish closes the channel after the fact; a confirm or a closed channel settles it.
      await channel.waitForConfirms();
    } catch (error) {
      closedBy ??= error as Error;
    }
    if (!closedBy) return 'allowed';
    if (/ACCESS[-_]REFUSED|403/.test(closedBy.message)) return 'refused';
    throw closedBy;
  } finally {
    await connection.close().catch(() => undefined);
  }
}

/** A publish through the default exchange to `queue` (what an RPC request or an ingress reply is). */
export const publishToQueue = (queue: string) => async (channel: ConfirmChannel) => {
  channel.sendToQueue(queue, Buffer.from('{}'));
};

export const publishTo = (exchange: string, routingKey: string) => async (channel: ConfirmChannel) => {
  channel.publish(exchange, routingKey, Buffer.from('{}'));
};

export const consumeFrom = (queue: string) => async (channel: ConfirmChannel) => {
  await channel.consume(queue, () => undefined);
};

export const declareQueue = (queue: string) => async (channel: ConfirmChannel) => {
  await channel.assertQueue(queue, { durable: false, autoDelete: true });
};

/** Waits for an answer on direct reply-to after publishing `content` to `exchange`: a hook's whole round trip. */
export async function askThrough(
  url: string,
  exchange: string,
  routingKey: string,
  content: unknown,
): Promise<unknown> {
  const connection = await amqplib.connect(url);
  try {
    const channel = await connection.createChannel();
    let answer: unknown;
    await channel.consume(
      'amq.rabbitmq.reply-to',
      (message) => {
        if (message) answer = JSON.parse(message.content.toString('utf8'));
      },
      { noAck: true },
    );
    channel.publish(exchange, routingKey, Buffer.from(JSON.stringify(content)), {
      replyTo: 'amq.rabbitmq.reply-to',
      correlationId: 'hook-round-trip',
    });
    return await waitFor(() => answer, { description: 'an answer on direct reply-to', timeoutMs: 15_000 });
  } finally {
    await connection.close().catch(() => undefined);
  }
}
