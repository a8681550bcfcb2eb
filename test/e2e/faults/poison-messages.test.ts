// Issue 18, bad input refused: a poison message published straight onto each queue credroam consumes (the two RPC
// queues, logon-events' AMQP ingress, audit's event queue) with amqplib: a body that is not JSON, JSON off the queue's
// contract, a body of 3 MB over the services' 1 MiB limit, and a valid request declared as text/plain or
// application/octet-stream. Each is in the dead-letter queue with its reason in the x-credroam-* headers after one
// delivery (never retried), announced by a message.dead-lettered event that does not carry its body, answered on its
// reply_to where it has one, and the next good message on the same queue is served. The services are the built
// ones (dist/), one process each (the fault suites' stack with one replica), on a throwaway slapd and a namespace of
// this suite on the machine's broker.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MESSAGE_HEADERS, RpcClient } from '@credroam/messaging';
import { INGRESS_ROUTING_KEY, RPC_PATTERNS, type RoamingEvent } from '@credroam/roaming';
import type { GetMessage, Options } from 'amqplib';
import { useSlapd, withLdap } from '../../helpers/slapd';
import { waitFor } from '../../helpers/wait-for';
import { OPERATOR_TOKEN } from '../../integration/audit/support/audit-app';
import {
  BrokerProbe,
  brokerUrl,
  exampleEvent,
  testConfig,
  testNamespace,
} from '../../support/messaging-fixtures';
import { FaultStack } from './support/fault-stack';

/** The services' CREDROAM_AMQP_MAX_MESSAGE_BYTES: small, so that "too large" costs the shared broker little. */
const LIMIT = { CREDROAM_AMQP_MAX_MESSAGE_BYTES: String(1024 * 1024) };
const HUGE = 3 * 1024 * 1024;
/** In every poison body, so the suite can check that no event and no reply repeats one. */
const MARKER = 'poison-marker-5d1e';

interface Target {
  name: string;
  queue: () => string;
  publish(content: Buffer, properties: Options.Publish): void;
  /** A request or event of the queue's contract, and one off it. */
  good(): unknown;
  offContract(): unknown;
  /** The refusal's error code in a reply; undefined where the queue answers nothing (events). */
  refusalCode?(reply: GetMessage): string;
  /** Resolves once a good message sent after the poison was served. */
  servesNext(): Promise<void>;
}

interface Poison {
  kind: string;
  reason: string;
  /** null: the contract's own code for the field that is off (INVALID_TIMESTAMP for a bad stamp, ...). */
  errorCode: string | null;
  content(target: Target): Buffer;
  contentType?: string;
}

const json = (value: unknown) => Buffer.from(JSON.stringify(value));

const POISONS: Poison[] = [
  {
    kind: 'a body that is not JSON',
    reason: 'not-json',
    errorCode: 'CONTRACT_VIOLATION',
    content: () => Buffer.from(`{"${MARKER}": [1, 2`),
    contentType: 'application/json',
  },
  {
    kind: 'JSON of the wrong schema',
    reason: 'invalid-message',
    errorCode: null,
    content: (target) => json(target.offContract()),
  },
  {
    kind: 'a body of 3 MB',
    reason: 'too-large',
    errorCode: 'VALUE_TOO_LARGE',
    content: (target) => json({ ...(target.good() as object), padding: MARKER.padEnd(HUGE, 'x') }),
  },
  {
    kind: 'a good body declared as text/plain',
    reason: 'unsupported-content-type',
    errorCode: 'UNSUPPORTED_MEDIA_TYPE',
    content: (target) => json(target.good()),
    contentType: 'text/plain',
  },
  {
    kind: 'a good body declared as application/octet-stream',
    reason: 'unsupported-content-type',
    errorCode: 'UNSUPPORTED_MEDIA_TYPE',
    content: (target) => json(target.good()),
    contentType: 'application/octet-stream',
  },
];

describe('a poison message on any queue is dead-lettered with its reason and announced, and the queue goes on', () => {
  const slapd = useSlapd({ users: [{ uid: 'alice', password: 'alice-pass' }] });
  const namespace = testNamespace();
  let probe: BrokerProbe;
  let dir: string;
  let stack: FaultStack | undefined;
  let gateway: RpcClient;
  let crypto: RpcClient;
  let notices: string;
  let replies: string;
  let aliceBefore: Record<string, unknown>;

  /** alice's entry with its operational attributes: entryCSN and modifyTimestamp change with any write. */
  const aliceEntry = () =>
    withLdap(slapd(), 'admin', async (client) => {
      const { searchEntries } = await client.search(slapd().user('alice').dn, {
        scope: 'base',
        attributes: ['*', '+'],
      });
      return { ...searchEntries[0] };
    });

  const rpcPacket = (pattern: string, payload: unknown) => ({
    pattern,
    id: randomUUID(),
    data: { correlationId: randomUUID(), payload },
  });

  const rpcTarget = (service: 'directory-gateway' | 'token-crypto'): Target => ({
    name: `the ${service} RPC queue`,
    queue: () => probe.names.rpcQueues[service],
    publish: (content, properties) =>
      probe.channel.sendToQueue(probe.names.rpcQueues[service], content, properties),
    good: () =>
      service === 'directory-gateway'
        ? rpcPacket(RPC_PATTERNS.lookupUser, { login: 'alice' })
        : rpcPacket(RPC_PATTERNS.transportCertificate, {}),
    offContract: () =>
      service === 'directory-gateway'
        ? rpcPacket(RPC_PATTERNS.applyChanges, { userDn: slapd().user('alice').dn, add: [MARKER] })
        : rpcPacket(RPC_PATTERNS.sealForStorage, { items: MARKER }),
    refusalCode: (reply) => {
      // What Nest's RMQ client reads: the RpcReply in `response`, the call over.
      const packet = JSON.parse(reply.content.toString()) as {
        response: { ok: boolean; error: { code: string } };
      };
      expect(packet).toMatchObject({ isDisposed: true, response: { ok: false } });
      return packet.response.error.code;
    },
    servesNext: async () => {
      const correlationId = randomUUID();
      if (service === 'directory-gateway') {
        const user = await gateway.call(RPC_PATTERNS.lookupUser, { login: 'alice' }, { correlationId });
        expect(user).toMatchObject({ user: { dn: slapd().user('alice').dn } });
      } else {
        const { certificatePem } = await crypto.call(
          RPC_PATTERNS.transportCertificate,
          {},
          { correlationId },
        );
        expect(certificatePem).toMatch(/BEGIN CERTIFICATE/);
      }
    },
  });

  const ingress: Target = {
    name: "logon-events' AMQP ingress",
    queue: () => probe.names.ingressQueue,
    publish: (content, properties) =>
      probe.channel.publish(probe.names.ingressExchange, INGRESS_ROUTING_KEY, content, properties),
    good: () => ({ kind: 'transport-certificate' }),
    offContract: () => ({ kind: MARKER, body: {} }),
    refusalCode: (reply) => {
      const answer = JSON.parse(reply.content.toString()) as { ok: boolean; error: { code: string } };
      expect(answer.ok).toBe(false);
      return answer.error.code;
    },
    servesNext: async () => {
      const correlationId = randomUUID();
      ingress.publish(json(ingress.good()), {
        correlationId,
        replyTo: replies,
        contentType: 'application/json',
      });
      const reply = await replyTo(correlationId);
      expect(JSON.parse(reply.content.toString())).toMatchObject({
        ok: true,
        value: { transportCertificatePem: expect.stringMatching(/BEGIN CERTIFICATE/) },
      });
    },
  };

  const auditQueue: Target = {
    name: "audit's event queue",
    queue: () => probe.names.queue('audit'),
    publish: (content, properties) =>
      probe.channel.publish(probe.names.eventsExchange, 'token.uploaded', content, properties),
    good: () => exampleEvent('token.uploaded'),
    // Not an event envelope: audit stores any well-formed envelope, even of a payload it cannot read yet.
    offContract: () => ({ id: MARKER, payload: {} }),
    servesNext: async () => {
      const event = exampleEvent('token.uploaded');
      auditQueue.publish(json(event), {
        messageId: event.id,
        contentType: 'application/json',
        persistent: true,
      });
      await waitFor(
        async () => {
          const response = await fetch(`${stack!.auditUrl}/v1/events?type=token.uploaded`, {
            headers: { authorization: `Bearer ${OPERATOR_TOKEN}` },
          });
          const { events } = (await response.json()) as { events: RoamingEvent[] };
          return events.some((stored) => stored.id === event.id) || undefined;
        },
        { timeoutMs: 10_000, intervalMs: 100, description: 'audit to store the good event' },
      );
    },
  };

  const TARGETS = [rpcTarget('directory-gateway'), rpcTarget('token-crypto'), ingress, auditQueue];

  const replyTo = (correlationId: string) =>
    probe.takeMatching(replies, (message) => message.properties.correlationId === correlationId, 10_000);

  beforeAll(async () => {
    probe = await BrokerProbe.open(namespace);
    probe.trackConsumerQueue(probe.names.queue('audit'));
    notices = await probe.observe('poison-notices', ['message.dead-lettered']);
    replies = (await probe.channel.assertQueue('', { exclusive: true })).queue;
    dir = mkdtempSync(join(tmpdir(), 'credroam-poison-'));
    // One replica of each service: the RPC services and audit started together, then logon-events. Quorum queues,
    // as FaultStack declares them: the RPC clients below agree.
    stack = await FaultStack.start({
      slapd: slapd(),
      dir,
      brokerUrl: brokerUrl(),
      namespace,
      replicas: 1,
      env: LIMIT,
    });
    gateway = new RpcClient(testConfig(namespace, { queueType: 'quorum' }), 'directory-gateway');
    crypto = new RpcClient(testConfig(namespace, { queueType: 'quorum' }), 'token-crypto');
    await Promise.all([gateway.connect(), crypto.connect()]);
    aliceBefore = await aliceEntry();
  }, 90_000);

  afterAll(async () => {
    await Promise.allSettled([gateway?.close(), crypto?.close()]);
    await stack?.stop();
    await probe?.cleanUp();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  describe.each(TARGETS.map((target) => [target.name, target] as const))('on %s', (_name, target) => {
    it.each(POISONS.map((poison) => [poison.kind, poison] as const))(
      'dead-letters %s after one delivery, announces it, and serves the next message',
      async (_kind, poison) => {
        const messageId = randomUUID();
        const correlationId = randomUUID();
        const content = poison.content(target);
        target.publish(content, {
          messageId,
          correlationId,
          replyTo: replies,
          persistent: true,
          ...(poison.contentType ? { contentType: poison.contentType } : {}),
        });

        const dead = await probe.takeMatching(
          probe.names.deadLetterQueue,
          (message) => message.properties.messageId === messageId,
          10_000,
        );
        const errorCode = String(dead.properties.headers?.[MESSAGE_HEADERS.errorCode]);
        expect(errorCode).toBe(poison.errorCode ?? errorCode);
        expect(dead.properties.headers).toEqual(
          expect.objectContaining({
            [MESSAGE_HEADERS.reason]: poison.reason,
            [MESSAGE_HEADERS.queue]: target.queue(),
            [MESSAGE_HEADERS.attempt]: 1,
          }),
        );
        // The dead letter is the message as it came, for an operator to look at.
        expect(dead.content.equals(content)).toBe(true);

        const notice = await probe.takeMatching(
          notices,
          (message) => JSON.parse(message.content.toString()).payload.originalMessageId === messageId,
          10_000,
        );
        const event = JSON.parse(notice.content.toString()) as RoamingEvent;
        expect(event).toMatchObject({
          type: 'message.dead-lettered',
          payload: { queue: target.queue(), reason: poison.reason, errorCode, attempts: 1 },
        });
        expect(notice.content.toString()).not.toContain(MARKER);

        if (target.refusalCode) {
          // The RPC caller's id is the AMQP correlation id; the ingress echoes the request's.
          const reply = await replyTo(correlationId);
          expect(target.refusalCode(reply)).toBe(errorCode);
          expect(reply.content.toString()).not.toContain(MARKER);
        }

        await target.servesNext();
      },
      20_000,
    );
  });

  it('left every queue empty and still consumed, and wrote nothing to the directory', async () => {
    for (const target of TARGETS) {
      expect(await probe.readyCount(target.queue())).toBe(0);
      expect(await probe.consumerCount(target.queue())).toBeGreaterThan(0);
    }
    // Refused at once, never scheduled for a retry (the RPC queues have no retry queue at all).
    for (const target of [ingress, auditQueue]) {
      expect(await probe.readyCount(probe.names.retryQueue(target.queue()))).toBe(0);
    }
    expect(await probe.readyCount(probe.names.deadLetterQueue)).toBe(0);
    expect(await aliceEntry()).toEqual(aliceBefore);
  });
});
