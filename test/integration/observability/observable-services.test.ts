import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  AGENT_API_PATHS,
  createSessionResponseSchema,
  syncResponseSchema,
  type RoamingEvent,
} from '@credroam/roaming';
import { type SpanRecord } from '@credroam/observability';
import { OpensslWorkspace } from '../../helpers/openssl';
import { type ServiceProcess } from '../../helpers/service-process';
import { useSlapd } from '../../helpers/slapd';
import { waitFor } from '../../helpers/wait-for';
import { serviceChannelKey, startGatewayProcess } from '../../support/gateway-process';
import { expectOk, Workstations } from '../../support/agent-cli';
import { agentUpload, deviceKey, http, startLogonStack, type LogonStack } from '../../support/logon-stack';
import { BrokerProbe, testNamespace } from '../../support/messaging-fixtures';

/** The base URL a broker-only service printed for its health listener (…/health), without the path. */
function listenerOf(service: ServiceProcess): string {
  const health = /"health":"(http:\/\/[^"]+)\/health"/.exec(service.output())?.[1];
  if (!health) throw new Error(`${service.name} did not print its health URL`);
  return health;
}

async function metricsOf(baseUrl: string): Promise<string> {
  const response = await fetch(`${baseUrl}/metrics`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
  return response.text();
}

describe('observable services: traces, /metrics and failed-logon events across the real stack', () => {
  const slapd = useSlapd({ users: [{ uid: 'alice', password: 'alice-pass' }] });
  const namespace = testNamespace();
  let traceFile: string;
  let gateway: ServiceProcess;
  let stack: LogonStack;
  let probe: BrokerProbe;
  let events: string;
  let workspace: OpensslWorkspace | undefined;
  const device = deviceKey();
  const { run, login, sync } = new Workstations(
    () => slapd().dir,
    () => stack.url,
  );

  beforeAll(async () => {
    // Each service appends its finished spans here (CREDROAM_TRACE_FILE, the test-only exporter).
    traceFile = join(slapd().dir, `spans-${randomBytes(4).toString('hex')}.jsonl`);
    probe = await BrokerProbe.open(namespace);
    events = await probe.observe('observability-test', ['logon.#']);
    const key = serviceChannelKey(slapd());
    gateway = await startGatewayProcess(slapd(), namespace, 'gateway-observability', {
      CREDROAM_SERVICE_CHANNEL_KEY_FILE: key.file,
      CREDROAM_GATEWAY_HEALTH_PORT: '0',
      CREDROAM_TRACE_FILE: traceFile,
    });
    stack = await startLogonStack(
      slapd(),
      namespace,
      key.file,
      { CREDROAM_LOGON_FAILURE_THRESHOLD: '2', CREDROAM_LOGON_FAILURE_WINDOW_SECONDS: '600' },
      undefined,
      { CREDROAM_TRACE_FILE: traceFile },
      { CREDROAM_CRYPTO_HEALTH_PORT: '0' },
    );
  }, 90_000);

  afterAll(async () => {
    await workspace?.dispose();
    for (const service of [...(stack?.processes ?? []), gateway]) await service?.stop();
    await probe?.cleanUp();
  });

  const tokenCrypto = () => stack.processes.find((service) => service.name === 'token-crypto')!;

  it('makes one sync one trace, with spans from logon-events, directory-gateway and token-crypto', async () => {
    const logon = await http(stack.url, 'POST', AGENT_API_PATHS.sessions, {
      body: {
        user: 'alice',
        password: 'alice-pass',
        machine: 'ws-01',
        devicePublicKey: device.publicKey,
        agentVersion: '0.1.0',
      },
    });
    expect(logon.status).toBe(201);
    const session = createSessionResponseSchema.parse(logon.body);
    const { token, upload } = agentUpload(session, device, Date.now() - 1000);
    // The agent's side of the trace: a traceparent the test chose, so the trace id is known.
    const traceId = randomBytes(16).toString('hex');
    const response = await fetch(`${stack.url}${AGENT_API_PATHS.sync}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${session.sessionToken}`,
        traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01`,
      },
      body: JSON.stringify({
        trigger: 'logon',
        machine: 'ws-01',
        lastStamp: null,
        baseStatus: 'first-use',
        manifest: { tokens: [token], base: null },
        uploads: [upload],
      }),
    });
    expect(response.status).toBe(200);
    expect(syncResponseSchema.parse(await response.json())).toMatchObject({ status: 'synced' });

    const spans = await waitFor(
      () => {
        const trace = readSpans().filter((span) => span.traceId === traceId);
        const services = new Set(trace.map((span) => span.service));
        return services.size === 3 ? trace : undefined;
      },
      { description: 'spans of the sync from all three services', timeoutMs: 10_000 },
    );
    const http_ = spans.find((span) => span.service === 'logon-events' && span.name === 'HTTP POST /v1/sync');
    expect(http_).toBeDefined();
    // Every span of the other services hangs off a span of this trace: the context crossed the broker.
    const ids = new Set(spans.map((span) => span.spanId));
    const remote = spans.filter((span) => span.service !== 'logon-events');
    expect(remote.map((span) => `${span.service} ${span.name}`)).toEqual(
      expect.arrayContaining([
        'directory-gateway rpc directory.apply-changes',
        'token-crypto rpc crypto.seal-for-storage',
      ]),
    );
    for (const span of remote) expect(ids.has(span.parentSpanId ?? '')).toBe(true);
    // Spans carry patterns, routes and codes: nothing of the upload or the session.
    expect(JSON.stringify(spans)).not.toContain(upload.envelope.slice(0, 64));
    expect(JSON.stringify(spans)).not.toContain(session.sessionToken);
  }, 30_000);

  it.each([
    ['HTTP', () => stack.url],
    ['the AMQP ingress', () => stack.ingressUrl],
  ])(
    "starts the trace at the workstation over %s: the agent's trace id is the one of every service's spans",
    async (transport, server) => {
      workspace ??= await OpensslWorkspace.create();
      const machine = transport === 'HTTP' ? 'ws-trace-http' : 'ws-trace-amqp';
      const certificate = await workspace.selfSignedCertificate({
        algorithm: 'p-256',
        subject: `/CN=${machine}`,
      });
      await login(machine, 'alice', server());
      expectOk(await run(machine, ['import', certificate.certFile]));
      const { traceId } = await sync(machine);
      expect(traceId).toMatch(/^[0-9a-f]{32}$/);

      // The root of the trace is the workstation's span: every span hangs off another one of the trace, except
      // logon-events' first, whose parent is the agent's (which no service made). Waits for that one too: it ends
      // after the answer is sent.
      const rootedIn = (trace: SpanRecord[]) => {
        const ids = new Set(trace.map((span) => span.spanId));
        return trace.filter((span) => !ids.has(span.parentSpanId ?? ''));
      };
      const spans = await waitFor(
        () => {
          const trace = readSpans().filter((span) => span.traceId === traceId);
          const services = new Set(trace.map((span) => span.service));
          return services.size === 3 && rootedIn(trace).length === 1 ? trace : undefined;
        },
        {
          description: `spans of the agent's sync over ${transport} from all three services`,
          timeoutMs: 15_000,
        },
      );
      expect(spans.map((span) => `${span.service} ${span.name}`)).toEqual(
        expect.arrayContaining([
          'directory-gateway rpc directory.apply-changes',
          'token-crypto rpc crypto.seal-for-storage',
        ]),
      );
      const rooted = rootedIn(spans);
      expect(rooted).toEqual([expect.objectContaining({ service: 'logon-events' })]);
      expect(rooted[0]!.parentSpanId).toMatch(/^[0-9a-f]{16}$/);
    },
    60_000,
  );

  it('serves RED metrics on /metrics of every service, with the LDAP pool and broker gauges', async () => {
    const logonMetrics = await metricsOf(stack.url);
    expect(logonMetrics).toMatch(
      /^credroam_http_requests_total\{method="POST",route="\/v1\/sync",status="200"\} [1-9]/m,
    );
    expect(logonMetrics).toMatch(
      /^credroam_http_request_duration_seconds_count\{method="POST",route="\/v1\/sessions"\} [1-9]/m,
    );
    expect(logonMetrics).toMatch(
      /^credroam_rpc_client_requests_total\{pattern="directory.verify-password",outcome="OK"\} [1-9]/m,
    );
    expect(logonMetrics).toMatch(/^credroam_broker_connected\{service="directory-gateway"\} 1/m);
    expect(logonMetrics).toMatch(
      /^credroam_events_published_total\{type="sync.completed",outcome="confirmed"\} [1-9]/m,
    );
    expect(logonMetrics).toMatch(/^process_cpu_user_seconds_total /m);

    const gatewayMetrics = await metricsOf(listenerOf(gateway));
    expect(gatewayMetrics).toMatch(
      /^credroam_rpc_server_requests_total\{pattern="directory.apply-changes",outcome="OK"\} [1-9]/m,
    );
    expect(gatewayMetrics).toMatch(
      /^credroam_rpc_server_duration_seconds_count\{pattern="directory.read-state"\} [1-9]/m,
    );
    expect(gatewayMetrics).toMatch(/^credroam_ldap_pool_connections\{state="configured"\} [1-9]/m);
    expect(gatewayMetrics).toMatch(/^credroam_ldap_pool_connections\{state="open"\} [1-9]/m);

    const cryptoMetrics = await metricsOf(listenerOf(tokenCrypto()));
    expect(cryptoMetrics).toMatch(
      /^credroam_rpc_server_requests_total\{pattern="crypto.seal-for-storage",outcome="OK"\} [1-9]/m,
    );
    // Every HTTP listener documents /metrics in its OpenAPI document.
    for (const url of [stack.url, listenerOf(gateway), listenerOf(tokenCrypto())]) {
      const docs = (await (await fetch(`${url}/docs`)).json()) as {
        openapi: string;
        paths: Record<string, unknown>;
      };
      expect(docs.openapi).toBe('3.0.3');
      expect(Object.keys(docs.paths)).toEqual(expect.arrayContaining(['/health/ready', '/metrics']));
    }
    // The scrape itself is counted by route, like any request to the health listener.
    expect(await metricsOf(listenerOf(tokenCrypto()))).toMatch(
      /^credroam_http_requests_total\{method="GET",route="\/metrics",status="200"\} [1-9]/m,
    );
  });

  it('reports each failed logon with code, user and source but no password, and alerts past the threshold', async () => {
    const attempt = (user: string, password: string) =>
      http(stack.url, 'POST', AGENT_API_PATHS.sessions, {
        body: { user, password, machine: 'ws-02', devicePublicKey: device.publicKey, agentVersion: '0.1.0' },
      });
    const secret = `guess-${randomBytes(6).toString('hex')}`;
    for (const [user, password] of [
      ['alice', secret],
      ['nobody', secret],
      ['alice', secret],
      ['alice', secret],
    ] as const) {
      expect((await attempt(user, password)).status).toBe(401);
    }
    // Threshold 2: the third failure from this address raises the source alert, alice's third the user alert.
    const messages = await probe.take(events, 6, 10_000);
    const published = messages.map((message) => JSON.parse(message.content.toString('utf8')) as RoamingEvent);
    const failed = published.filter((event) => event.type === 'logon.failed');
    expect(failed.map(({ code, user, machine }) => ({ code, user, machine }))).toEqual([
      { code: 4625, user: 'alice', machine: 'ws-02' },
      { code: 4625, user: 'nobody', machine: 'ws-02' },
      { code: 4625, user: 'alice', machine: 'ws-02' },
      { code: 4625, user: 'alice', machine: 'ws-02' },
    ]);
    for (const event of failed) {
      expect(event.payload).toMatchObject({ reason: 'INVALID_CREDENTIALS', transport: 'http' });
      expect(event.payload).toHaveProperty('source', expect.stringMatching(/127\.0\.0\.1|::1/));
    }
    const alerts = published.filter((event) => event.type === 'logon.failures-exceeded');
    expect(
      alerts.map(({ user, payload }) => ({ user, scope: (payload as { scope: string }).scope })),
    ).toEqual(
      expect.arrayContaining([
        { user: 'alice', scope: 'user' },
        { user: null, scope: 'source' },
      ]),
    );
    expect(alerts).toHaveLength(2);
    for (const message of messages) expect(message.content.toString('utf8')).not.toContain(secret);
  }, 30_000);

  function readSpans(): SpanRecord[] {
    if (!existsSync(traceFile)) return [];
    return readFileSync(traceFile, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as SpanRecord);
  }
});
