// Connection loss, through a TCP proxy that cuts the network between the code under test and the broker: the
// publisher buffers and republishes, consumers resume, a message held by a lost consumer comes back as a
// counted attempt, and the health check reports the broker without its credentials.
import { checkAmqp, EventConsumer, EventPublisher, type AmqpConfig } from '@credroam/messaging';
import type { RoamingEvent } from '@credroam/roaming';
import { waitFor } from '../../helpers/wait-for';
import {
  brokerUrl,
  BrokerProbe,
  exampleEvent,
  gate,
  recordingLogger,
  TcpProxy,
  testConfig,
  testNamespace,
} from '../../support/messaging-fixtures';

const FAST_RECONNECT = { reconnectDelayMs: 100, heartbeatSeconds: 2 };

describe('messaging across connection loss', () => {
  const namespace = testNamespace();
  const logger = recordingLogger();
  let direct: AmqpConfig;
  let proxied: AmqpConfig;
  let probe: BrokerProbe;
  let proxy: TcpProxy;
  let directPublisher: EventPublisher;
  const closers: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    direct = testConfig(namespace);
    probe = await BrokerProbe.open(namespace);
    proxy = await TcpProxy.start();
    proxied = testConfig(namespace, { url: proxy.url() });
    directPublisher = new EventPublisher(direct, { logger });
    await directPublisher.connect();
  });

  afterEach(() => proxy.restore());

  afterAll(async () => {
    try {
      // Clients first: cutting their network while they close would only make them wait for their close bound.
      await Promise.allSettled([...closers, () => directPublisher?.close()].map((close) => close()));
      await proxy?.close();
    } finally {
      await probe?.cleanUp();
    }
  }, 15_000);

  it('buffers events while the broker is unreachable and publishes them after reconnecting', async () => {
    const observer = await probe.observe('observer-sync', ['sync.self-heal-needed']);
    const publisher = new EventPublisher(proxied, { logger, ...FAST_RECONNECT });
    closers.push(() => publisher.close());
    await publisher.connect();
    const before = exampleEvent('sync.self-heal-needed');
    await publisher.publish(before);

    proxy.cut();
    const during = [exampleEvent('sync.self-heal-needed'), exampleEvent('sync.self-heal-needed')];
    const confirmed = publisher.publishAll(during);
    await waitFor(() => publisher.pending() === 2, { description: 'the events to be buffered' });
    proxy.restore();
    await confirmed;

    const received = await probe.take(observer, 3);
    // A confirm lost with the connection means a resend: at least once, deduplicated by id downstream.
    expect(new Set(received.map((message) => message.properties.messageId))).toEqual(
      new Set([before, ...during].map((event) => event.id)),
    );
    expect(logger.lines.some((line) => line.message.includes('lost the broker connection'))).toBe(true);
  });

  it('gives up on an event with SERVICE_UNAVAILABLE when the broker stays away past the publish timeout', async () => {
    const publisher = new EventPublisher(proxied, { logger, ...FAST_RECONNECT, publishTimeoutMs: 300 });
    closers.push(() => publisher.close());
    await publisher.connect();
    proxy.cut();
    await expect(publisher.publish(exampleEvent('sync.self-heal-needed'))).rejects.toMatchObject({
      code: 'SERVICE_UNAVAILABLE',
    });
    // Closing while the broker is still away (between two failed reconnects) must not hang: close once a
    // reconnect has failed; the test's timeout is the safety net.
    const failedReconnects = () =>
      logger.lines.filter((line) => line.message === 'could not connect to the broker; retrying').length;
    const failedBefore = failedReconnects();
    await waitFor(() => failedReconnects() > failedBefore, { description: 'a failed reconnect' });
    await publisher.close();
  }, 10_000);

  it('restores a channel the broker closed (its exchange was deleted under it) and delivers the event', async () => {
    // A namespace of its own: no other client of this suite may re-declare the exchange meanwhile.
    const isolated = await BrokerProbe.open(testNamespace());
    const publisher = new EventPublisher(testConfig(isolated.namespace), { logger, ...FAST_RECONNECT });
    try {
      await publisher.connect();
      await isolated.channel.deleteExchange(isolated.names.eventsExchange);

      // The publish hits NOT_FOUND, which closes the channel; the publisher reconnects, re-declares, sends again.
      await publisher.publish(exampleEvent('sync.self-heal-needed'));
      expect(logger.lines.some((line) => line.message.includes('channel closed by the broker'))).toBe(true);

      const observer = await isolated.observe('observer', ['sync.self-heal-needed']);
      const again = exampleEvent('sync.self-heal-needed');
      await publisher.publish(again);
      const received = await isolated.take(observer, 1);
      expect(received.map((message) => message.properties.messageId)).toEqual([again.id]);
    } finally {
      await publisher.close();
      await isolated.cleanUp();
    }
  });

  it('re-declares its queue and keeps consuming when the queue is deleted under it', async () => {
    const handled: string[] = [];
    const consumer = new EventConsumer(direct, { logger, ...FAST_RECONNECT });
    closers.push(() => consumer.stop());
    const queue = probe.names.queue('deleted');
    probe.trackConsumerQueue(queue);
    await consumer.start({
      queue,
      bindings: ['token.tombstoned'],
      handle: async (event) => {
        handled.push(event.id);
      },
    });

    await probe.channel.deleteQueue(queue);
    await waitFor(async () => (await probe.consumerCount(queue)) === 1, {
      description: 'the consumer to re-declare its queue',
    });
    const event = exampleEvent('token.tombstoned');
    await directPublisher.publish(event);

    await waitFor(() => handled.includes(event.id), { description: 'an event after the re-declaration' });
  });

  it('resumes consuming after the connection comes back', async () => {
    const handled: string[] = [];
    const consumer = new EventConsumer(proxied, { logger, ...FAST_RECONNECT });
    closers.push(() => consumer.stop());
    const queue = probe.names.queue('resuming');
    probe.trackConsumerQueue(queue);
    await consumer.start({
      queue,
      bindings: ['sync.failed'],
      retryDelayMs: 50,
      handle: async (event) => {
        handled.push(event.id);
      },
    });
    const first = exampleEvent('sync.failed');
    await directPublisher.publish(first);
    await waitFor(() => handled.length === 1, { description: 'the first event' });
    // A round trip on the same connection: the broker has processed the acknowledgement sent before it.
    await consumer.queueDepth();

    proxy.drop();
    const second = exampleEvent('sync.failed');
    await directPublisher.publish(second);

    await waitFor(() => handled.includes(second.id), {
      description: 'the event published during the outage',
    });
    expect(handled).toEqual([first.id, second.id]);
  });

  it('counts a message held by a consumer that lost its connection as an attempt, then handles it again', async () => {
    const release = gate();
    const attempts: { id: string; attempt: number }[] = [];
    const consumer = new EventConsumer(proxied, { logger, ...FAST_RECONNECT });
    closers.push(() => consumer.stop());
    const queue = probe.names.queue('interrupted');
    probe.trackConsumerQueue(queue);
    await consumer.start({
      queue,
      bindings: ['token.purged'],
      retryDelayMs: 50,
      handle: async (event: RoamingEvent, delivery) => {
        attempts.push({ id: event.id, attempt: delivery.attempt });
        if (delivery.attempt === 1) await release.promise;
      },
    });
    const event = exampleEvent('token.purged');
    await directPublisher.publish(event);
    await waitFor(() => attempts.length === 1, { description: 'the first delivery' });

    const lost = () =>
      logger.lines.filter(
        (line) =>
          line.message.includes('lost the broker connection') &&
          line.fields.role === `event-consumer:${queue}`,
      ).length;
    proxy.drop();
    await waitFor(() => lost() === 1, { description: 'the consumer to notice the lost connection' });
    // The interrupted handler finishes, but its channel is gone: the message was never acknowledged.
    release.open();

    await waitFor(() => consumer.stats().acked === 1, { description: 'the retried delivery to be handled' });
    expect(attempts).toEqual([
      { id: event.id, attempt: 1 },
      { id: event.id, attempt: 2 },
    ]);
    expect(consumer.stats().retried).toBe(1);
  });

  it('reports a reachable broker as healthy, naming it without credentials', async () => {
    const health = await checkAmqp(direct);
    expect(health.ok).toBe(true);
    expect(health.detail).toContain('127.0.0.1:5672');
    expect(health.detail).not.toContain('guest:guest');
  });

  it('reports an unreachable broker as down, without its password', async () => {
    const url = new URL(brokerUrl());
    url.password = 'sekret-pw';
    url.port = '1';
    const health = await checkAmqp({ ...direct, url: url.toString() }, 1_000);
    expect(health.ok).toBe(false);
    expect(health.detail).toContain('127.0.0.1:1');
    expect(health.detail).not.toContain('sekret-pw');
  });
});
