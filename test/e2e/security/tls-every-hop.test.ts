// TLS on every hop (DESIGN.md section 7a, issue 16), with a CA this suite makes: a private RabbitMQ that speaks
// only amqps://, slapd over LDAPS, logon-events and audit over HTTPS, every service presenting a client
// certificate to the broker, and the agent logging on over HTTPS and over AMQPS with --ca-file. Clients that do not
// trust the CA are refused, a service without the CA does not start and says which variable to set, and the agent
// refuses a plain server off loopback before it connects. Needs the build (dist/) and root (the private broker).
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { get as httpsGet } from 'node:https';
import { type AddressInfo } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { tlsFailureOf } from '@credroam/platform';
import { createCa, issueCertificate } from '../../../scripts/lib/tls-ca.cjs';
import { OpensslWorkspace } from '../../helpers/openssl';
import { startPrivateRabbitMq, type PrivateRabbitMq } from '../../helpers/private-rabbitmq';
import { startServiceProcess, type ServiceProcess } from '../../helpers/service-process';
import { useSlapd } from '../../helpers/slapd';
import { waitFor } from '../../helpers/wait-for';
import { OPERATOR_TOKEN } from '../../integration/audit/support/audit-app';
import { agent, type AgentRun } from '../../support/agent-cli';
import { serviceChannelKey, startGatewayProcess } from '../../support/gateway-process';
import { testGrants } from '../../support/grants';
import { startLogonStack, type LogonStack } from '../../support/logon-stack';
import { testNamespace } from '../../support/messaging-fixtures';
import { tearDown } from '../../support/teardown';
import { ensureAuditBuilt } from '../audit/support/audit-process';

const ROOT = resolve(__dirname, '..', '..', '..');

// A private broker and five service processes on a busy 2-core machine.
jest.setTimeout(60_000);

/** GET over HTTPS trusting only `ca` (none: the system's CAs): the status and body, or the rejection. */
function get(url: string, ca: string | null, token?: string): Promise<{ status: number; body: string }> {
  return new Promise((done, fail) => {
    const request = httpsGet(
      url,
      {
        ...(ca ? { ca } : {}),
        headers: token ? { authorization: `Bearer ${token}` } : {},
        timeout: 10_000,
      },
      (response) => {
        let body = '';
        response.on('data', (chunk: Buffer) => (body += chunk.toString()));
        response.on('end', () => done({ status: response.statusCode ?? 0, body }));
      },
    );
    request.on('error', fail);
  });
}

/** What `promise` rejected with; a promise that fulfils fails the test. */
const rejection = (promise: Promise<unknown>): Promise<unknown> =>
  promise.then(
    () => Promise.reject(new Error('expected a rejection')),
    (error: unknown) => error,
  );

/** A built service run to its end (it is expected to refuse to start): exit code and everything it printed. */
function runToExit(
  service: string,
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; output: string }> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [join(ROOT, 'scripts', 'lib', 'run-service.cjs'), service],
      { cwd: ROOT, env: { ...process.env, ...env }, timeout: 30_000 },
      (error, stdout, stderr) =>
        done({ code: error ? ((error as { code?: number }).code ?? null) : 0, output: `${stdout}${stderr}` }),
    );
  });
}

/** This machine's first address that is not loopback, or a documentation address nothing answers on. */
function nonLoopbackAddress(): { address: string; real: boolean } {
  for (const entries of Object.values(networkInterfaces())) {
    const found = entries?.find((entry) => entry.family === 'IPv4' && !entry.internal);
    if (found) return { address: found.address, real: true };
  }
  return { address: '192.0.2.1', real: false };
}

const oneLine = (run: AgentRun) => run.stderr.trimEnd().split('\n');

describe('TLS on every hop, with the suite’s own CA', () => {
  // Made while Jest collects the suite: slapd's options need the files before its beforeAll runs.
  const dir = mkdtempSync(join(tmpdir(), 'credroam-e2e-tls-'));
  const ca = createCa(join(dir, 'ca'), { subject: '/CN=credroam e2e TLS CA' });
  const caPem = readFileSync(ca.certFile, 'utf8');
  const server = issueCertificate(ca, 'server', { hosts: ['127.0.0.1', 'localhost'] });
  const client = issueCertificate(ca, 'service', { usage: 'client', subject: '/CN=credroam-service' });
  const slapd = useSlapd({
    users: [{ uid: 'alice', password: 'alice-pass' }],
    tls: { caFile: ca.certFile, certFile: server.certFile, keyFile: server.keyFile },
  });
  const namespace = testNamespace();
  let broker: PrivateRabbitMq | undefined;
  let gateway: ServiceProcess | undefined;
  let stack: LogonStack | undefined;
  let audit: ServiceProcess | undefined;
  let auditUrl = '';
  let workspace: OpensslWorkspace | undefined;
  let channelKeyFile = '';
  const store = (name: string) => join(dir, name);
  const ingress = () => `${broker?.url}?namespace=${namespace}`;
  /** `credroam-agent login` as alice from the workstation (store) `name`; one attempt, no backoff. */
  const loginAs = (name: string, server: string, extra: string[] = []) =>
    agent(
      ['--store', store(name), 'login', '--server', server, '--user', 'alice', '--password-stdin'].concat([
        '--machine',
        name,
        ...extra,
      ]),
      { stdin: 'alice-pass\n', env: { CREDROAM_AGENT_RETRY_ATTEMPTS: '1' } },
    );

  /** What every service gets for the broker: amqps://, the CA, and a client certificate the broker verifies. */
  const amqpEnv = (): Record<string, string> => ({
    CREDROAM_AMQP_URL: broker?.url ?? '',
    CREDROAM_AMQP_NAMESPACE: namespace,
    CREDROAM_AMQP_CA_FILE: ca.certFile,
    CREDROAM_AMQP_CERT_FILE: client.certFile,
    CREDROAM_AMQP_KEY_FILE: client.keyFile,
  });
  const auditEnv = (extra: Record<string, string> = {}): Record<string, string> => ({
    ...amqpEnv(),
    CREDROAM_AUDIT_OPERATOR_TOKEN: OPERATOR_TOKEN,
    CREDROAM_AUDIT_PORT: '0',
    CREDROAM_AUDIT_DB: `sqlite:${join(dir, `audit-${randomBytes(4).toString('hex')}.sqlite`)}`,
    ...extra,
  });

  beforeAll(async () => {
    ensureAuditBuilt();
    workspace = await OpensslWorkspace.create();
    broker = await startPrivateRabbitMq({
      caFile: ca.certFile,
      certFile: server.certFile,
      keyFile: server.keyFile,
      clientCertFile: client.certFile,
      clientKeyFile: client.keyFile,
    });
    channelKeyFile = serviceChannelKey(slapd()).file;
    gateway = await startGatewayProcess(slapd(), namespace, 'tls-gateway', {
      ...amqpEnv(),
      CREDROAM_LDAP_URL: slapd().ldapsUrl ?? '',
      CREDROAM_LDAP_CA_FILE: ca.certFile,
      CREDROAM_SERVICE_CHANNEL_KEY_FILE: channelKeyFile,
    });
    stack = await startLogonStack(
      slapd(),
      namespace,
      channelKeyFile,
      {
        ...amqpEnv(),
        CREDROAM_LOGON_TLS_CERT_FILE: server.certFile,
        CREDROAM_LOGON_TLS_KEY_FILE: server.keyFile,
      },
      undefined,
      {},
      amqpEnv(),
    );
    audit = await startServiceProcess({
      name: 'tls-audit',
      script: 'scripts/lib/run-service.cjs',
      args: ['audit'],
      env: auditEnv({
        CREDROAM_AUDIT_TLS_CERT_FILE: server.certFile,
        CREDROAM_AUDIT_TLS_KEY_FILE: server.keyFile,
      }),
      ready: { line: /audit listening/ },
      readyTimeoutMs: 30_000,
    });
    auditUrl = /"url":"(https?:\/\/[^"]+)"/.exec(audit.output())?.[1] ?? '';
  }, 180_000);

  afterAll(async () => {
    await tearDown({ services: [audit, ...(stack?.processes ?? []), gateway], workspace, dir });
    await broker?.stop();
  }, 60_000);

  it('serves logon-events and audit over HTTPS only, to clients that trust the CA', async () => {
    for (const url of [stack?.url ?? '', auditUrl]) {
      expect(url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      expect(await get(`${url}/health/live`, caPem)).toMatchObject({ status: 200 });
      // The system's CAs do not include the suite's: the handshake fails, nothing is served.
      expect(tlsFailureOf(await rejection(get(`${url}/health/live`, null)))?.kind).toBe('untrusted');
      expect(tlsFailureOf(await rejection(fetch(`${url}/health/live`)))?.kind).toBe('untrusted');
      // No plain listener on the port either.
      await rejection(fetch(`${url.replace('https:', 'http:')}/health/live`));
    }
  });

  it('connects every service to the broker over AMQPS with its client certificate, and the gateway over LDAPS', () => {
    const connections = (
      broker?.ctl(['list_connections', '--no-table-headers', 'ssl', 'peer_cert_subject']) ?? ''
    )
      .trim()
      .split('\n')
      .filter((line) => line.trim() !== '');
    // gateway, token-crypto, logon-events (RPC clients, publisher, ingress consumer), audit (consumer, publisher)
    expect(connections.length).toBeGreaterThanOrEqual(4);
    for (const line of connections) expect(line.split('\t')).toEqual(['true', 'CN=credroam-service']);
    expect(gateway?.output()).toMatch(/"ldap":"ldaps:\/\/127\.0\.0\.1:\d+"/);
  });

  it('logs the agent on and syncs over HTTPS with --ca-file, and without it says what to do', async () => {
    const login = (name: string, extra: string[] = []) => loginAs(name, stack?.url ?? '', extra);
    const untrusted = await login('ws-no-ca');
    expect(untrusted.code).toBe(4);
    expect(oneLine(untrusted)).toEqual([
      expect.stringMatching(
        /^credroam-agent: the certificate of https:\/\/127\.0\.0\.1:\d+ is not trusted \(\w+\): log in again with --ca-file/,
      ),
    ]);

    expect(await login('ws-https', ['--ca-file', ca.certFile])).toMatchObject({ code: 0, stderr: '' });
    const certificate = await workspace!.selfSignedCertificate({
      algorithm: 'p-256',
      subject: '/CN=roams over TLS',
    });
    expect((await agent(['--store', store('ws-https'), 'import', certificate.certFile])).code).toBe(0);
    // The session remembers the CA: a later sync needs no option.
    const sync = await agent(['--store', store('ws-https'), 'sync', '--json']);
    expect({ code: sync.code, stderr: sync.stderr }).toEqual({ code: 0, stderr: '' });
    expect(JSON.parse(sync.stdout)).toMatchObject({ status: 'synced', uploaded: 1 });
  });

  it('logs the agent on over AMQPS to the ingress on the TLS-only broker with --ca-file', async () => {
    const login = (name: string, extra: string[] = []) => loginAs(name, ingress(), extra);
    const untrusted = await login('ws-amqps-no-ca');
    expect(untrusted.code).toBe(4);
    expect(oneLine(untrusted)).toEqual([
      expect.stringMatching(
        /^credroam-agent: the certificate of amqps:\/\/guest:\*\*\*@127\.0\.0\.1:\d+.* is not trusted/,
      ),
    ]);

    expect(await login('ws-amqps', ['--ca-file', ca.certFile])).toMatchObject({ code: 0, stderr: '' });
    const sync = await agent(['--store', store('ws-amqps'), 'sync', '--json']);
    expect({ code: sync.code, stderr: sync.stderr }).toEqual({ code: 0, stderr: '' });
    // What ws-https uploaded arrives here, through the broker.
    expect(JSON.parse(sync.stdout)).toMatchObject({ downloaded: 1 });
  });

  it('stores in audit the events that came over AMQPS, read over HTTPS', async () => {
    const page = await waitFor(
      async () => {
        const { status, body } = await get(
          `${auditUrl}/v1/events?type=sync.completed`,
          caPem,
          OPERATOR_TOKEN,
        );
        const events = status === 200 ? (JSON.parse(body) as { events: unknown[] }).events : [];
        return events.length >= 2 ? events : undefined;
      },
      { description: 'audit to store both syncs', timeoutMs: 15_000, intervalMs: 200 },
    );
    expect(page.length).toBeGreaterThanOrEqual(2);
  });

  it('does not start a service that lacks the CA, and says which variable to set', async () => {
    const withoutCa = auditEnv({ CREDROAM_RPC_TIMEOUT_MS: '3000' });
    delete withoutCa.CREDROAM_AMQP_CA_FILE;
    const { code, output } = await runToExit('audit', withoutCa);
    expect(code).not.toBe(0);
    // The boot error itself says what to set, not only the log lines of each attempt.
    expect(output).toMatch(
      /audit: failed to start: RoamingError: the message broker was not reachable within 3000 ms: the certificate of the broker is not trusted \(\w+\): set CREDROAM_AMQP_CA_FILE to the CA that issued it/,
    );
  });

  it('refuses plain HTTP on a non-loopback address at boot, naming the variables', async () => {
    const sessionKey = join(dir, 'session.key');
    writeFileSync(sessionKey, randomBytes(32).toString('base64'), { mode: 0o600 });
    const { code, output } = await runToExit('logon-events', {
      ...amqpEnv(),
      ...testGrants().issuerEnv,
      CREDROAM_LOGON_HOST: '0.0.0.0',
      CREDROAM_SESSION_KEY_FILE: sessionKey,
      CREDROAM_SERVICE_CHANNEL_KEY_FILE: channelKeyFile,
    });
    expect(code).toBe(2);
    expect(output).toMatch(
      /CREDROAM_LOGON_HOST is 0\.0\.0\.0, not a loopback address, and no certificate is set: serve HTTPS \(CREDROAM_LOGON_TLS_CERT_FILE and CREDROAM_LOGON_TLS_KEY_FILE\) or allow plain HTTP with CREDROAM_LOGON_ALLOW_PLAINTEXT=true/,
    );
  });

  describe('the agent and a plain server on a non-loopback address', () => {
    const { address, real } = nonLoopbackAddress();
    let plain: Server | undefined;
    let connections = 0;
    let port = 9;

    beforeAll(async () => {
      if (!real) return;
      plain = createHttpServer((_request, response) => response.writeHead(503).end());
      plain.on('connection', () => (connections += 1));
      await new Promise<void>((done) => plain?.listen(0, address, done));
      port = (plain.address() as AddressInfo).port;
    });
    afterAll(async () => {
      plain?.closeAllConnections();
      await new Promise((done) => (plain ? plain.close(done) : done(undefined)));
    });

    const login = (server: string, extra: string[] = []) => loginAs('ws-plain', server, extra);

    it.each(['http', 'amqp'])(
      'refuses %s:// there before connecting, in one line saying why and how',
      async (scheme) => {
        const before = connections;
        const refused = await login(`${scheme}://guest:guest@${address}:${port}`);
        expect(refused.code).toBe(2);
        expect(oneLine(refused)).toEqual([
          `credroam-agent: refusing ${scheme}://${address}: a plain ${scheme}:// server that is not on this machine's loopback address would let the network read ${scheme === 'http' ? 'your password' : 'the broker password'} and your session token; use ${scheme}s:// (with --ca-file for a private CA), or pass --insecure to accept it anyway`,
        ]);
        expect(connections).toBe(before);
      },
    );

    it('connects there with --insecure', async () => {
      const before = connections;
      expect((await login(`http://${address}:${port}`, ['--insecure'])).code).toBe(4);
      if (real) expect(connections).toBeGreaterThan(before);
    });
  });
});
