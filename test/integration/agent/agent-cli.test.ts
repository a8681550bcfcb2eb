// Runs bin/credroam-agent as a real process against the real stack: a throwaway slapd, RabbitMQ, directory-gateway,
// token-crypto and logon-events each as its own process, with credential files made by the openssl binary.
// Needs the build (dist/).
import { randomUUID } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { amqpNames, ingressQueue, RpcClient } from '@credroam/messaging';
import { AGENT_API_PATHS, type RoamingEvent } from '@credroam/roaming';
import { SessionTokenSigner } from '../../../apps/logon-events/src/sessions/session-token';
import { OpensslWorkspace, type GeneratedCertificate } from '../../helpers/openssl';
import { type ServiceProcess } from '../../helpers/service-process';
import { useSlapd } from '../../helpers/slapd';
import { waitFor } from '../../helpers/wait-for';
import { agent, expectOk, tokenContent, Workstations } from '../../support/agent-cli';
import { serviceChannelKey, startGatewayProcess } from '../../support/gateway-process';
import { ingressUrl, startLogonStack, type LogonStack } from '../../support/logon-stack';
import { BrokerProbe, testConfig, testNamespace } from '../../support/messaging-fixtures';
import { tearDown } from '../../support/teardown';

const ROOT = resolve(__dirname, '..', '..', '..');

// Every case runs the agent as a process a few times against services on a busy 2-core machine.
jest.setTimeout(30_000);

interface StatusJson {
  tokenDetails: {
    type: string;
    name: string;
    origin: string;
    lastSynced: string | null;
    issue: unknown;
    note: unknown;
  }[];
}

interface SyncJson {
  status: string;
  code: number;
  correlationId: string;
  uploaded: number;
  downloaded: number;
  deleted: number;
  fullResync: string | null;
  selfHealed: boolean;
}

/** A port nothing listens on: bound once by the OS, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((done) => server.close(() => done()));
  return port;
}

describe('credroam-agent against the real logon stack', () => {
  const slapd = useSlapd({ users: [{ uid: 'alice', password: 'alice-pass' }] });
  const namespace = testNamespace();
  let probe: BrokerProbe;
  let events: string;
  let channelKeyFile: string;
  let gateway: ServiceProcess;
  let stack: LogonStack;
  let directory: RpcClient;
  let workspace: OpensslWorkspace;
  let certificate: GeneratedCertificate;
  let dir: string;
  let storeA: string;
  let storeB: string;
  const { store, run, login } = new Workstations(
    () => dir,
    () => stack.url,
  );
  const logonEvents = (): ServiceProcess => stack.processes[0]!;

  const sync = async (workstation: string, args: string[] = []): Promise<SyncJson> => {
    const result = await run(workstation, ['sync', '--json', ...args]);
    expectOk(result);
    return JSON.parse(result.stdout) as SyncJson;
  };

  /** What the directory holds for alice, read through directory-gateway. */
  const aliceEntries = async () =>
    (
      await directory.call(
        'directory.read-state',
        { userDn: slapd().user('alice').dn },
        { correlationId: randomUUID() },
      )
    ).state.entries;

  /**
   * The self-heal and completion events of one sync, in publication order (logon-events publishes them before it
   * answers, sync.completed last). Events of other syncs on the observer queue are dropped.
   */
  const syncEvents = async (correlationId: string): Promise<RoamingEvent[]> => {
    const seen: RoamingEvent[] = [];
    while (seen.at(-1)?.type !== 'sync.completed') {
      const message = await probe.takeMatching(
        events,
        (candidate) =>
          (JSON.parse(candidate.content.toString('utf8')) as RoamingEvent).correlationId === correlationId,
      );
      seen.push(JSON.parse(message.content.toString('utf8')) as RoamingEvent);
    }
    return seen;
  };

  /** A sync that self-heals: said on stderr and in --json, and published as 502 then 2. */
  const expectSelfHealingSync = async (workstation: string): Promise<void> => {
    const result = await run(workstation, ['sync', '--json']);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('self-healing');
    const healed = JSON.parse(result.stdout) as SyncJson;
    expect(healed).toMatchObject({ selfHealed: true, fullResync: 'no-base', code: 2 });
    const published = await syncEvents(healed.correlationId);
    expect(published.map(({ type, code }) => ({ type, code }))).toEqual([
      { type: 'sync.self-heal-needed', code: 502 },
      { type: 'sync.completed', code: 2 },
    ]);
  };

  beforeAll(async () => {
    if (!existsSync(join(ROOT, 'dist', 'apps', 'agent', 'src', 'main.js'))) {
      throw new Error('dist/apps/agent is missing: run "npm run build" first');
    }
    probe = await BrokerProbe.open(namespace);
    probe.track({ queues: [ingressQueue(namespace)] });
    events = await probe.observe('agent-cli-test', ['sync.self-heal-needed', 'sync.completed']);
    channelKeyFile = serviceChannelKey(slapd()).file;
    gateway = await startGatewayProcess(slapd(), namespace, 'agent-cli-gateway', {
      CREDROAM_SERVICE_CHANNEL_KEY_FILE: channelKeyFile,
    });
    // A short RPC timeout, so a sync while directory-gateway is down fails (504) in seconds, not ten.
    stack = await startLogonStack(slapd(), namespace, channelKeyFile, { CREDROAM_RPC_TIMEOUT_MS: '2500' });
    directory = new RpcClient(testConfig(namespace), 'directory-gateway');
    await directory.connect();
    workspace = await OpensslWorkspace.create();
    certificate = await workspace.selfSignedCertificate({ algorithm: 'p-256', subject: '/CN=alice roaming' });
    dir = mkdtempSync(join(tmpdir(), 'credroam-agent-it-'));
    storeA = store('ws-a');
    storeB = store('ws-b');
  }, 90_000);

  afterAll(async () => {
    await directory?.close();
    await tearDown({ services: [...(stack?.processes ?? []), gateway], probe, workspace, dir });
  }, 30_000);

  it('refuses a wrong password with exit code 3 and a one-line message', async () => {
    const result = await agent(
      ['--store', storeA, 'login', '--server', stack.url, '--user', 'alice', '--password-stdin'],
      { stdin: 'wrong\n' },
    );
    expect(result.code).toBe(3);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain('INVALID_CREDENTIALS');
  });

  it('logs in two workstations of the same user', async () => {
    for (const workstation of ['ws-a', 'ws-b']) {
      const result = await run(
        workstation,
        ['login', '--server', stack.url, '--user', 'alice', '--password-stdin', '--machine', workstation],
        'alice-pass\n',
      );
      expectOk(result);
      expect(result.stdout).toContain('logged in as alice');
    }
  });

  it('imports a certificate and its key, and lists them as JSON', async () => {
    const cert = await agent(['--store', storeA, 'import', certificate.certFile]);
    expectOk(cert);
    expect(cert.stdout).toContain(`added certificate ${certificate.thumbprint}`);
    const key = await agent(['--store', storeA, 'import', certificate.keyFile]);
    expectOk(key);
    expect(key.stdout).toContain(`(key of certificate ${certificate.thumbprint})`);

    const list = await agent(['--store', storeA, 'list', '--json']);
    expectOk(list);
    const rows = JSON.parse(list.stdout) as Record<string, unknown>[];
    expect(rows).toHaveLength(2);
    for (const row of rows) {
      expect(Object.keys(row).sort()).toEqual(['hash', 'id', 'modifiedAt', 'size', 'type']);
      expect(row.hash).toMatch(/^[0-9a-f]{64}$/);
    }
    expect(rows.find((row) => row.type === 'certificate')).toMatchObject({
      id: certificate.thumbprint,
      size: certificate.certDer.length,
    });
  });

  it('uploads from one store and downloads byte-identical content into the other', async () => {
    const up = await sync('ws-a', ['--trigger', 'store-change']);
    expect(up).toMatchObject({ status: 'synced', uploaded: 2, downloaded: 0 });
    const entries = await aliceEntries();
    expect(entries).toHaveLength(2);
    expect(entries).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ type: 'certificate', id: certificate.thumbprint, tombstone: false }),
        expect.objectContaining({ type: 'private-key', tombstone: false }),
      ]),
    );

    const down = await sync('ws-b', ['--trigger', 'logon']);
    expect(down).toMatchObject({ status: 'synced', downloaded: 2 });
    expect(tokenContent(storeB, 'certificate', certificate.thumbprint).equals(certificate.certDer)).toBe(
      true,
    );
    const listA = JSON.parse((await agent(['--store', storeA, 'list', '--json'])).stdout);
    const listB = JSON.parse((await agent(['--store', storeB, 'list', '--json'])).stdout);
    expect(listB).toEqual(listA);
    // status says, per token, where it came from and that it synced, in the JSON and in words.
    const details = async (store: string) =>
      (JSON.parse((await agent(['--store', store, 'status', '--json'])).stdout) as StatusJson).tokenDetails;
    const onA = await details(storeA);
    const onB = await details(storeB);
    expect(onA.map(({ type, origin }) => [type, origin])).toEqual([
      ['certificate', 'imported-here'],
      ['private-key', 'imported-here'],
    ]);
    expect(onB.map(({ type, origin }) => [type, origin])).toEqual([
      ['certificate', 'roamed'],
      ['private-key', 'roamed'],
    ]);
    for (const token of [...onA, ...onB]) expect(token).toMatchObject({ issue: null, note: null });
    expect(onB.every((token) => token.lastSynced !== null)).toBe(true);
    expect(onB[0]!.name).toContain(`(${certificate.thumbprint.slice(0, 8)})`);
    const text = await agent(['--store', storeB, 'status']);
    expectOk(text);
    expect(text.stdout).toContain('from         roamed from the directory');
    const keyId = (listA as { type: string; id: string }[]).find((row) => row.type === 'private-key')!.id;
    // The key file's own PKCS#8 bytes (openssl pkey -outform DER re-encodes them, so compare with the PEM body).
    const keyFileDer = Buffer.from(certificate.keyPem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
    expect(tokenContent(storeB, 'private-key', keyId).equals(keyFileDer)).toBe(true);
    expect(
      tokenContent(storeB, 'private-key', keyId).equals(tokenContent(storeA, 'private-key', keyId)),
    ).toBe(true);

    expect(await sync('ws-b')).toMatchObject({ status: 'up-to-date', uploaded: 0, downloaded: 0 });
  });

  it('propagates a deletion: a tombstone from one store, a local delete in the other', async () => {
    expectOk(await agent(['--store', storeA, 'delete', 'certificate', certificate.thumbprint]));
    await sync('ws-a');
    expect((await aliceEntries()).find((entry) => entry.type === 'certificate')).toMatchObject({
      id: certificate.thumbprint,
      tombstone: true,
    });

    expect(await sync('ws-b')).toMatchObject({ deleted: 1 });
    const listB = JSON.parse((await agent(['--store', storeB, 'list', '--json'])).stdout) as {
      type: string;
    }[];
    expect(listB.map((row) => row.type)).toEqual(['private-key']);
  });

  it('waits out a 429 from the per-user rate limit as Retry-After says, then succeeds', async () => {
    // A second logon-events of the same installation whose per-user bucket holds one request, refilled every
    // 20 s: a first sync empties it (the login counts per login and source, apart), so the two syncs right after
    // it meet 429 as long as both start within 20 s of it. With 5 s, two agent starts on a loaded machine
    // sometimes took longer, and the bucket had refilled.
    const limited = await startLogonStack(
      slapd(),
      namespace,
      channelKeyFile,
      {
        CREDROAM_RATE_USER_BURST: '1',
        CREDROAM_RATE_USER_PER_SECOND: '0.05',
        CREDROAM_LOGON_AMQP_INGRESS: 'false',
      },
      { keyDir: stack.keyDir, sessionKey: stack.sessionKey },
    );
    try {
      await login('ws-limited', 'alice', limited.url);
      expectOk(await agent(['--store', store('ws-limited'), 'sync']));
      const once = await agent(['--store', store('ws-limited'), 'sync'], {
        env: { CREDROAM_AGENT_RETRY_ATTEMPTS: '1' },
      });
      expect(once.code).toBe(1);
      expect(once.stderr).toContain('RATE_LIMITED');

      // With 10 ms of backoff the second attempt would be refused as well; only Retry-After lets it in.
      const limitedLogon = limited.processes.find((service) => service.name === 'logon-events')!;
      const from = limitedLogon.output().length;
      const retried = await agent(['--store', store('ws-limited'), 'sync', '--json'], {
        env: { CREDROAM_AGENT_RETRY_ATTEMPTS: '2', CREDROAM_AGENT_RETRY_BASE_MS: '10' },
      });
      expectOk(retried);
      expect(JSON.parse(retried.stdout)).toMatchObject({ status: 'up-to-date' });
      // What logon-events saw of that run: one attempt refused, the one after the wait let in (a settled store
      // asks the check).
      const syncPaths: (string | undefined)[] = [AGENT_API_PATHS.sync, AGENT_API_PATHS.syncCheck];
      const syncStatuses = () =>
        limitedLogon
          .logLines(from)
          .map((line) => line as { msg?: string; req?: { path?: string }; res?: { statusCode?: number } })
          .filter((line) => line.msg === 'request completed' && syncPaths.includes(line.req?.path))
          .map((line) => line.res?.statusCode);
      await waitFor(() => syncStatuses().length === 2, { description: 'both sync requests logged' });
      expect(syncStatuses()).toEqual([429, 200]);
    } finally {
      await Promise.all(limited.processes.map((service) => service.stop()));
    }
  }, 60_000);

  it('keeps retrying while directory-gateway is down and syncs once it is back', async () => {
    await gateway.stop();
    const from = logonEvents().output().length;
    const pending = agent(['--store', storeA, 'sync', '--json'], {
      env: { CREDROAM_AGENT_RETRY_ATTEMPTS: '6', CREDROAM_AGENT_RETRY_BASE_MS: '1000' },
    });
    // logon-events answers the first attempt 504 when its RPC to the gateway times out.
    const failed = await waitFor(
      () =>
        logonEvents()
          .logLines(from)
          .find((line) => line.msg === 'request failed'),
      { description: 'logon-events to fail a request', timeoutMs: 10_000 },
    );
    expect(failed.code).toMatch(/^(TIMEOUT|SERVICE_UNAVAILABLE|DIRECTORY_UNAVAILABLE)$/);
    gateway = await startGatewayProcess(slapd(), namespace, 'agent-cli-gateway', {
      CREDROAM_SERVICE_CHANNEL_KEY_FILE: channelKeyFile,
    });
    const result = await pending;
    expectOk(result);
    const synced = JSON.parse(result.stdout) as SyncJson;
    expect(synced.status).toBe('up-to-date');
    // The same sync (the agent keeps its correlation id across attempts) was the one that failed first.
    expect(failed.correlationId).toBe(synced.correlationId);
  }, 40_000);

  it('self-heals a corrupt state file with a full resync instead of losing tokens', async () => {
    const before = JSON.parse((await agent(['--store', storeB, 'status', '--json'])).stdout);
    writeFileSync(join(storeB, 'state.json'), '{"format":1,"machine":');
    expect(JSON.parse((await agent(['--store', storeB, 'status', '--json'])).stdout)).toMatchObject({
      stateFile: 'corrupt',
    });
    await expectSelfHealingSync('ws-b');
    const listB = JSON.parse((await agent(['--store', storeB, 'list', '--json'])).stdout) as unknown[];
    expect(listB).toHaveLength(1);
    const status = JSON.parse((await agent(['--store', storeB, 'status', '--json'])).stdout);
    expect(status).toMatchObject({ stateFile: 'ok', loggedIn: true, tokens: before.tokens });
  });

  it("does not call a fresh store's first sync self-healing", async () => {
    await login('ws-c');
    const first = await sync('ws-c');
    expect(first).toMatchObject({ code: 1, selfHealed: false, downloaded: 1 });
    const published = await syncEvents(first.correlationId);
    expect(published.map(({ type, code }) => ({ type, code }))).toEqual([
      { type: 'sync.completed', code: 1 },
    ]);
  });

  it('self-heals a state file deleted after a sync', async () => {
    rmSync(join(store('ws-c'), 'state.json'));
    await expectSelfHealingSync('ws-c');
    expect(JSON.parse((await agent(['--store', store('ws-c'), 'list', '--json'])).stdout)).toHaveLength(1);
  });

  it('exits 4 when the server is unreachable, 2 on a usage error and 3 without a valid session', async () => {
    const unreachable = await agent(
      [
        '--store',
        store('ws-unreachable'),
        'login',
        '--server',
        `http://127.0.0.1:${await closedPort()}`,
        '--user',
        'alice',
        '--password-stdin',
      ],
      { stdin: 'alice-pass\n', env: { CREDROAM_AGENT_RETRY_ATTEMPTS: '2' } },
    );
    expect(unreachable.code).toBe(4);
    expect(unreachable.stderr.trim().split('\n')).toHaveLength(1);
    expect((await agent(['--store', storeA, 'sync', '--trigger', 'sometimes'])).code).toBe(2);
    expect((await agent(['--store', storeA, 'delete', 'private-key', '../../x'])).code).toBe(2);
    expect((await agent(['--store', store('ws-never'), 'sync'])).code).toBe(3);

    // A session logon-events itself holds expired (its clock decides, not the agent's copy of expiresAt) and no
    // longer renewable: the same token re-signed with the installation's session key, an expiry in the past and a
    // password logon older than policy sessionRenewalHours (10 h) allows. The agent tries the renewal, which is
    // refused.
    const expiredStore = store('ws-expired');
    cpSync(storeA, expiredStore, { recursive: true });
    const sessionFile = join(expiredStore, 'session.json');
    const session = JSON.parse(readFileSync(sessionFile, 'utf8')) as { sessionToken: string };
    const claims = JSON.parse(Buffer.from(session.sessionToken.split('.')[0]!, 'base64url').toString('utf8'));
    session.sessionToken = new SessionTokenSigner(stack.sessionKey).sign({
      ...claims,
      authAt: Date.now() - 11 * 3_600_000,
      exp: Date.now() - 1000,
    });
    writeFileSync(sessionFile, JSON.stringify(session));
    const expired = await agent(['--store', expiredStore, 'sync']);
    expect(expired.code).toBe(3);
    expect(expired.stderr).toMatch(/not renewed: the password logon is older than policy.*SESSION_EXPIRED/);
  });

  it('tells, per token, why the policy held a token back, in its own words', async () => {
    const set = await agent(['--store', storeA, 'credential', 'set', 'TERMSRV/held', '--secret-stdin'], {
      stdin: 'secret\n',
    });
    expectOk(set);
    await sync('ws-a');
    const status = JSON.parse((await agent(['--store', storeA, 'status', '--json'])).stdout) as StatusJson;
    // The default policy does not roam stored credentials.
    expect(status.tokenDetails.find((token) => token.name === 'TERMSRV/held')).toMatchObject({
      origin: 'imported-here',
      lastSynced: null,
      issue: { kind: 'rejection', side: 'local', code: 'POLICY_FILTERED' },
      note: 'not roamed: the roaming policy leaves it out (stored credentials roam only when policy enables roamStoredCredentials)',
    });
    expectOk(await agent(['--store', storeA, 'delete', 'stored-credential', 'TERMSRV/held']));
  });

  it('imports a PKCS#12 bundle with its password from stdin, and roams it', async () => {
    const other = await workspace.selfSignedCertificate({ algorithm: 'rsa-2048', subject: '/CN=alice p12' });
    const bundle = await workspace.pkcs12(other, { password: 'bundle-pass' });
    const refused = await agent(['--store', storeA, 'import', bundle.file]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('--password-stdin');

    const imported = await agent(['--store', storeA, 'import', bundle.file, '--password-stdin', '--json'], {
      stdin: 'bundle-pass\n',
    });
    expectOk(imported);
    expect(JSON.parse(imported.stdout)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ type: 'certificate', status: 'added' }),
        expect.objectContaining({
          type: 'private-key',
          status: 'added',
          linkedCertificate: other.thumbprint,
        }),
      ]),
    );
    expect(await sync('ws-a')).toMatchObject({ uploaded: 2 });
    expect(await sync('ws-b')).toMatchObject({ downloaded: 2 });
    expect(tokenContent(storeB, 'certificate', other.thumbprint).equals(other.certDer)).toBe(true);
  });

  it('works with an RSA device key as well', async () => {
    const storeRsa = store('ws-rsa');
    expectOk(
      await agent(
        ['--store', storeRsa, 'login', '--server', stack.url, '--user', 'alice', '--password-stdin'].concat([
          '--machine',
          'ws-rsa',
          '--key-type',
          'rsa-3072',
        ]),
        { stdin: 'alice-pass\n' },
      ),
    );
    expect(readFileSync(join(storeRsa, 'device-key.pem'), 'utf8')).toContain('BEGIN PRIVATE KEY');
    expect((await sync('ws-rsa', ['--trigger', 'logon'])).downloaded).toBe(3);
    const listA = JSON.parse((await agent(['--store', storeA, 'list', '--json'])).stdout);
    const listRsa = JSON.parse((await agent(['--store', storeRsa, 'list', '--json'])).stdout);
    expect(listRsa).toEqual(listA);
  });

  it('logs in and syncs over the AMQP ingress', async () => {
    await login('ws-amqp', 'alice', stack.ingressUrl);
    const status = JSON.parse((await run('ws-amqp', ['status', '--json'])).stdout) as { server: string };
    expect(status.server).toMatch(/^amqp:/);
    expect(status.server).not.toContain('guest:guest');
    expect(await sync('ws-amqp', ['--trigger', 'logon'])).toMatchObject({ status: 'synced', downloaded: 3 });
    const listA = JSON.parse((await agent(['--store', storeA, 'list', '--json'])).stdout);
    const listAmqp = JSON.parse((await run('ws-amqp', ['list', '--json'])).stdout);
    expect(listAmqp).toEqual(listA);
  });

  it('seals to a pinned transport certificate only, and replaces a remembered one after a key rotation', async () => {
    // A certificate token-crypto holds no key for stands in for the one before a transport key rotation.
    const stale = await workspace.selfSignedCertificate({ algorithm: 'p-256', subject: '/CN=old transport' });
    await login('ws-rotation', 'alice', stack.ingressUrl);
    const pinned = await agent(
      [
        '--store',
        store('ws-rotation'),
        'login',
        '--server',
        stack.ingressUrl,
        '--user',
        'alice',
        '--password-stdin',
        '--transport-certificate',
        stale.certFile,
      ],
      { stdin: 'alice-pass\n' },
    );
    expect(pinned.code).toBe(1);
    expect(pinned.stderr).toMatch(/no key for the pinned transport certificate .*KEY_UNAVAILABLE/);

    const sessionFile = join(store('ws-rotation'), 'session.json');
    const session = JSON.parse(readFileSync(sessionFile, 'utf8')) as { transportCertificatePem: string };
    const current = session.transportCertificatePem;
    writeFileSync(sessionFile, JSON.stringify({ ...session, transportCertificatePem: stale.certPem }));
    await login('ws-rotation', 'alice', stack.ingressUrl);
    const renewed = JSON.parse(readFileSync(sessionFile, 'utf8')) as { transportCertificatePem: string };
    expect(renewed.transportCertificatePem).toBe(current);
  });

  it('exits 4 naming the missing ingress queue when no logon-events serves the namespace', async () => {
    const nobody = testNamespace();
    const result = await agent(
      [
        '--store',
        store('ws-nobody'),
        'login',
        '--server',
        ingressUrl(nobody),
        '--user',
        'alice',
        '--password-stdin',
      ],
      { stdin: 'alice-pass\n', env: { CREDROAM_AGENT_RETRY_ATTEMPTS: '1' } },
    );
    expect(result.code).toBe(4);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain(amqpNames(nobody).ingressExchange);
  });

  it('fails at once, as retryable, when the ingress exchange routes the request to no queue', async () => {
    // An exchange left behind with no logon-events consuming: before publishing mandatory on a confirm channel,
    // the agent waited its whole 60 s answer timeout here (as it did for a request a lost cluster node dropped).
    const orphan = testNamespace();
    const probe = await BrokerProbe.open(orphan);
    try {
      await probe.channel.assertExchange(probe.names.ingressExchange, 'direct', { durable: true });
      const started = Date.now();
      const result = await agent(
        [
          '--store',
          store('ws-orphan'),
          'login',
          '--server',
          ingressUrl(orphan),
          '--user',
          'alice',
          '--password-stdin',
        ],
        {
          stdin: 'alice-pass\n',
          env: { CREDROAM_AGENT_RETRY_ATTEMPTS: '2', CREDROAM_AGENT_RETRY_BASE_MS: '10' },
        },
      );
      expect(result.code).toBe(4);
      expect(result.stderr).toContain('no logon-events ingress queue took the request');
      expect(Date.now() - started).toBeLessThan(30_000);
    } finally {
      await probe.cleanUp();
    }
  });
});
