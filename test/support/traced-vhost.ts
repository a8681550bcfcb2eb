// A RabbitMQ vhost of the suite's own with the firehose on: every message published in it (to any exchange,
// the default one and direct reply-to included) is copied to amq.rabbitmq.trace, so a suite can read everything
// that crossed the broker. Deleting the vhost at the end removes every queue and exchange made in it.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import amqplib, { type ChannelModel } from 'amqplib';
import { brokerUrl } from './messaging-fixtures';

const run = promisify(execFile);

async function rabbitmqctl(...args: string[]): Promise<void> {
  try {
    await run('rabbitmqctl', args, { timeout: 30_000 });
  } catch (error) {
    const { stderr } = error as { stderr?: string };
    throw new Error(
      `rabbitmqctl ${args.join(' ')} failed (needs the local broker's CLI, as root): ${stderr}`,
      {
        cause: error,
      },
    );
  }
}

export interface TracedMessage {
  /** Where it was published: `exchange → routing keys`. */
  route: string;
  body: Buffer;
  /** The message's own headers (device proofs travel there). */
  headers: Record<string, unknown>;
}

export class TracedVhost {
  readonly messages: TracedMessage[] = [];

  private constructor(
    readonly name: string,
    readonly url: string,
    private readonly connection: ChannelModel,
    /** Made by create(), so dispose() deletes it; attach() leaves an existing vhost to its owner. */
    private readonly owned: boolean,
  ) {}

  /** Turns the firehose on in an existing vhost, read through `url` (an account allowed to bind there). */
  static async attach(name: string, url: string): Promise<TracedVhost> {
    await rabbitmqctl('trace_on', '-p', name);
    const vhost = new TracedVhost(name, url, await amqplib.connect(url), false);
    await vhost.tap();
    return vhost;
  }

  static async create(): Promise<TracedVhost> {
    const name = `credroam-test-${randomBytes(4).toString('hex')}`;
    await rabbitmqctl('add_vhost', name);
    const url = new URL(brokerUrl());
    url.pathname = `/${encodeURIComponent(name)}`;
    try {
      await rabbitmqctl('set_permissions', '-p', name, decodeURIComponent(url.username), '.*', '.*', '.*');
      await rabbitmqctl('trace_on', '-p', name);
      const connection = await amqplib.connect(url.toString());
      const vhost = new TracedVhost(name, url.toString(), connection, true);
      await vhost.tap();
      return vhost;
    } catch (error) {
      await rabbitmqctl('delete_vhost', name);
      throw error;
    }
  }

  /** Messages published to the exchange or queue named `target` (the default exchange routes by queue name). */
  publishedTo(target: string): TracedMessage[] {
    return this.messages.filter((message) => message.route.includes(target));
  }

  async dispose(): Promise<void> {
    await this.connection.close().catch(() => undefined);
    if (this.owned) await rabbitmqctl('delete_vhost', this.name);
    else await rabbitmqctl('trace_off', '-p', this.name).catch(() => undefined);
  }

  private async tap(): Promise<void> {
    const channel = await this.connection.createChannel();
    const { queue } = await channel.assertQueue('', { exclusive: true });
    // Only what was published: a delivery is the same bytes again.
    await channel.bindQueue(queue, 'amq.rabbitmq.trace', 'publish.#');
    await channel.consume(
      queue,
      (message) => {
        if (!message) return;
        const trace = message.properties.headers ?? {};
        const properties = (trace.properties ?? {}) as { headers?: Record<string, unknown> };
        const routingKeys = (trace.routing_keys ?? []) as unknown[];
        this.messages.push({
          route: `${String(trace.exchange_name) || '(default)'} → ${routingKeys.map(String).join(',')}`,
          body: message.content,
          headers: properties.headers ?? {},
        });
      },
      { noAck: true },
    );
  }
}
