import { randomBytes, randomUUID } from 'node:crypto';
import {
  AGENT_API_PATHS,
  AGENT_FEATURES_HEADER,
  changeNoticeSchema,
  createSessionResponseSchema,
  INGRESS_PROOF_HEADERS,
  ingressReplySchemas,
  policyResponseSchema,
  problemSchema,
  SETTLED_CHECK_FEATURE,
  stampModifiedAt,
  syncCheckResponseSchema,
  syncResponseSchema,
  unwrap,
  type RoamingEvent,
  type SyncResponse,
} from '@credroam/roaming';
import { ingressQueue, RpcClient } from '@credroam/messaging';
import {
  decodePem,
  deviceKeyHash,
  openEnvelope,
  openSecret,
  parseCertificate,
  SECRET_PURPOSES,
  sealLogonPassword,
  signDeviceProof,
  tokenHash,
} from '@credroam/sealing';
import { type ServiceProcess } from '../../helpers/service-process';
import { waitFor } from '../../helpers/wait-for';
import { useSlapd } from '../../helpers/slapd';
import { serviceChannelKey, startGatewayProcess } from '../../support/gateway-process';
import { BrokerProbe, testConfig, testNamespace } from '../../support/messaging-fixtures';
import { agentUpload, deviceKey, http, startLogonStack, type LogonStack } from '../../support/logon-stack';

describe('logon-events as its own process with directory-gateway, token-crypto, slapd and RabbitMQ', () => {
  const slapd = useSlapd({
    users: [
      { uid: 'alice', password: 'alice-pass' },
      { uid: 'bob', password: 'bob-pass' },
    ],
  });
  const namespace = testNamespace();
  let processes: ServiceProcess[] = [];
  let stack: LogonStack;
  let probe: BrokerProbe;
  let events: string;
  let gateway: RpcClient;
  const aliceDevice = deviceKey();
  const aliceKey = aliceDevice.publicKey;

  const logon = (user: string, password: string, machine = 'ws-01', devicePublicKey = aliceKey) =>
    http(stack.url, 'POST', AGENT_API_PATHS.sessions, {
      body: { user, password, machine, devicePublicKey, agentVersion: '0.1.0' },
    });
  const emptySync = (lastStamp: string | null = null, base: SyncResponse['base'] | null = null) => ({
    trigger: 'logon',
    machine: 'ws-01',
    lastStamp,
    baseStatus: base ? 'kept' : 'first-use',
    manifest: { tokens: [], base },
    uploads: [],
  });
  const eventsOf = async (correlationId: string, count: number): Promise<RoamingEvent[]> => {
    const messages = await probe.take(events, count, 8_000);
    return messages
      .map((message) => JSON.parse(message.content.toString('utf8')) as RoamingEvent)
      .filter((event) => event.correlationId === correlationId);
  };

  /** The RPCs directory-gateway and token-crypto handled for one correlation id, as `service pattern`. */
  const rpcsHandledFor = (correlationId: string): string[] =>
    processes.flatMap((service) =>
      service
        .logLines()
        .filter((line) => line.msg === 'rpc handled' && line.correlationId === correlationId)
        .map((line) => `${String(line.service)} ${String(line.pattern)}`),
    );

  /** Every event waiting on the observer queue. */
  const drain = async (): Promise<RoamingEvent[]> => {
    const drained: RoamingEvent[] = [];
    for (;;) {
      const message = await probe.channel.get(events, { noAck: true });
      if (message === false) return drained;
      drained.push(JSON.parse(message.content.toString('utf8')) as RoamingEvent);
    }
  };

  beforeAll(async () => {
    probe = await BrokerProbe.open(namespace);
    probe.track({ queues: [ingressQueue(namespace)] });
    events = await probe.observe('logon-events-test', ['#']);
    const key = serviceChannelKey(slapd());
    const gatewayProcess = await startGatewayProcess(slapd(), namespace, 'gateway-logon', {
      CREDROAM_SERVICE_CHANNEL_KEY_FILE: key.file,
    });
    processes.push(gatewayProcess);
    stack = await startLogonStack(slapd(), namespace, key.file, {
      CREDROAM_RATE_CLIENT_BURST: '60',
      CREDROAM_RATE_CLIENT_PER_SECOND: '1',
      CREDROAM_RATE_USER_BURST: '50',
    });
    processes = [...stack.processes, ...processes];
    gateway = new RpcClient(testConfig(namespace), 'directory-gateway');
    await gateway.connect();
  }, 90_000);

  afterAll(async () => {
    await gateway?.close();
    for (const process of processes) await process.stop();
    await probe?.cleanUp();
  }, 30_000);

  it("is ready by terminus' checks, and serves its OpenAPI document at /docs", async () => {
    const ready = await http(stack.url, 'GET', '/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({
      status: 'ok',
      details: {
        broker: { status: 'up' },
        'directory-gateway': { status: 'up' },
        'token-crypto': { status: 'up' },
      },
    });
    const docs = await http(stack.url, 'GET', '/docs');
    expect(docs.body).toMatchObject({ openapi: '3.0.3' });
    expect(Object.keys(docs.body.paths as object)).toEqual(
      expect.arrayContaining([AGENT_API_PATHS.sessions, AGENT_API_PATHS.sync, AGENT_API_PATHS.policy]),
    );
  });

  it('opens a session over HTTP with token, transport certificate, policy and hash key', async () => {
    const answer = await logon('alice', 'alice-pass');
    expect(answer.status).toBe(201);
    const session = createSessionResponseSchema.parse(answer.body);
    expect(session.transportCertificatePem).toContain('BEGIN CERTIFICATE');
    expect(session.policy.policy.enabled).toBe(true);
    const correlationId = answer.headers.get('x-correlation-id') ?? '';
    const [opened] = await eventsOf(correlationId, 1);
    expect(opened).toMatchObject({ type: 'session.opened', user: 'alice', machine: 'ws-01' });
    expect(JSON.stringify(opened)).not.toContain('alice-pass');
    // The request's own log line (pino-http) names the same correlation id, and nothing of the body.
    const logonEvents = stack.processes.find((service) => service.name === 'logon-events')!;
    const requestLine = await waitFor(
      () =>
        logonEvents
          .logLines()
          .find((line) => line.msg === 'request completed' && line.correlationId === correlationId),
      { description: 'the request log line of the logon' },
    );
    expect(requestLine).toMatchObject({
      service: 'logon-events',
      req: { method: 'POST', path: AGENT_API_PATHS.sessions },
      res: { statusCode: 201 },
    });
    expect(JSON.stringify(requestLine)).not.toMatch(/alice-pass|devicePublicKey|authorization/i);
  });

  it('refuses a wrong password with 401 and the problem body', async () => {
    const answer = await logon('alice', 'wrong');
    expect(answer.status).toBe(401);
    expect(problemSchema.parse(answer.body).error.code).toBe('INVALID_CREDENTIALS');
  });

  it('syncs a user with no tokens, then answers up to date on the fast path', async () => {
    const session = createSessionResponseSchema.parse((await logon('alice', 'alice-pass')).body);
    const first = await http(stack.url, 'POST', AGENT_API_PATHS.sync, {
      token: session.sessionToken,
      body: emptySync(),
    });
    expect(first.status).toBe(200);
    const synced = syncResponseSchema.parse(first.body);
    expect(synced.downloads).toEqual([]);
    const second = await http(stack.url, 'POST', AGENT_API_PATHS.sync, {
      token: session.sessionToken,
      body: emptySync(synced.stamp, synced.base),
    });
    const upToDate = syncResponseSchema.parse(second.body);
    expect(upToDate).toMatchObject({ status: 'up-to-date', code: 1, fullResync: null });
    const completed = (await eventsOf(upToDate.correlationId, 2)).find((e) => e.type === 'sync.completed');
    expect(completed).toMatchObject({ code: 1, payload: { upToDate: true } });
  });

  it('uploads a certificate sealed by the agent: token-crypto seals it for storage, the gateway writes it', async () => {
    const session = createSessionResponseSchema.parse((await logon('alice', 'alice-pass')).body);
    const aliceDn = slapd().user('alice').dn;
    const before = await gateway.call(
      'directory.read-state',
      { userDn: aliceDn },
      { correlationId: randomUUID() },
    );
    const { token, upload } = agentUpload(session, aliceDevice, Date.now() - 1000);
    const answer = await http(stack.url, 'POST', AGENT_API_PATHS.sync, {
      token: session.sessionToken,
      body: { ...emptySync(before.stamp), manifest: { tokens: [token], base: null }, uploads: [upload] },
    });
    expect(answer.status).toBe(200);
    const synced = syncResponseSchema.parse(answer.body);
    expect(synced).toMatchObject({ status: 'synced', rejections: [] });
    expect(synced.stamp).not.toBe(before.stamp);
    const after = await gateway.call(
      'directory.read-state',
      { userDn: aliceDn },
      { correlationId: randomUUID() },
    );
    expect(after.stamp).toBe(synced.stamp);
    expect(after.state.entries).toEqual(
      expect.arrayContaining([expect.objectContaining({ id: token.id, hash: token.hash, tombstone: false })]),
    );
    const published = await eventsOf(synced.correlationId, 3);
    expect(published.map((event) => event.type)).toEqual(
      expect.arrayContaining(['sync.started', 'token.uploaded', 'sync.completed']),
    );
    expect(JSON.stringify(published)).not.toContain(upload.envelope.slice(0, 64));
    // The same machine's next logon: nothing new on either side, so the fast path.
    const again = await http(stack.url, 'POST', AGENT_API_PATHS.sync, {
      token: session.sessionToken,
      body: { ...emptySync(synced.stamp, synced.base), manifest: { tokens: [token], base: synced.base } },
    });
    const upToDate = syncResponseSchema.parse(again.body);
    expect(upToDate).toMatchObject({ status: 'up-to-date', stamp: synced.stamp });
    // What it cost, as the services logged it under this sync's correlation id: one directory read, no crypto.
    await waitFor(() => rpcsHandledFor(upToDate.correlationId).length > 0, {
      description: 'the RPC log lines',
    });
    expect(rpcsHandledFor(upToDate.correlationId)).toEqual(['directory-gateway directory.read-state']);
  });

  it('answers the settled check of a workstation that changed nothing from one stamp read, until another machine writes', async () => {
    const session = createSessionResponseSchema.parse((await logon('alice', 'alice-pass')).body);
    // A full sync that leaves nothing for later (everything alice has downloads to this new store) is settled, and
    // says so to an agent that understands the mark; an older agent's strict schema never sees it.
    const fullSync = (headers: Record<string, string>) =>
      http(stack.url, 'POST', AGENT_API_PATHS.sync, {
        token: session.sessionToken,
        body: emptySync(),
        headers,
      });
    expect((await fullSync({})).body).not.toHaveProperty('settled');
    const full = syncResponseSchema.parse(
      (await fullSync({ [AGENT_FEATURES_HEADER]: `future-thing, ${SETTLED_CHECK_FEATURE}` })).body,
    );
    expect(full.settled).toMatch(/^[A-Za-z0-9_-]{22}$/);
    const check = (token: string | undefined, overrides: Record<string, unknown> = {}) =>
      http(stack.url, 'POST', AGENT_API_PATHS.syncCheck, {
        token,
        body: {
          trigger: 'unlock',
          machine: 'ws-01',
          stamp: full.stamp,
          syncedAt: full.base.syncedAt,
          settled: full.settled,
          ...overrides,
        },
      });
    const settled = await check(session.sessionToken);
    expect(settled.status).toBe(200);
    const upToDate = syncCheckResponseSchema.parse(settled.body);
    expect(upToDate).toMatchObject({
      status: 'up-to-date',
      code: 1,
      stamp: full.stamp,
      settled: full.settled,
    });
    if (upToDate.status !== 'up-to-date') return;
    expect(upToDate.syncedAt).toBeGreaterThanOrEqual(full.base.syncedAt);
    // Audited as the completed sync it is; it cost one read of one attribute.
    const published = await eventsOf(upToDate.correlationId, 2);
    expect(published.map((event) => event.type)).toEqual(['sync.started', 'sync.completed']);
    expect(published[1]).toMatchObject({ code: 1, payload: { upToDate: true, trigger: 'unlock' } });
    await waitFor(() => rpcsHandledFor(upToDate.correlationId).length > 0, {
      description: 'the RPC log lines',
    });
    expect(rpcsHandledFor(upToDate.correlationId)).toEqual(['directory-gateway directory.read-stamp']);

    // Not without the session, nor off the contract, nor for another machine.
    expect((await check(undefined)).status).toBe(401);
    expect((await check(session.sessionToken, { settled: 'not a mark' })).status).toBe(400);
    expect((await check(session.sessionToken, { machine: 'ws-02' })).status).toBe(403);
    // Another mark is another policy: a full sync.
    const otherPolicy = syncCheckResponseSchema.parse(
      (await check(session.sessionToken, { settled: 'A'.repeat(22) })).body,
    );
    expect(otherPolicy).toMatchObject({ status: 'changed', reason: 'policy-changed' });

    // Another of alice's machines writes: the check misses, and only the full sync brings the new token.
    const second = createSessionResponseSchema.parse((await logon('alice', 'alice-pass', 'ws-02')).body);
    const { token, upload } = agentUpload(second, aliceDevice, Date.now() - 1000);
    const written = await http(stack.url, 'POST', AGENT_API_PATHS.sync, {
      token: second.sessionToken,
      body: {
        ...emptySync(),
        machine: 'ws-02',
        manifest: { tokens: [token], base: null },
        uploads: [upload],
      },
    });
    expect(syncResponseSchema.parse(written.body).status).toBe('synced');
    const missed = syncCheckResponseSchema.parse((await check(session.sessionToken)).body);
    expect(missed).toMatchObject({ status: 'changed', reason: 'directory-changed' });
    await waitFor(() => rpcsHandledFor(missed.correlationId).length > 0, { description: 'the stamp read' });
    expect(rpcsHandledFor(missed.correlationId)).toEqual(['directory-gateway directory.read-stamp']);
    expect((await drain()).filter((event) => event.correlationId === missed.correlationId)).toEqual([]);
  });

  it('lands concurrent uploads from four machines after compare-and-swap retries', async () => {
    const aliceDn = slapd().user('alice').dn;
    const machines = ['ws-11', 'ws-12', 'ws-13', 'ws-14'];
    const sessions = await Promise.all(
      machines.map(async (machine) => {
        const device = deviceKey();
        const answer = await logon('alice', 'alice-pass', machine, device.publicKey);
        return { machine, device, session: createSessionResponseSchema.parse(answer.body) };
      }),
    );
    const results = await Promise.all(
      sessions.map(({ machine, device, session }) => {
        const { token, upload } = agentUpload(session, device, Date.now() - 1000);
        return http(stack.url, 'POST', AGENT_API_PATHS.sync, {
          token: session.sessionToken,
          body: {
            trigger: 'store-change',
            machine,
            lastStamp: null,
            baseStatus: 'first-use',
            manifest: { tokens: [token], base: null },
            uploads: [upload],
          },
        }).then((answer) => ({ token, answer }));
      }),
    );
    for (const { answer } of results) expect(answer.status).toBe(200);
    const state = await gateway.call(
      'directory.read-state',
      { userDn: aliceDn },
      { correlationId: randomUUID() },
    );
    const ids = state.state.entries.map((entry) => entry.id);
    expect(ids).toEqual(expect.arrayContaining(results.map(({ token }) => token.id)));
    // Events are confirmed before the answer: all of them are on the observer queue by now. The four writers
    // read the same stamp, so lost races were retried, never lost.
    const published = await drain();
    expect(published.some((event) => event.type === 'directory.write-retried')).toBe(true);
  });

  it("delivers a certificate uploaded on one machine to alice's second machine, byte-identical", async () => {
    const first = createSessionResponseSchema.parse(
      (await logon('alice', 'alice-pass', 'ws-01', aliceDevice.publicKey)).body,
    );
    const { token, content, upload } = agentUpload(first, aliceDevice, Date.now() - 500);
    const uploaded = await http(stack.url, 'POST', AGENT_API_PATHS.sync, {
      token: first.sessionToken,
      body: {
        ...emptySync(),
        machine: 'ws-01',
        manifest: { tokens: [token], base: null },
        uploads: [upload],
      },
    });
    expect(uploaded.status).toBe(200);

    const device = deviceKey();
    const second = createSessionResponseSchema.parse(
      (await logon('alice', 'alice-pass', 'ws-02', device.publicKey)).body,
    );
    const answer = await http(stack.url, 'POST', AGENT_API_PATHS.sync, {
      token: second.sessionToken,
      body: { ...emptySync(), machine: 'ws-02' },
    });
    expect(answer.status).toBe(200);
    const synced = syncResponseSchema.parse(answer.body);
    expect(synced.rejections).toEqual([]);
    const download = synced.downloads.find((item) => item.token.id === token.id);
    expect(download?.token).toMatchObject({ type: 'certificate', hash: token.hash });
    const opened = unwrap(
      openEnvelope(Buffer.from(download!.envelope, 'base64'), [{ privateKey: device.privateKey }]),
    );
    expect(opened.equals(content)).toBe(true);
    // Every download opens with this device's key only, and its content matches its keyed hash.
    const hashKey = unwrap(
      openSecret(SECRET_PURPOSES.hashKey, Buffer.from(second.hashKeyEnvelope, 'base64'), [
        { privateKey: device.privateKey },
      ]),
    );
    for (const item of synced.downloads) {
      const plain = unwrap(
        openEnvelope(Buffer.from(item.envelope, 'base64'), [{ privateKey: device.privateKey }]),
      );
      expect(tokenHash(hashKey, plain)).toBe(item.token.hash);
      expect(
        openEnvelope(Buffer.from(item.envelope, 'base64'), [{ privateKey: aliceDevice.privateKey }]).ok,
      ).toBe(false);
    }
    expect(synced.base.entries.map((entry) => entry.id)).toEqual(expect.arrayContaining([token.id]));
  });

  it("wakes alice's waiting workstation, not bob's, when another of alice's machines writes", async () => {
    const waiter = createSessionResponseSchema.parse(
      (await logon('alice', 'alice-pass', 'ws-03', deviceKey().publicKey)).body,
    );
    const bob = createSessionResponseSchema.parse(
      (await logon('bob', 'bob-pass', 'ws-01', deviceKey().publicKey)).body,
    );
    const wait = (token: string | undefined, body: unknown) =>
      http(stack.url, 'POST', AGENT_API_PATHS.changes, { token, body });
    expect((await wait(undefined, { after: null, waitSeconds: 1 })).status).toBe(401);
    const tooLong = await wait(waiter.sessionToken, { after: null, waitSeconds: 600 });
    expect(tooLong.status).toBe(400);
    expect(problemSchema.parse(tooLong.body).error.code).toBe('INVALID_INPUT');

    const after = new Date().toISOString();
    const alicesWait = wait(waiter.sessionToken, { after, waitSeconds: 30 });
    const bobsWait = wait(bob.sessionToken, { after, waitSeconds: 3 });
    const writer = createSessionResponseSchema.parse((await logon('alice', 'alice-pass', 'ws-01')).body);
    const { token, upload } = agentUpload(writer, aliceDevice, Date.now() - 500);
    const uploaded = await http(stack.url, 'POST', AGENT_API_PATHS.sync, {
      token: writer.sessionToken,
      body: { ...emptySync(), manifest: { tokens: [token], base: null }, uploads: [upload] },
    });
    expect(uploaded.status).toBe(200);
    const written = syncResponseSchema.parse(uploaded.body);
    const notice = changeNoticeSchema.parse((await alicesWait).body);
    expect(notice).toEqual({ changed: true, modifiedAt: stampModifiedAt(written.stamp!) });
    expect(changeNoticeSchema.parse((await bobsWait).body)).toEqual({ changed: false, modifiedAt: after });
    // Holding that stamp, alice's workstation waits again.
    const again = await wait(waiter.sessionToken, { after: notice.modifiedAt, waitSeconds: 1 });
    expect(changeNoticeSchema.parse(again.body)).toEqual({ changed: false, modifiedAt: notice.modifiedAt });
  });

  it("never lets alice's session reach bob's entry", async () => {
    const bobDn = slapd().user('bob').dn;
    const before = await gateway.call(
      'directory.read-state',
      { userDn: bobDn },
      { correlationId: randomUUID() },
    );
    const session = createSessionResponseSchema.parse((await logon('alice', 'alice-pass')).body);
    // The request names no user: one that tries is refused by the strict contract.
    const named = await http(stack.url, 'POST', AGENT_API_PATHS.sync, {
      token: session.sessionToken,
      body: { ...emptySync(), userDn: bobDn },
    });
    expect(named.status).toBe(400);
    // A token edited to carry bob's DN no longer verifies.
    const [payload, signature] = session.sessionToken.split('.') as [string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
    const edited = `${Buffer.from(JSON.stringify({ ...claims, dn: bobDn, login: 'bob' })).toString('base64url')}.${signature}`;
    const forged = await http(stack.url, 'POST', AGENT_API_PATHS.sync, { token: edited, body: emptySync() });
    expect(forged.status).toBe(401);
    // Another machine's session cannot sync as this one.
    const otherMachine = await http(stack.url, 'POST', AGENT_API_PATHS.sync, {
      token: session.sessionToken,
      body: { ...emptySync(), machine: 'ws-99' },
    });
    expect(otherMachine.status).toBe(403);
    const after = await gateway.call(
      'directory.read-state',
      { userDn: bobDn },
      { correlationId: randomUUID() },
    );
    expect(after).toEqual(before);
  });

  it('opens a session and syncs over the AMQP ingress with nothing on the broker that a reader could use', async () => {
    const channel = probe.channel;
    const replies = await channel.assertQueue('', { exclusive: true, autoDelete: true });
    const ask = async (message: unknown, headers?: Record<string, string>) => {
      const correlationId = randomUUID();
      channel.sendToQueue(ingressQueue(namespace), Buffer.from(JSON.stringify(message)), {
        replyTo: replies.queue,
        correlationId,
        ...(headers ? { headers } : {}),
      });
      const reply = await probe.takeMatching(
        replies.queue,
        (m) => m.properties.correlationId === correlationId,
        10_000,
      );
      return JSON.parse(reply.content.toString('utf8')) as unknown;
    };
    // The agent learns the transport certificate from the ingress (or has it pinned).
    const certificate = ingressReplySchemas['transport-certificate'].parse(
      await ask({ kind: 'transport-certificate' }),
    );
    if (!certificate.ok) throw new Error('no transport certificate over AMQP');
    const transport = unwrap(
      parseCertificate(unwrap(decodePem(certificate.value.transportCertificatePem))[0]!.der),
    );
    const sealedPassword = (password: string, binding: { device?: string; issuedAt?: number } = {}) =>
      unwrap(
        sealLogonPassword(
          {
            login: 'alice',
            deviceKeyHash: deviceKeyHash(binding.device ?? aliceKey),
            issuedAt: binding.issuedAt ?? Date.now(),
          },
          Buffer.from(password, 'utf8'),
          [{ certificate: transport }],
        ),
      ).toString('base64');
    const createSession = async (sealed: string, devicePublicKey = aliceKey) =>
      ingressReplySchemas['create-session'].parse(
        await ask({
          kind: 'create-session',
          body: {
            user: 'alice',
            machine: 'ws-01',
            devicePublicKey,
            agentVersion: '0.1.0',
            sealedPassword: sealed,
          },
        }),
      );
    const signedSync = async (
      sessionToken: string,
      issuedAt = Date.now(),
      signer = aliceDevice.privateKey,
    ) => {
      const content = Buffer.from(JSON.stringify({ kind: 'sync', sessionToken, body: emptySync() }));
      const headers = {
        [INGRESS_PROOF_HEADERS.issuedAt]: String(issuedAt),
        [INGRESS_PROOF_HEADERS.signature]: signDeviceProof(signer, issuedAt, content),
      };
      return { content, headers };
    };
    const send = async ({ content, headers }: { content: Buffer; headers?: Record<string, string> }) =>
      ingressReplySchemas.sync.parse(await ask(JSON.parse(content.toString('utf8')), headers));

    const password = sealedPassword('alice-pass');
    const created = await createSession(password);
    if (!created.ok) throw new Error(`create-session over AMQP failed: ${JSON.stringify(created.error)}`);
    expect(created.value.transportCertificatePem).toBe(certificate.value.transportCertificatePem);
    const hashKey = unwrap(
      openSecret(SECRET_PURPOSES.hashKey, Buffer.from(created.value.hashKeyEnvelope, 'base64'), [
        { privateKey: aliceDevice.privateKey },
      ]),
    );
    expect(hashKey).toHaveLength(32);
    const token = created.value.sessionToken;
    const signed = await signedSync(token);
    expect(await send(signed)).toMatchObject({ ok: true });

    // A reader of the ingress queue gets nothing usable out of what it saw:
    const refusals: [string, () => Promise<unknown>][] = [
      ['the sealed password for another device', () => createSession(password, deviceKey().publicKey)],
      ['the same sync message again', () => send(signed)],
      ['the token without a device proof', () => send({ content: signed.content })],
      [
        'the token with a proof by another key',
        async () => send(await signedSync(token, Date.now(), deviceKey().privateKey)),
      ],
    ];
    for (const [label, answer] of refusals) {
      expect({ label, answer: await answer() }).toMatchObject({
        label,
        answer: { ok: false, error: { code: 'UNAUTHENTICATED' } },
      });
    }
    // Dated 5 min ago, a captured password or proof is refused as off the server's clock (a replay, or a clock
    // that is off), which says so and names the server's time: a new date needs a new seal or signature.
    const stale: [string, () => Promise<unknown>][] = [
      [
        'a stale sealed password',
        () => createSession(sealedPassword('alice-pass', { issuedAt: Date.now() - 300_000 })),
      ],
      ['a stale proof', async () => send(await signedSync(token, Date.now() - 300_000))],
    ];
    for (const [label, answer] of stale) {
      expect({ label, answer: await answer() }).toMatchObject({
        label,
        answer: { ok: false, error: { code: 'CLOCK_SKEW', message: /300 s behind this server's clock/ } },
      });
    }
    // ...and an AMQP session is not a bearer token over HTTP.
    const overHttp = await http(stack.url, 'GET', AGENT_API_PATHS.policy, { token });
    expect(overHttp.status).toBe(401);
    expect(problemSchema.parse(overHttp.body).error.message).toMatch(/opened over AMQP/);

    expect(await createSession(sealedPassword('wrong-pass'))).toMatchObject({
      ok: false,
      error: { code: 'INVALID_CREDENTIALS' },
    });
    const garbage = await createSession(randomBytes(64).toString('base64'));
    expect(garbage).toMatchObject({ ok: false, error: { code: 'CRYPTO_PARSE_FAILED' } });
    expect(JSON.stringify(garbage)).not.toContain('alice-pass');
    expect(
      await send({
        content: Buffer.from(
          JSON.stringify({ kind: 'sync', sessionToken: 'x'.repeat(40), body: emptySync() }),
        ),
      }),
    ).toMatchObject({
      ok: false,
      error: { code: 'UNAUTHENTICATED' },
    });
  }, 30_000);

  it('returns the policy, then 429 with Retry-After under a burst', async () => {
    const session = createSessionResponseSchema.parse((await logon('alice', 'alice-pass')).body);
    const policy = await http(stack.url, 'GET', AGENT_API_PATHS.policy, { token: session.sessionToken });
    expect(policyResponseSchema.parse(policy.body).policy.enabled).toBe(true);
    const burst = await Promise.all(
      Array.from({ length: 80 }, () =>
        http(stack.url, 'GET', AGENT_API_PATHS.policy, { token: session.sessionToken }),
      ),
    );
    const limited = burst.filter((answer) => answer.status === 429);
    expect(limited.length).toBeGreaterThan(0);
    expect(Number(limited[0]!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(problemSchema.parse(limited[0]!.body).error.code).toBe('RATE_LIMITED');
  });
});
