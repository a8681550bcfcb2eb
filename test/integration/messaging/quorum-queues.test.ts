// CREDROAM_AMQP_QUEUE_TYPE=quorum, as on a RabbitMQ cluster: every durable queue (an RPC queue, a consumer's work,
// retry and dead-letter queues) is declared as a quorum queue by every party, and the behaviour the other suites
// show on classic queues holds: an RPC answered within its TTL, an event retried through the retry queue's
// per-message TTL, a poison message dead-lettered.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { EventConsumer, EventPublisher, RpcClient, type AmqpConfig } from '@credroam/messaging';
import { type RoamingEvent } from '@credroam/roaming';
import { type ServiceProcess, startServiceProcess } from '../../helpers/service-process';
import { waitFor } from '../../helpers/wait-for';
import { testGrants } from '../../support/grants';
import {
  BrokerProbe,
  brokerUrl,
  exampleEvent,
  recordingLogger,
  testConfig,
  testNamespace,
} from '../../support/messaging-fixtures';
import { generateKeys } from '../../../apps/token-crypto/src/keys/key-generator';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const run = promisify(execFile);

/** The type of every queue of the namespace, as the broker reports it. */
async function queueTypes(): Promise<Record<string, string>> {
  const { stdout } = await run('rabbitmqctl', [
    'list_queues',
    '-q',
    '--no-table-headers',
    '-p',
    '/',
    'name',
    'type',
  ]);
  return Object.fromEntries(
    stdout
      .trim()
      .split('\n')
      .map((line) => line.split('\t') as [string, string]),
  );
}

describe('quorum queues (CREDROAM_AMQP_QUEUE_TYPE=quorum)', () => {
  const namespace = testNamespace();
  const logger = recordingLogger();
  let config: AmqpConfig;
  let probe: BrokerProbe;
  let crypto: ServiceProcess | undefined;
  let dir: string;

  beforeAll(async () => {
    config = testConfig(namespace, { queueType: 'quorum' });
    probe = await BrokerProbe.open(namespace);
    dir = mkdtempSync(join(tmpdir(), 'credroam-quorum-'));
    generateKeys(join(dir, 'keys'), { transportKeyBits: 2048 });
    crypto = await startServiceProcess({
      name: 'token-crypto-quorum',
      script: 'scripts/lib/run-service.cjs',
      args: ['token-crypto'],
      env: {
        CREDROAM_AMQP_URL: brokerUrl(),
        CREDROAM_AMQP_NAMESPACE: namespace,
        CREDROAM_AMQP_QUEUE_TYPE: 'quorum',
        CREDROAM_KEY_DIR: join(dir, 'keys'),
        CREDROAM_CRYPTO_HEALTH_PORT: '0',
        ...testGrants().verifierEnv,
      },
      ready: { line: /token-crypto ready/ },
      readyTimeoutMs: 20_000,
    });
  }, 60_000);

  afterAll(async () => {
    await crypto?.stop();
    await probe?.cleanUp();
    rmSync(dir, { recursive: true, force: true });
  });

  it('declares the RPC queue as a quorum queue and answers over it', async () => {
    const client = new RpcClient(config, 'token-crypto', { logger });
    try {
      const health = await client.call('crypto.health', {}, { correlationId: randomUUID() });
      expect(health.status).toBe('ok');
    } finally {
      await client.close();
    }
    expect(await queueTypes()).toMatchObject({ [probe.names.rpcQueues['token-crypto']]: 'quorum' });
  });

  it("answers token-crypto's /health/ready over HTTP: the broker and its key material", async () => {
    const health = /"health":"(http:[^"]+)"/.exec(crypto!.output())?.[1];
    const ready = await fetch(`${health}/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ok', details: { broker: { status: 'up' } } });
  });

  it('retries an event through a quorum retry queue and dead-letters one that keeps failing', async () => {
    const publisher = new EventPublisher(config, { logger });
    const consumer = new EventConsumer(config, { logger });
    const queue = probe.names.queue('quorum-consumer');
    probe.trackConsumerQueue(queue);
    const attempts = new Map<string, number>();
    try {
      await publisher.connect();
      await consumer.start({
        queue,
        bindings: ['token.*'],
        retryDelayMs: 50,
        maxAttempts: 3,
        handle: async (event: RoamingEvent, delivery) => {
          attempts.set(event.id, delivery.attempt);
          if (event.type === 'token.purged' || delivery.attempt === 1) throw new Error('not yet');
        },
      });
      const retried = exampleEvent('token.uploaded');
      const poison = exampleEvent('token.purged');
      await publisher.publishAll([retried, poison]);
      await waitFor(() => attempts.get(retried.id) === 2 && consumer.stats().deadLettered === 1, {
        description: 'a retry handled and the poison message dead-lettered',
        timeoutMs: 15_000,
      });
      const dead = await probe.takeMatching(
        probe.names.deadLetterQueue,
        (message) => message.properties.messageId === poison.id,
      );
      expect(dead.properties.headers?.['x-credroam-dead-letter-reason']).toBe('retries-exhausted');
      expect(await queueTypes()).toMatchObject({
        [queue]: 'quorum',
        [probe.names.retryQueue(queue)]: 'quorum',
        [probe.names.deadLetterQueue]: 'quorum',
      });
    } finally {
      await consumer.stop();
      await publisher.close();
    }
  });
});
