// The hostile-input corpus of logon-events' HTTP API (test/corpus/logon-events-http/*.jsonl) against the real
// processes: logon-events, token-crypto and directory-gateway on a throwaway slapd and RabbitMQ. Each case gets its
// documented status and code in the one problem format; after each, a good request still succeeds; at the end the
// directory entries are unchanged and the only events published are refusals.
import { connect } from 'node:net';
import { z } from 'zod';
import { RpcClient } from '@credroam/messaging';
import {
  AGENT_API_PATHS,
  createSessionResponseSchema,
  problemSchema,
  renewalProofMessage,
  syncResponseSchema,
  type CreateSessionResponse,
} from '@credroam/roaming';
import { signDeviceProof } from '@credroam/sealing';
import { expectSchema, loadCorpus } from '../../corpus/corpus';
import { type ServiceProcess } from '../../helpers/service-process';
import { useSlapd } from '../../helpers/slapd';
import {
  filled,
  hostileSessions,
  mapStrings,
  publishedTypes,
  readStates,
  REFUSAL_EVENTS,
  startCorpusStack,
} from '../../support/corpus-fixtures';
import { deviceKey, http, type LogonStack } from '../../support/logon-stack';
import { BrokerProbe, testConfig, testNamespace } from '../../support/messaging-fixtures';

/** Who the request claims to be. */
const AUTH = [
  'none', // no Authorization header
  'alice', // alice's genuine session on ws-01
  'bob', // bob's genuine session on ws-02
  'forged', // alice's claims signed with another key
  'expired', // alice's claims signed with the installation's key, expired
  'edited', // alice's token with its payload edited to name bob, signature kept
] as const;

/** Named generators of inputs too big or too binary to keep in the data. */
const generatorSchema = z.discriminatedUnion('name', [
  // A valid sync whose manifest lists `count` certificates (and optionally as many uploads).
  z.object({
    name: z.literal('syncWithTokens'),
    count: z.number().int().min(1),
    uploads: z.boolean().optional(),
  }),
  // `body` with every "$FILL" string replaced by `char` repeated `length` times.
  z.object({ name: z.literal('fill'), body: z.unknown(), char: z.string(), length: z.number().int().min(1) }),
  // Headers only, announcing a body of `length` bytes (the server must refuse on the announcement).
  z.object({ name: z.literal('declaredLength'), length: z.number().int().min(1) }),
  // `[[[…]]]` nested `depth` deep.
  z.object({ name: z.literal('deepArrays'), depth: z.number().int().min(1) }),
  // A renewal of `session`'s token with a proof by `signer`'s device key, made `ageMs` ago.
  z.object({
    name: z.literal('renewal'),
    session: z.enum(['alice', 'bob', 'expired']),
    signer: z.enum(['alice', 'bob', 'stranger']),
    ageMs: z.number().int(),
    // The same proof sent twice: the case's expectation is for the second.
    replay: z.boolean().optional(),
  }),
]);

const caseSchema = z
  .object({
    name: z.string().min(1),
    request: z
      .object({
        method: z.enum(['GET', 'POST', 'PUT', 'DELETE', 'PATCH']),
        path: z.string().startsWith('/'),
        auth: z.enum(AUTH).default('none'),
        /** A raw Authorization header, instead of `auth`. */
        authorization: z.string().optional(),
        headers: z.record(z.string(), z.string()).optional(),
        /** A JSON body; the strings "$ALICE_DEVICE_KEY", "$ALICE_SESSION" are replaced. */
        body: z.unknown().optional(),
        /** A body sent exactly as written. */
        raw: z.string().optional(),
        gen: generatorSchema.optional(),
      })
      .strict(),
    expect: expectSchema,
  })
  .strict();
type Case = z.output<typeof caseSchema>;

const CASES = loadCorpus('logon-events-http', caseSchema);

describe('the hostile-input corpus against logon-events over HTTP', () => {
  const slapd = useSlapd({
    users: [
      { uid: 'alice', password: 'alice-pass' },
      { uid: 'bob', password: 'bob-pass' },
    ],
  });
  const namespace = testNamespace();
  const alice = deviceKey();
  const bob = deviceKey();
  const stranger = deviceKey();
  let processes: ServiceProcess[] = [];
  let stack: LogonStack;
  let probe: BrokerProbe;
  let events: string;
  let gateway: RpcClient;
  let sessions: Record<'alice' | 'bob', CreateSessionResponse>;
  let tokens: Record<(typeof AUTH)[number], string | null>;
  let before: unknown[];

  const logon = async (user: 'alice' | 'bob', device: typeof alice, machine: string) =>
    createSessionResponseSchema.parse(
      (
        await http(stack.url, 'POST', AGENT_API_PATHS.sessions, {
          body: {
            user,
            password: `${user}-pass`,
            machine,
            devicePublicKey: device.publicKey,
            agentVersion: '0.1.0',
          },
        })
      ).body,
    );

  beforeAll(async () => {
    probe = await BrokerProbe.open(namespace);
    events = await probe.observe('corpus-http', ['#']);
    ({ stack, processes } = await startCorpusStack(slapd(), namespace, 'corpus-http'));
    gateway = new RpcClient(testConfig(namespace), 'directory-gateway');
    await gateway.connect();
    sessions = { alice: await logon('alice', alice, 'ws-01'), bob: await logon('bob', bob, 'ws-02') };
    const hostile = hostileSessions(slapd(), sessions.alice.sessionToken, stack.sessionKey, {
      publicKey: alice.publicKey,
      transport: 'http',
    });
    tokens = {
      none: null,
      alice: sessions.alice.sessionToken,
      bob: sessions.bob.sessionToken,
      forged: hostile.forged,
      expired: hostile.expired,
      edited: hostile.edited,
    };
    before = await readStates(gateway, slapd(), ['alice', 'bob']);
    // The logons above published their events: what the cases publish is counted from here.
    while ((await probe.channel.get(events, { noAck: true })) !== false);
  }, 120_000);

  afterAll(async () => {
    await gateway?.close();
    for (const service of processes) await service.stop();
    await probe?.cleanUp();
  }, 30_000);

  const substitute = (value: unknown): unknown =>
    mapStrings(value, (text) =>
      text
        .replaceAll('$ALICE_DEVICE_KEY', alice.publicKey)
        .replaceAll('$ALICE_SESSION', sessions.alice.sessionToken),
    );

  const generated = (gen: NonNullable<Case['request']['gen']>): string => {
    switch (gen.name) {
      case 'syncWithTokens': {
        const certificates = Array.from({ length: gen.count }, (_, index) => ({
          type: 'certificate',
          id: index.toString(16).toUpperCase().padStart(40, '0'),
          modifiedAt: Date.now() - 1000,
          hash: 'ab'.repeat(32),
          size: 100,
          flags: { archived: false, encryptionKey: false, smartCard: false },
        }));
        return JSON.stringify({
          trigger: 'logon',
          machine: 'ws-01',
          lastStamp: null,
          baseStatus: 'first-use',
          manifest: { tokens: certificates, base: null },
          uploads: gen.uploads
            ? certificates.map(({ type, id }) => ({ type, id, envelope: 'MIIB'.repeat(8) }))
            : [],
        });
      }
      case 'fill':
        return JSON.stringify(substitute(filled(gen.body, gen.char, gen.length)));
      case 'deepArrays':
        return `${'['.repeat(gen.depth)}${']'.repeat(gen.depth)}`;
      case 'renewal':
      case 'declaredLength':
        throw new Error(`${gen.name} is sent on its own`);
    }
  };

  /** A renewal with a device proof, sent once (or twice, the second answered). */
  const renew = async (gen: Extract<NonNullable<Case['request']['gen']>, { name: 'renewal' }>) => {
    const sessionToken = gen.session === 'expired' ? tokens.expired! : sessions[gen.session].sessionToken;
    const signer = { alice, bob, stranger }[gen.signer];
    const issuedAt = Date.now() - gen.ageMs;
    const body = {
      sessionToken,
      proof: {
        issuedAt,
        signature: signDeviceProof(signer.privateKey, issuedAt, renewalProofMessage(sessionToken)),
      },
    };
    const send = () => fetchCase('POST', AGENT_API_PATHS.renewSession, {}, JSON.stringify(body));
    if (gen.replay) await send();
    return send();
  };

  const fetchCase = (method: string, path: string, headers: Record<string, string>, body?: string) =>
    fetch(`${stack.url}${path}`, {
      method,
      headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      body,
    });

  /** Headers announcing a body that never comes: what the server answers before reading it. */
  const announce = (request: Case['request'], token: string | null, length: number): Promise<Response> => {
    const { hostname, port } = new URL(stack.url);
    return new Promise((resolve, reject) => {
      const socket = connect(Number(port), hostname, () =>
        socket.write(
          `${request.method} ${request.path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n` +
            `${token ? `Authorization: Bearer ${token}\r\n` : ''}Content-Length: ${length}\r\n\r\n{`,
        ),
      );
      let answer = '';
      socket.on('data', (chunk) => {
        answer += chunk.toString('latin1');
        const end = answer.indexOf('\r\n\r\n');
        const size = Number(/content-length: (\d+)/i.exec(answer)?.[1] ?? NaN);
        if (end >= 0 && answer.length >= end + 4 + size) socket.destroy();
      });
      socket.on('close', () => {
        const end = answer.indexOf('\r\n\r\n');
        const headers = new Headers();
        for (const line of answer.slice(0, end).split('\r\n').slice(1)) {
          const colon = line.indexOf(':');
          headers.set(line.slice(0, colon), line.slice(colon + 1).trim());
        }
        const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1]);
        resolve(new Response(answer.slice(end + 4), { status, headers }));
      });
      socket.on('error', reject);
    });
  };

  const send = (request: Case['request']): Promise<Response> => {
    if (request.gen?.name === 'renewal') return renew(request.gen);
    if (request.gen?.name === 'declaredLength') {
      return announce(request, tokens[request.auth], request.gen.length);
    }
    const token = tokens[request.auth];
    const authorization = request.authorization ?? (token ? `Bearer ${token}` : undefined);
    const headers = { ...(authorization ? { authorization } : {}), ...request.headers };
    const body =
      request.raw ??
      (request.gen ? generated(request.gen) : undefined) ??
      (request.body === undefined ? undefined : JSON.stringify(substitute(request.body)));
    return fetchCase(request.method, request.path, headers, body);
  };

  it.each(CASES.map((entry) => [entry.name, entry.value] as const))(
    '%s',
    async (_name, { request, expect: want }) => {
      const response = await send(request);
      if (want.status !== undefined && want.status < 300) {
        // A sync the policy blocks, or whose tokens are refused, is answered as a sync that names the code.
        const answer = syncResponseSchema.parse(await response.json());
        expect(response.status).toBe(want.status);
        expect([answer.block?.code, ...answer.rejections.map((rejection) => rejection.code)]).toContain(
          want.code,
        );
      } else {
        const problem = problemSchema.parse(await response.json());
        expect({ status: response.status, code: problem.error.code }).toEqual({
          status: want.status ?? response.status,
          code: want.code,
        });
        expect(response.headers.get('x-correlation-id')).toBe(problem.correlationId);
      }
      // Still serving: alice's next good request succeeds.
      const good = await http(stack.url, 'GET', AGENT_API_PATHS.policy, {
        token: sessions.alice.sessionToken,
      });
      expect(good.status).toBe(200);
    },
  );

  it('wrote nothing: both directory entries unchanged, only refusals published', async () => {
    expect(await readStates(gateway, slapd(), ['alice', 'bob'])).toEqual(before);
    const published = await publishedTypes(probe, events);
    expect(published.filter((type) => !REFUSAL_EVENTS.has(type))).toEqual([]);
    console.log(`corpus logon-events-http: ${CASES.length} cases; events published: ${published.length}`);
  });
});
