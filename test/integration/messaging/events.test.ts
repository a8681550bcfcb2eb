// Domain events over the real broker: publisher confirms and message properties, and the consumer's manual
// acknowledgements, bounded retries through the retry queue, and the dead-letter queue with its event.
import { randomUUID } from 'node:crypto';
import { EVENT_TYPES, RoamingError, type RoamingEvent } from '@credroam/roaming';
import {
  EventConsumer,
  EventPublisher,
  MESSAGE_HEADERS,
  type AmqpConfig,
  type EventDelivery,
} from '@credroam/messaging';
import type { GetMessage } from 'amqplib';
import { waitFor } from '../../helpers/wait-for';
import {
  BrokerProbe,
  everyExampleEvent,
  exampleEvent,
  gate,
  recordingLogger,
  testConfig,
  testNamespace,
} from '../../support/messaging-fixtures';

const body = (message: GetMessage): unknown => JSON.parse(message.content.toString('utf8'));

describe('events over RabbitMQ (EventPublisher, EventConsumer)', () => {
  const namespace = testNamespace();
  const logger = recordingLogger();
  let config: AmqpConfig;
  let probe: BrokerProbe;
  let publisher: EventPublisher;
  let deadLetterEvents: string;
  const consumers: EventConsumer[] = [];

  /** A consumer on its own queue, stopped after the suite. */
  async function consume(
    name: string,
    bindings: string[],
    handle: (event: RoamingEvent, delivery: EventDelivery) => Promise<void>,
    options: { maxAttempts?: number; prefetch?: number } = {},
  ): Promise<EventConsumer> {
    const consumer = new EventConsumer(config, { logger });
    consumers.push(consumer);
    const queue = probe.names.queue(name);
    probe.trackConsumerQueue(queue);
    await consumer.start({ queue, bindings, handle, retryDelayMs: 50, ...options });
    return consumer;
  }

  /** The dead-lettered copy of a message, by message id, from `<ns>.dead-letter`. */
  const deadLetterOf = (messageId: string) =>
    probe.takeMatching(probe.names.deadLetterQueue, (message) => message.properties.messageId === messageId);

  /** The message.dead-lettered event naming a message id. */
  const deadLetterEventFor = async (messageId: string) =>
    body(
      await probe.takeMatching(
        deadLetterEvents,
        (message) =>
          (body(message) as RoamingEvent & { payload: { originalMessageId: string } }).payload
            .originalMessageId === messageId,
      ),
    ) as RoamingEvent;

  beforeAll(async () => {
    config = testConfig(namespace);
    probe = await BrokerProbe.open(namespace);
    publisher = new EventPublisher(config, { logger });
    await publisher.connect();
    deadLetterEvents = await probe.observe('dead-letter-events', ['message.dead-lettered']);
  });

  afterAll(async () => {
    try {
      await Promise.allSettled([...consumers.map((consumer) => consumer.stop()), publisher?.close()]);
    } finally {
      await probe?.cleanUp();
    }
  }, 15_000);

  describe('publisher', () => {
    it('delivers every confirmed event with its type as routing key and its id as message id', async () => {
      const observer = await probe.observe('observer-all', ['#']);
      const events = everyExampleEvent();

      await publisher.publishAll(events);

      const received = await probe.take(observer, events.length);
      expect(received).toHaveLength(EVENT_TYPES.length);
      const byId = new Map(received.map((message) => [message.properties.messageId as string, message]));
      for (const event of events) {
        const message = byId.get(event.id)!;
        expect(message.fields.routingKey).toBe(event.type);
        expect(message.properties).toEqual(
          expect.objectContaining({
            deliveryMode: 2,
            contentType: 'application/json',
            correlationId: event.correlationId,
            type: event.type,
            timestamp: Math.floor(Date.parse(event.occurredAt) / 1000),
          }),
        );
        expect(body(message)).toEqual(event);
      }
    });

    it('refuses an invalid event with CONTRACT_VIOLATION and sends nothing', async () => {
      const observer = await probe.observe('observer-sessions', ['session.opened']);
      const valid = exampleEvent('session.opened');
      const smuggling = {
        ...valid,
        payload: { ...valid.payload, password: 'hunter2' },
      } as unknown as RoamingEvent;

      await expect(publisher.publish(smuggling)).rejects.toMatchObject({ code: 'CONTRACT_VIOLATION' });
      // One bad event in a batch stops the whole batch before anything is sent.
      await expect(publisher.publishAll([exampleEvent('session.opened'), smuggling])).rejects.toMatchObject({
        code: 'CONTRACT_VIOLATION',
      });

      // A valid event published afterwards is the only one to arrive.
      const sentinel = exampleEvent('session.opened');
      await publisher.publish(sentinel);
      const received = await probe.take(observer, 1);
      expect(received.map((message) => message.properties.messageId)).toEqual([sentinel.id]);
      expect(await probe.readyCount(observer)).toBe(0);
    });
  });

  describe('consumer', () => {
    it('retries a failing handler and acknowledges once it succeeds', async () => {
      const seen: { id: string; attempt: number; routingKey: string }[] = [];
      const consumer = await consume('flaky', ['sync.started'], async (event, delivery) => {
        seen.push({ id: event.id, attempt: delivery.attempt, routingKey: delivery.routingKey });
        if (seen.length <= 2) throw new Error(`transient failure ${seen.length}`);
      });
      const event = exampleEvent('sync.started');

      await publisher.publish(event);

      await waitFor(() => consumer.stats().acked === 1, { description: 'the event to be handled' });
      expect(seen).toEqual(
        [1, 2, 3].map((attempt) => ({ id: event.id, attempt, routingKey: 'sync.started' })),
      );
      expect(consumer.stats()).toEqual({ delivered: 3, acked: 1, retried: 2, deadLettered: 0, inFlight: 0 });
      await expect(consumer.queueDepth()).resolves.toEqual({
        queue: probe.names.queue('flaky'),
        ready: 0,
        consumers: 1,
        retrying: 0,
      });
    });

    it('dead-letters a message after maxAttempts and publishes message.dead-lettered', async () => {
      let handled = 0;
      const consumer = await consume(
        'always-failing',
        ['sync.completed'],
        async () => {
          handled++;
          throw new Error('the store is down');
        },
        { maxAttempts: 3 },
      );
      const event = exampleEvent('sync.completed');

      await publisher.publish(event);

      const dead = await deadLetterOf(event.id);
      expect(handled).toBe(3);
      expect(dead.fields.routingKey).toBe('sync.completed');
      expect(dead.fields.exchange).toBe(probe.names.deadLetterExchange);
      expect(dead.properties.headers).toEqual(
        expect.objectContaining({
          [MESSAGE_HEADERS.reason]: 'retries-exhausted',
          [MESSAGE_HEADERS.queue]: probe.names.queue('always-failing'),
          [MESSAGE_HEADERS.attempt]: 3,
          [MESSAGE_HEADERS.errorCode]: 'INTERNAL',
        }),
      );
      expect(body(dead)).toEqual(event);

      const notice = await deadLetterEventFor(event.id);
      expect(notice).toEqual(
        expect.objectContaining({
          type: 'message.dead-lettered',
          code: 1001,
          correlationId: event.correlationId,
          payload: {
            queue: probe.names.queue('always-failing'),
            originalRoutingKey: 'sync.completed',
            originalMessageId: event.id,
            reason: 'retries-exhausted',
            errorCode: 'INTERNAL',
            attempts: 3,
          },
        }),
      );
      // The notice can arrive before the consumer has finished its own bookkeeping of the same message.
      await waitFor(() => consumer.stats().inFlight === 0, { description: 'the consumer to settle' });
      expect(consumer.stats()).toEqual({ delivered: 3, acked: 0, retried: 2, deadLettered: 1, inFlight: 0 });
    });

    it('dead-letters at once when the handler throws a non-retryable RoamingError', async () => {
      let handled = 0;
      await consume('rejecting', ['token.conflict'], async () => {
        handled++;
        throw new RoamingError('USER_NOT_FOUND', 'no such user');
      });
      const event = exampleEvent('token.conflict');

      await publisher.publish(event);

      const dead = await deadLetterOf(event.id);
      expect(handled).toBe(1);
      expect(dead.properties.headers).toEqual(
        expect.objectContaining({
          [MESSAGE_HEADERS.reason]: 'rejected',
          [MESSAGE_HEADERS.errorCode]: 'USER_NOT_FOUND',
        }),
      );
      expect(await deadLetterEventFor(event.id)).toMatchObject({
        payload: { reason: 'rejected', errorCode: 'USER_NOT_FOUND', attempts: 1 },
      });
    });

    it('dead-letters malformed JSON and invalid envelopes at once, and keeps consuming', async () => {
      const handled: string[] = [];
      const consumer = await consume('strict', ['token.uploaded'], async (event) => {
        handled.push(event.id);
      });
      const publishRaw = (content: string, messageId: string) =>
        probe.channel.publish(probe.names.eventsExchange, 'token.uploaded', Buffer.from(content), {
          messageId,
          persistent: true,
        });

      publishRaw('{"id": "not json', 'malformed-1');
      const smuggled = exampleEvent('token.uploaded');
      publishRaw(
        JSON.stringify({ ...smuggled, payload: { ...smuggled.payload, content: 'c2VjcmV0' } }),
        'invalid-2',
      );

      for (const [messageId, reason] of [
        ['malformed-1', 'not-json'],
        ['invalid-2', 'invalid-message'],
      ] as const) {
        const dead = await deadLetterOf(messageId);
        expect(dead.properties.headers).toEqual(
          expect.objectContaining({
            [MESSAGE_HEADERS.reason]: reason,
            [MESSAGE_HEADERS.attempt]: 1,
            [MESSAGE_HEADERS.errorCode]: 'CONTRACT_VIOLATION',
          }),
        );
        const notice = await deadLetterEventFor(messageId);
        expect(notice.payload).toEqual(
          expect.objectContaining({
            reason,
            originalRoutingKey: 'token.uploaded',
            attempts: 1,
          }),
        );
        // The notice names the message, never its body.
        expect(JSON.stringify(notice)).not.toContain('c2VjcmV0');
      }

      const valid = exampleEvent('token.uploaded');
      await publisher.publish(valid);
      await waitFor(() => handled.includes(valid.id), { description: 'a valid event after the bad ones' });
      expect(handled).toEqual([valid.id]);
      await waitFor(() => consumer.stats().acked === 1, {
        description: 'the valid event to be acknowledged',
      });
      expect(consumer.stats()).toEqual(expect.objectContaining({ deadLettered: 2, acked: 1 }));
    });

    it('acknowledges only after the handler resolves, and shows the backlog as queue depth', async () => {
      const release = gate();
      let started = 0;
      const consumer = await consume(
        'slow',
        ['policy.limit-exceeded'],
        async () => {
          started++;
          await release.promise;
        },
        { prefetch: 1 },
      );

      await publisher.publishAll([1, 2, 3].map(() => exampleEvent('policy.limit-exceeded')));

      await waitFor(async () => (await consumer.queueDepth()).ready === 2, {
        description: 'a backlog of two',
      });
      expect(started).toBe(1);
      expect(consumer.stats()).toEqual(expect.objectContaining({ delivered: 1, acked: 0, inFlight: 1 }));

      release.open();
      await waitFor(() => consumer.stats().acked === 3, { description: 'all three to be handled' });
      await expect(consumer.queueDepth()).resolves.toEqual(
        expect.objectContaining({ ready: 0, retrying: 0 }),
      );
    });

    it('refuses a queue outside its namespace', async () => {
      const consumer = new EventConsumer(config, { logger });
      await expect(
        consumer.start({ queue: 'someone-else.audit', bindings: ['#'], handle: async () => undefined }),
      ).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    });

    it('hands any well-formed envelope to a consumer that accepts envelopes', async () => {
      const received: string[] = [];
      const consumer = new EventConsumer(config, { logger });
      consumers.push(consumer);
      const queue = probe.names.queue('envelopes');
      probe.trackConsumerQueue(queue);
      await consumer.start({
        queue,
        bindings: ['future.#'],
        accept: 'envelope',
        handle: async (event) => {
          received.push(`${event.type} v${event.version}`);
        },
      });
      const future = {
        ...exampleEvent('sync.started'),
        type: 'future.thing',
        version: 7,
        payload: { any: 1 },
      };
      probe.channel.publish(probe.names.eventsExchange, 'future.thing', Buffer.from(JSON.stringify(future)), {
        messageId: randomUUID(),
      });

      await waitFor(() => received.length === 1, { description: 'the unknown event to be handed over' });
      expect(received).toEqual(['future.thing v7']);
    });
  });
});
