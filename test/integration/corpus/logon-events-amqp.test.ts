// The hostile-input corpus of logon-events' AMQP ingress (test/corpus/logon-events-amqp/*.jsonl) against the real
// processes: logon-events, token-crypto and directory-gateway on a throwaway slapd and RabbitMQ. Each message is
// published on the ingress exchange as a hook would publish it; a case with a reply queue gets the documented code
// in the ingress reply contract, with its correlation id echoed; a case without one is consumed and answered
// nowhere (nor dead-lettered, nor looped). After each, a good signed sync still succeeds; at the end the directory
// entries are unchanged, the only events published are refusals and nothing was dead-lettered.
import { randomUUID } from 'node:crypto';
import { type Channel, type GetMessage } from 'amqplib';
import { z } from 'zod';
import { RpcClient } from '@credroam/messaging';
import {
  INGRESS_PROOF_HEADERS,
  INGRESS_ROUTING_KEY,
  ingressReplySchemas,
  renewalProofMessage,
  rpcReplySchema,
  unwrap,
} from '@credroam/roaming';
import {
  decodePem,
  deviceKeyHash,
  parseCertificate,
  sealLogonPassword,
  signDeviceProof,
} from '@credroam/sealing';
import { SessionTokenSigner } from '../../../apps/logon-events/src/sessions/session-token';
import { expectSchema, loadCorpus } from '../../corpus/corpus';
import { type ServiceProcess } from '../../helpers/service-process';
import { useSlapd } from '../../helpers/slapd';
import { waitFor } from '../../helpers/wait-for';
import {
  filled,
  firstUseSync,
  hostileSessions,
  mapStrings,
  publishedTypes,
  readStates,
  REFUSAL_EVENTS,
  startCorpusStack,
} from '../../support/corpus-fixtures';
import { deviceKey, type DeviceKey, type LogonStack } from '../../support/logon-stack';
import { BrokerProbe, testConfig, testNamespace } from '../../support/messaging-fixtures';

/** Whose device key signs a sync or report-event message (INGRESS_PROOF_HEADERS), and how. */
const PROOFS = [
  'alice', // alice's device key, over the exact bytes, now
  'bob', // bob's device key
  'stranger', // a key no session names
  'stale', // alice's key, made 10 minutes ago
  'future', // alice's key, dated 10 minutes ahead
  'other-bytes', // alice's key, over other bytes than those sent
  'replay', // alice's proof sent twice: the case's expectation is for the second
] as const;

/** The strings replaced in a case's content, and what replaces them. */
const PLACEHOLDERS = [
  '$ALICE_SESSION', // alice's session opened over AMQP (device key alice)
  '$BOB_SESSION', // bob's, over AMQP (device key bob)
  '$HTTP_SESSION', // alice's, opened over HTTP: not valid over the broker
  '$FORGED_SESSION', // alice's claims signed with another key
  '$EXPIRED_SESSION', // alice's claims signed with the installation's key, expired
  '$EDITED_SESSION', // alice's AMQP token with its payload edited to name bob, signature kept
  '$ALICE_DEVICE_KEY',
  '$BOB_DEVICE_KEY',
] as const;

/** Named generators of inputs too big, too binary or too time-bound to keep in the data. */
const generatorSchema = z.discriminatedUnion('name', [
  // `content` with every "$FILL" string replaced by `char` repeated `length` times.
  z.object({
    name: z.literal('fill'),
    content: z.unknown(),
    char: z.string(),
    length: z.number().int().min(1),
  }),
  // Bytes given as hex (invalid UTF-8, NUL bytes, a BOM).
  z.object({ name: z.literal('hex'), hex: z.string().regex(/^([0-9a-f]{2})*$/) }),
  // A create-session for `user` whose password is sealed for `login`'s binding by `device`, made `ageMs` ago.
  z.object({
    name: z.literal('sealedLogon'),
    user: z.string(),
    login: z.string(),
    machine: z.string().default('ws-09'),
    password: z.string(),
    device: z.enum(['alice', 'bob']),
    registered: z.enum(['alice', 'bob']),
    ageMs: z.number().int(),
    // The same message sent twice: the case's expectation is for the second.
    replay: z.boolean().optional(),
  }),
  // A renewal of `session` with a body proof by `signer`, made `ageMs` ago.
  z.object({
    name: z.literal('renewal'),
    // unrenewable: expired, and its password logon older than any renewal window.
    session: z.enum(['alice', 'bob', 'http', 'unrenewable']),
    signer: z.enum(['alice', 'bob', 'stranger']),
    ageMs: z.number().int(),
    replay: z.boolean().optional(),
  }),
]);

const caseSchema = z
  .object({
    name: z.string().min(1),
    message: z
      .object({
        /** The JSON content, placeholders replaced. */
        content: z.unknown().optional(),
        /** The content exactly as written. */
        raw: z.string().optional(),
        gen: generatorSchema.optional(),
        proof: z.enum(PROOFS).optional(),
        /** Headers exactly as written (a malformed proof). */
        headers: z.record(z.string(), z.string()).optional(),
        /**
         * Where the answer goes: a queue of the test (default), none, a queue that does not exist, the
         * gateway's RPC queue or the ingress queue itself (a hook naming someone else's queue).
         */
        replyTo: z.enum(['queue', 'none', 'missing-queue', 'gateway-rpc', 'ingress']).default('queue'),
        /** The correlation id property (default a fresh UUID; null: none). */
        correlationId: z.string().max(255).nullable().optional(),
        contentType: z.string().optional(),
      })
      .strict(),
    expect: z.union([
      expectSchema,
      // No reply queue: the message is consumed and answered nowhere.
      z.object({ unanswered: z.literal(true) }).strict(),
    ]),
  })
  .strict();
type Message = z.output<typeof caseSchema>['message'];

const CASES = loadCorpus('logon-events-amqp', caseSchema);

/**
 * Besides refusals: the first of a replayed logon or renewal succeeds (the second is the case), writing nothing;
 * what is not an agent request is dead-lettered and announced.
 */
const ALSO_PUBLISHED = new Set([
  'message.dead-lettered',
  'security.request-refused',
  'session.renewal-refused',
  'session.opened',
  'session.renewed',
]);

/** Any reply of the ingress: the Result of one of its kinds. */
const replySchema = rpcReplySchema(z.unknown());

describe('the hostile-input corpus against the AMQP ingress of logon-events', () => {
  const slapd = useSlapd({
    users: [
      { uid: 'alice', password: 'alice-pass' },
      { uid: 'bob', password: 'bob-pass' },
    ],
  });
  const namespace = testNamespace();
  const devices: Record<'alice' | 'bob' | 'stranger', DeviceKey> = {
    alice: deviceKey(),
    bob: deviceKey(),
    stranger: deviceKey(),
  };
  let processes: ServiceProcess[] = [];
  let stack: LogonStack;
  let probe: BrokerProbe;
  let channel: Channel;
  let replies: string;
  let events: string;
  let gateway: RpcClient;
  let transportPem: string;
  let values: Record<(typeof PLACEHOLDERS)[number], string>;
  let before: unknown[];
  let unrenewable: string;

  /** Publishes on the ingress exchange, as a hook does; resolves with the reply's message, when one is awaited. */
  const publish = async (
    content: Buffer,
    options: {
      replyTo?: string;
      correlationId?: string | null;
      headers?: Record<string, string>;
      contentType?: string;
    },
  ): Promise<void> => {
    const published = channel.publish(probe.names.ingressExchange, INGRESS_ROUTING_KEY, content, {
      ...(options.replyTo ? { replyTo: options.replyTo } : {}),
      ...(options.correlationId === null ? {} : { correlationId: options.correlationId ?? randomUUID() }),
      ...(options.headers ? { headers: options.headers } : {}),
      contentType: options.contentType ?? 'application/json',
    });
    if (!published) await new Promise((resolve) => channel.once('drain', resolve));
  };

  /**
   * A request answered on the suite's reply queue: its one reply, whatever its correlation id (cases run one at a
   * time, and no other message is ever answered there).
   */
  const ask = async (
    content: Buffer,
    options: { correlationId?: string | null; headers?: Record<string, string>; contentType?: string } = {},
  ): Promise<GetMessage> => {
    await publish(content, { ...options, replyTo: replies });
    return waitFor(async () => (await channel.get(replies, { noAck: true })) || undefined, {
      description: 'the ingress reply',
      timeoutMs: 15_000,
    });
  };

  const json = (value: unknown) => Buffer.from(JSON.stringify(value));

  const sealedLogon = (gen: Extract<NonNullable<Message['gen']>, { name: 'sealedLogon' }>): Buffer => {
    const transport = unwrap(parseCertificate(unwrap(decodePem(transportPem))[0]!.der));
    const sealed = unwrap(
      sealLogonPassword(
        {
          login: gen.login,
          deviceKeyHash: deviceKeyHash(devices[gen.device].publicKey),
          issuedAt: Date.now() - gen.ageMs,
        },
        Buffer.from(gen.password, 'utf8'),
        [{ certificate: transport }],
      ),
    ).toString('base64');
    return json({
      kind: 'create-session',
      body: {
        user: gen.user,
        machine: gen.machine,
        devicePublicKey: devices[gen.registered].publicKey,
        agentVersion: '0.1.0',
        sealedPassword: sealed,
      },
    });
  };

  const renewal = (gen: Extract<NonNullable<Message['gen']>, { name: 'renewal' }>): Buffer => {
    const sessionToken = {
      alice: values.$ALICE_SESSION,
      bob: values.$BOB_SESSION,
      http: values.$HTTP_SESSION,
      unrenewable: unrenewable,
    }[gen.session];
    const issuedAt = Date.now() - gen.ageMs;
    const signature = signDeviceProof(
      devices[gen.signer].privateKey,
      issuedAt,
      renewalProofMessage(sessionToken),
    );
    return json({ kind: 'renew-session', body: { sessionToken, proof: { issuedAt, signature } } });
  };

  const substitute = (value: unknown): unknown =>
    mapStrings(value, (text) =>
      PLACEHOLDERS.reduce((done, name) => done.replaceAll(name, values[name]), text),
    );

  const contentOf = (message: Message): Buffer => {
    const gen = message.gen;
    if (message.raw !== undefined) return Buffer.from(message.raw, 'utf8');
    if (gen?.name === 'hex') return Buffer.from(gen.hex, 'hex');
    if (gen?.name === 'sealedLogon') return sealedLogon(gen);
    if (gen?.name === 'renewal') return renewal(gen);
    if (gen?.name === 'fill') return json(substitute(filled(gen.content, gen.char, gen.length)));
    return json(substitute(message.content));
  };

  const proofHeaders = (proof: (typeof PROOFS)[number], content: Buffer): Record<string, string> => {
    const signer = devices[proof === 'bob' || proof === 'stranger' ? proof : 'alice'];
    const issuedAt = Date.now() + (proof === 'stale' ? -600_000 : proof === 'future' ? 600_000 : 0);
    const signed = proof === 'other-bytes' ? Buffer.concat([content, Buffer.from(' ')]) : content;
    return {
      [INGRESS_PROOF_HEADERS.issuedAt]: String(issuedAt),
      [INGRESS_PROOF_HEADERS.signature]: signDeviceProof(signer.privateKey, issuedAt, signed),
    };
  };

  /** A good signed sync of alice's, empty: what a hook sends at logon. */
  const goodSync = async () => {
    const content = json({
      kind: 'sync',
      sessionToken: values.$ALICE_SESSION,
      body: firstUseSync(),
    });
    const reply = await ask(content, { headers: proofHeaders('alice', content) });
    return ingressReplySchemas.sync.parse(JSON.parse(reply.content.toString('utf8')));
  };

  beforeAll(async () => {
    probe = await BrokerProbe.open(namespace);
    channel = probe.channel;
    replies = (await channel.assertQueue('', { exclusive: true, autoDelete: true })).queue;
    events = await probe.observe('corpus-amqp', ['#']);
    ({ stack, processes } = await startCorpusStack(slapd(), namespace, 'corpus-amqp'));
    gateway = new RpcClient(testConfig(namespace), 'directory-gateway');
    await gateway.connect();

    const certificate = ingressReplySchemas['transport-certificate'].parse(
      JSON.parse((await ask(json({ kind: 'transport-certificate' }))).content.toString('utf8')),
    );
    if (!certificate.ok) throw new Error('no transport certificate over AMQP');
    transportPem = certificate.value.transportCertificatePem;
    const open = async (user: 'alice' | 'bob') => {
      const gen = {
        name: 'sealedLogon',
        user,
        login: user,
        password: `${user}-pass`,
        device: user,
        machine: user === 'alice' ? 'ws-01' : 'ws-02',
      } as const;
      const reply = ingressReplySchemas['create-session'].parse(
        JSON.parse((await ask(sealedLogon({ ...gen, registered: user, ageMs: 0 }))).content.toString('utf8')),
      );
      if (!reply.ok) throw new Error(`create-session over AMQP failed: ${JSON.stringify(reply.error)}`);
      return reply.value.sessionToken;
    };
    const aliceSession = await open('alice');
    const bobSession = await open('bob');
    const overHttp = await fetch(`${stack.url}/v1/sessions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        user: 'alice',
        password: 'alice-pass',
        machine: 'ws-01',
        devicePublicKey: devices.alice.publicKey,
        agentVersion: '0.1.0',
      }),
    });
    const httpSession = ((await overHttp.json()) as { sessionToken: string }).sessionToken;
    const hostile = hostileSessions(slapd(), aliceSession, stack.sessionKey, {
      publicKey: devices.alice.publicKey,
      transport: 'amqp',
    });
    values = {
      $ALICE_SESSION: aliceSession,
      $BOB_SESSION: bobSession,
      $HTTP_SESSION: httpSession,
      $FORGED_SESSION: hostile.forged,
      $EXPIRED_SESSION: hostile.expired,
      $EDITED_SESSION: hostile.edited,
      $ALICE_DEVICE_KEY: devices.alice.publicKey,
      $BOB_DEVICE_KEY: devices.bob.publicKey,
    };
    unrenewable = new SessionTokenSigner(stack.sessionKey).sign({
      ...hostile.claims,
      authAt: Date.now() - 400 * 86_400_000,
      exp: Date.now() - 1,
    });
    before = await readStates(gateway, slapd(), ['alice', 'bob']);
    while ((await probe.channel.get(events, { noAck: true })) !== false);
  }, 120_000);

  afterAll(async () => {
    await gateway?.close();
    for (const service of processes) await service.stop();
    await probe?.cleanUp();
  }, 30_000);

  it.each(CASES.map((entry) => [entry.name, entry.value] as const))(
    '%s',
    async (_name, { message, expect: want }) => {
      const content = contentOf(message);
      const headers = {
        ...(message.proof ? proofHeaders(message.proof, content) : {}),
        ...message.headers,
      };
      const options = {
        headers,
        ...(message.correlationId === undefined ? {} : { correlationId: message.correlationId }),
        ...(message.contentType ? { contentType: message.contentType } : {}),
      };
      const replay =
        message.proof === 'replay' || (message.gen && 'replay' in message.gen && message.gen.replay);
      if (replay) await ask(content, options);
      if ('unanswered' in want) {
        const replyTo = {
          queue: undefined,
          none: undefined,
          'missing-queue': `corpus-no-such-queue-${randomUUID()}`,
          'gateway-rpc': probe.names.rpcQueues['directory-gateway'],
          ingress: probe.names.ingressQueue,
        }[message.replyTo];
        await publish(content, { ...options, ...(replyTo ? { replyTo } : {}) });
      } else {
        const deadLettersBefore = await probe.readyCount(probe.names.deadLetterQueue);
        const reply = await ask(content, options);
        const answer = replySchema.parse(JSON.parse(reply.content.toString('utf8')));
        expect(answer.ok ? 'ok' : answer.error.code).toBe(want.code);
        if (message.correlationId !== null) {
          expect(typeof reply.properties.correlationId).toBe('string');
        }
        if (typeof message.correlationId === 'string') {
          expect(reply.properties.correlationId).toBe(message.correlationId);
        }
        // What is not an agent request at all is dead-lettered as well as answered; a request with a bad field
        // is only answered, as over HTTP.
        const deadLettered = want.code === 'CONTRACT_VIOLATION' ? 1 : 0;
        await waitFor(
          async () =>
            (await probe.readyCount(probe.names.deadLetterQueue)) === deadLettersBefore + deadLettered,
          { description: `${deadLettered} message(s) dead-lettered`, timeoutMs: 5_000 },
        );
      }
      // Still serving: alice's next good signed sync succeeds.
      expect(await goodSync()).toMatchObject({ ok: true });
      // Nothing left waiting: a reply sent into the ingress itself is consumed like any message without reply-to.
      await waitFor(async () => (await probe.readyCount(probe.names.ingressQueue)) === 0, {
        description: 'an empty ingress queue',
        timeoutMs: 5_000,
      });
      expect(await probe.readyCount(replies)).toBe(0);
    },
    20_000,
  );

  it('wrote nothing: both entries unchanged, only refusals published, each dead letter announced', async () => {
    expect(await readStates(gateway, slapd(), ['alice', 'bob'])).toEqual(before);
    const published = await publishedTypes(probe, events);
    expect(published.filter((type) => !REFUSAL_EVENTS.has(type) && !ALSO_PUBLISHED.has(type))).toEqual([]);
    expect(published.filter((type) => type === 'message.dead-lettered')).toHaveLength(
      await probe.readyCount(probe.names.deadLetterQueue),
    );
    console.log(`corpus logon-events-amqp: ${CASES.length} cases; events published: ${published.length}`);
  });
});
