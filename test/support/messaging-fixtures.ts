// Shared by the messaging suites: a unique namespace per suite, a logger that records instead of printing, a
// janitor that deletes every queue and exchange a suite created, and a TCP proxy to cut connections at will.
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, connect as tcpConnect, type AddressInfo, type Server, type Socket } from 'node:net';
import { createEvent, EVENT_TYPES, unwrap, type EventType, type RoamingEvent } from '@credroam/roaming';
import { EVENT_EXAMPLES } from '@credroam/roaming/contracts/testing/event-examples';
import {
  amqpConfig,
  amqpNames,
  type AmqpConfig,
  type AmqpNames,
  type MessagingLogger,
} from '@credroam/messaging';
import amqplib, { type Channel, type ChannelModel, type GetMessage } from 'amqplib';
import { waitFor } from '../helpers/wait-for';

/** Read at each use, so a suite can move its services to a vhost of its own (see TracedVhost). */
export function brokerUrl(): string {
  return process.env.CREDROAM_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
}

export function testNamespace(): string {
  return `credroam-test-${randomBytes(4).toString('hex')}`;
}

export function testConfig(namespace: string, overrides: Partial<AmqpConfig> = {}): AmqpConfig {
  return amqpConfig({ url: brokerUrl(), namespace, rpcTimeoutMs: 5_000, ...overrides });
}

export interface LogLine {
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
  fields: Record<string, unknown>;
}

/** Keeps every line for assertions; set MESSAGING_TEST_LOGS=1 to see them. */
export function recordingLogger(): MessagingLogger & { lines: LogLine[]; text(): string } {
  const lines: LogLine[] = [];
  const record =
    (level: LogLine['level']) =>
    (fields: Record<string, unknown>, message: string): void => {
      lines.push({ level, message, fields });
      if (process.env.MESSAGING_TEST_LOGS) console.log(level, message, JSON.stringify(fields));
    };
  return {
    lines,
    text: () => JSON.stringify(lines),
    debug: record('debug'),
    info: record('info'),
    warn: record('warn'),
    error: record('error'),
  };
}

/** A valid event of `type` from the contract examples, with a fresh id. */
export function exampleEvent<T extends EventType>(type: T, correlationId = randomUUID()): RoamingEvent {
  return unwrap(
    createEvent(type, { ...EVENT_EXAMPLES[type], correlationId }, { id: randomUUID(), now: Date.now() }),
  );
}

export function everyExampleEvent(): RoamingEvent[] {
  return EVENT_TYPES.map((type) => exampleEvent(type));
}

/**
 * A direct amqplib connection for the test's own view of the broker: observer queues, raw publishes, and at
 * the end the deletion of everything the suite declared (verified with checkQueue/checkExchange).
 */
export class BrokerProbe {
  readonly names: AmqpNames;
  private readonly queues = new Set<string>();
  private readonly exchanges = new Set<string>();

  private constructor(
    private readonly connection: ChannelModel,
    readonly channel: Channel,
    readonly namespace: string,
  ) {
    this.names = amqpNames(namespace);
    this.track({
      // The ingress is consumed with a retry queue beside it (logon-events declares both).
      queues: [
        this.names.deadLetterQueue,
        this.names.ingressQueue,
        this.names.retryQueue(this.names.ingressQueue),
        ...Object.values(this.names.rpcQueues),
      ],
      exchanges: [
        this.names.eventsExchange,
        this.names.deadLetterExchange,
        this.names.ingressExchange,
        this.names.adminExchange,
      ],
    });
  }

  static async open(namespace: string): Promise<BrokerProbe> {
    const connection = await amqplib.connect(brokerUrl());
    const channel = await connection.createChannel();
    // A failed check on this channel should fail the test that made it, not crash the worker.
    channel.on('error', (error: Error) => console.error(`probe channel closed: ${error.message}`));
    return new BrokerProbe(connection, channel, namespace);
  }

  /** Remembers names declared by the code under test, for cleanup. */
  track({ queues = [], exchanges = [] }: { queues?: string[]; exchanges?: string[] }): void {
    queues.forEach((queue) => this.queues.add(queue));
    exchanges.forEach((exchange) => this.exchanges.add(exchange));
  }

  /** Tracks a consumer queue and its retry queue. */
  trackConsumerQueue(queue: string): void {
    this.track({ queues: [queue, this.names.retryQueue(queue)] });
  }

  /** A queue of the test's own, bound to the events exchange (declared here, so it exists). */
  async observe(name: string, patterns: string[]): Promise<string> {
    const queue = this.names.queue(name);
    this.track({ queues: [queue] });
    await this.channel.assertExchange(this.names.eventsExchange, 'topic', { durable: true });
    await this.channel.assertQueue(queue, { durable: true });
    for (const pattern of patterns) await this.channel.bindQueue(queue, this.names.eventsExchange, pattern);
    return queue;
  }

  /** Takes (and acks) messages from `queue` until `count` have arrived. */
  async take(queue: string, count: number, timeoutMs = 5_000): Promise<GetMessage[]> {
    const taken: GetMessage[] = [];
    await waitFor(
      async () => {
        for (;;) {
          const message = await this.channel.get(queue, { noAck: true });
          if (message === false) break;
          taken.push(message);
        }
        return taken.length >= count;
      },
      { description: `${count} message(s) on ${queue} (have ${taken.length})`, timeoutMs },
    );
    return taken;
  }

  /** Takes (and acks) the messages `queue` holds now, none when it is empty. */
  async drain(queue: string): Promise<GetMessage[]> {
    const taken: GetMessage[] = [];
    for (let message = await this.channel.get(queue, { noAck: true }); message !== false;) {
      taken.push(message);
      message = await this.channel.get(queue, { noAck: true });
    }
    return taken;
  }

  /** Takes messages from `queue` until one matches (the others are dropped). */
  async takeMatching(
    queue: string,
    match: (message: GetMessage) => boolean,
    timeoutMs = 5_000,
  ): Promise<GetMessage> {
    return waitFor(
      async () => {
        for (;;) {
          const message = await this.channel.get(queue, { noAck: true });
          if (message === false) return undefined;
          if (match(message)) return message;
        }
      },
      { description: `a matching message on ${queue}`, timeoutMs },
    );
  }

  async readyCount(queue: string): Promise<number> {
    return (await this.channel.checkQueue(queue)).messageCount;
  }

  /** Consumers on `queue`, 0 when it does not exist (checked on a throwaway channel: a 404 closes it). */
  async consumerCount(queue: string): Promise<number> {
    const channel = await this.connection.createChannel();
    channel.on('error', () => undefined);
    try {
      const { consumerCount } = await channel.checkQueue(queue);
      await channel.close();
      return consumerCount;
    } catch {
      return 0;
    }
  }

  /** Deletes every tracked queue and exchange, then checks (on fresh channels, since a 404 closes one) that
   * none is left. */
  async cleanUp(): Promise<void> {
    for (const queue of this.queues) await this.channel.deleteQueue(queue);
    for (const exchange of this.exchanges) await this.channel.deleteExchange(exchange);
    const leftovers: string[] = [];
    for (const [kind, name] of [
      ...[...this.queues].map((name) => ['queue', name] as const),
      ...[...this.exchanges].map((name) => ['exchange', name] as const),
    ]) {
      const probe = await this.connection.createChannel();
      probe.on('error', () => undefined);
      try {
        if (kind === 'queue') await probe.checkQueue(name);
        else await probe.checkExchange(name);
        leftovers.push(`${kind} ${name}`);
        await probe.close();
      } catch {
        // 404: gone, and the broker closed the probe channel.
      }
    }
    await this.connection.close();
    if (leftovers.length > 0) throw new Error(`left behind on the broker: ${leftovers.join(', ')}`);
  }
}

/**
 * A TCP proxy in front of the broker, to fail the network at will: drop() cuts every connection through it (the
 * clients reconnect at once), cut() also refuses new connections until restore().
 */
export class TcpProxy {
  private constructor(
    private readonly server: Server,
    private readonly sockets: Set<Socket>,
    private readonly state: { refusing: boolean },
  ) {}

  static async start(target = new URL(brokerUrl())): Promise<TcpProxy> {
    const sockets = new Set<Socket>();
    const state = { refusing: false };
    const server = createServer((client) => {
      if (state.refusing) {
        client.destroy();
        return;
      }
      const upstream = tcpConnect(Number(target.port || 5672), target.hostname);
      for (const socket of [client, upstream]) {
        sockets.add(socket);
        socket.on('close', () => sockets.delete(socket));
        socket.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return new TcpProxy(server, sockets, state);
  }

  /** The broker URL through this proxy. */
  url(): string {
    const url = new URL(brokerUrl());
    url.port = String((this.server.address() as AddressInfo).port);
    return url.toString();
  }

  /** Connections currently open through the proxy. */
  get connections(): number {
    return this.sockets.size / 2;
  }

  drop(): void {
    for (const socket of this.sockets) socket.destroy();
  }

  cut(): void {
    this.state.refusing = true;
    this.drop();
  }

  restore(): void {
    this.state.refusing = false;
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** A promise the test resolves when it pleases: keeps a handler "running" for as long as needed. */
export function gate(): { promise: Promise<void>; open(): void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}
