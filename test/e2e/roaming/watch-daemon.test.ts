// `credroam-agent watch` on two simulated workstations against the real stack (throwaway slapd, RabbitMQ,
// directory-gateway, token-crypto and logon-events each as its own process): nobody types a sync.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OpensslWorkspace, type GeneratedCertificate } from '../../helpers/openssl';
import { startServiceProcess, type ServiceProcess } from '../../helpers/service-process';
import { useSlapd } from '../../helpers/slapd';
import { waitFor } from '../../helpers/wait-for';
import { expectOk, tokenContent, Workstations } from '../../support/agent-cli';
import { startRoamingServices, type LogonStack } from '../../support/logon-stack';
import { BrokerProbe, TcpProxy, testNamespace } from '../../support/messaging-fixtures';
import { tearDown } from '../../support/teardown';

describe('the watch daemon', () => {
  const slapd = useSlapd({ users: [{ uid: 'alice', password: 'alice-pass' }] });
  const namespace = testNamespace();
  let probe: BrokerProbe;
  let gateway: ServiceProcess;
  let stack: LogonStack;
  let workspace: OpensslWorkspace;
  let certificate: GeneratedCertificate;
  let dir: string;
  const daemons: Record<string, ServiceProcess> = {};
  const { store, run, login, sync, list } = new Workstations(
    () => dir,
    () => stack.url,
  );

  let proxy: TcpProxy | undefined;
  const startWatch = async (workstation: string, options: string[] = [], env: NodeJS.ProcessEnv = {}) => {
    daemons[workstation] = await startServiceProcess({
      name: `watch-${workstation}`,
      script: 'bin/credroam-agent',
      args: ['--store', store(workstation), 'watch', '--debounce-ms', '300', ...options],
      // No agent configuration: this machine's, if any, must not choose an NSS database for the test.
      env: {
        CREDROAM_STORE: '',
        CREDROAM_NSSDB: '',
        CREDROAM_AGENT_CONFIG: join(dir, 'no-agent.json'),
        CREDROAM_AGENT_RETRY_BASE_MS: '10',
        ...env,
      },
      ready: { line: /watch daemon ready/ },
    });
  };
  /** B's NSS database (a browser's), which B's daemon keeps in step. */
  const nssdb = () => join(dir, 'ws-b-nssdb');
  const nssNicknames = () =>
    execFileSync('certutil', ['-L', '-d', `sql:${nssdb()}`, '-f', '/dev/null'], { encoding: 'utf8' });
  /** The daemon's log lines about its sync attempts (a trigger and a result). */
  const attempts = (workstation: string, from = 0) =>
    daemons[workstation]!.logLines(from).filter((line) => typeof line.result === 'string');

  beforeAll(async () => {
    probe = await BrokerProbe.open(namespace);
    dir = mkdtempSync(join(tmpdir(), 'credroam-e2e-'));
    const policyFile = join(dir, 'policy.json');
    writeFileSync(policyFile, JSON.stringify({ defaults: { purgeOnLogoff: true } }));
    ({ gateway, stack } = await startRoamingServices(slapd(), namespace, {
      CREDROAM_POLICY_FILE: policyFile,
    }));
    probe.track({ queues: [`${namespace}.logon-events.ingress`] });
    workspace = await OpensslWorkspace.create();
    certificate = await workspace.selfSignedCertificate({ algorithm: 'p-256', subject: '/CN=alice watched' });
    // What the PAM hook does at each logon; from here on nobody types a sync.
    await login('ws-a');
    await login('ws-b');
  }, 90_000);

  afterAll(async () => {
    await proxy?.close();
    await tearDown({
      services: [...Object.values(daemons), ...(stack?.processes ?? []), gateway],
      probe,
      workspace,
      dir,
    });
  }, 30_000);

  it('runs the logon sync at start, which wait-synced waits for', async () => {
    // Both keep the policy's refresh (8 h): whatever A sends, a store change made it send, and whatever reaches B
    // comes by the server's announcement of A's change, not by a timer.
    await startWatch('ws-a');
    await startWatch('ws-b', ['--nssdb', nssdb()]);
    expectOk(await run('ws-a', ['wait-synced', '--timeout', '30']));
    expectOk(await run('ws-b', ['wait-synced', '--timeout', '30']));
    expect(attempts('ws-a')[0]).toMatchObject({ trigger: 'logon', result: 'up-to-date' });
  }, 60_000);

  it('brings a certificate and its key imported on A to B, with no sync typed on either', async () => {
    const fromB = daemons['ws-b']!.output().length;
    expectOk(await run('ws-a', ['import', certificate.certFile]));
    expectOk(await run('ws-a', ['import', certificate.keyFile]));
    const onB = await waitFor(
      async () => {
        const tokens = await list('ws-b');
        return tokens.length === 2 && tokens;
      },
      { description: 'the certificate and its key on B', timeoutMs: 30_000, intervalMs: 250 },
    );
    expect(onB.map((token) => token.type).sort()).toEqual(['certificate', 'private-key']);
    // B synced because the server announced A's write: within A's debounce, A's sync and B's sync.
    const onBSyncs = attempts('ws-b', fromB);
    expect(onBSyncs.some((line) => line.trigger === 'remote-change' && line.result === 'synced')).toBe(true);
    expect(onBSyncs.map((line) => line.trigger)).not.toContain('refresh');
    expect(
      tokenContent(store('ws-b'), 'certificate', certificate.thumbprint).equals(certificate.certDer),
    ).toBe(true);
    // Two imports, one or two store-change syncs (as the debounce met the imports): both tokens sent by them.
    const sent = attempts('ws-a')
      .filter((line) => line.trigger === 'store-change')
      .map((line) => Number(/^synced: (\d+) sent/.exec(String(line.msg))?.[1] ?? 0));
    expect(sent.reduce((sum, count) => sum + count, 0)).toBe(2);
    await waitFor(() => nssNicknames().includes(`alice watched (${certificate.thumbprint.slice(0, 8)})`), {
      description: "the certificate in B's NSS database",
      timeoutMs: 30_000,
      intervalMs: 250,
    });
  }, 60_000);

  it("syncs a certificate added to B's NSS database by hand (a browser's certificate manager)", async () => {
    const byHand = await workspace.selfSignedCertificate({
      algorithm: 'p-256',
      subject: '/CN=added in firefox',
    });
    execFileSync('certutil', ['-A', '-n', 'mine', '-t', ',,', '-i', byHand.certFile, '-d', `sql:${nssdb()}`]);
    await waitFor(async () => (await list('ws-b')).some((token) => token.id === byHand.thumbprint), {
      description: "the hand-added certificate in B's store",
      timeoutMs: 30_000,
      intervalMs: 250,
    });
  }, 60_000);

  it('answers a pulse from "credroam-agent sync" with the result of its sync, and one from SIGUSR1', async () => {
    const from = daemons['ws-a']!.output().length;
    const pulse = await run('ws-a', ['sync', '--json']);
    expectOk(pulse);
    // B's hand-added certificate may still be on its way to A: synced or up to date, by the daemon.
    expect(JSON.parse(pulse.stdout)).toMatchObject({ watch: true, exitCode: 0 });
    expect(JSON.parse(pulse.stdout).message).toMatch(
      /^(synced|up-to-date): 0 sent, \d+ downloaded, 0 deleted$/,
    );
    process.kill(daemons['ws-a']!.pid, 'SIGUSR1');
    await waitFor(() => attempts('ws-a', from).filter((line) => line.trigger === 'pulse').length === 2, {
      description: 'a second pulse sync on A',
      timeoutMs: 20_000,
    });
  }, 60_000);

  it('purges roamed private keys at logoff, and they come back at the next logon without being lost anywhere', async () => {
    const [key] = (await list('ws-b')).filter((token) => token.type === 'private-key');
    const purge = await run('ws-b', ['purge-keys', '--json']);
    expectOk(purge);
    expect(JSON.parse(purge.stdout)).toEqual({
      purgeOnLogoff: true,
      purged: [{ type: 'private-key', id: key!.id }],
      kept: [],
    });
    // The daemon stopped first, or it would have fetched the key back at once.
    expect(await daemons['ws-b']!.exited).toEqual({ code: 0, signal: null });
    expect((await list('ws-b')).map((token) => token.type)).not.toContain('private-key');

    await login('ws-b');
    await sync('ws-b');
    expect(
      tokenContent(store('ws-b'), 'private-key', key!.id).equals(
        tokenContent(store('ws-a'), 'private-key', key!.id),
      ),
    ).toBe(true);
    expectOk(await run('ws-a', ['sync']));
    expect((await list('ws-a')).map((token) => token.id)).toContain(key!.id);
  }, 60_000);

  it('backs off while the server is unreachable and syncs alone once it is back', async () => {
    // logon-events behind a proxy this test can cut; the agent's client tries once per sync, the daemon retries.
    proxy = await TcpProxy.start(new URL(stack.url));
    await login('ws-c', 'alice', `http://127.0.0.1:${new URL(proxy.url()).port}`);
    await startWatch('ws-c', [], {
      CREDROAM_AGENT_RETRY_ATTEMPTS: '1',
      CREDROAM_WATCH_BACKOFF_MS: '200',
      CREDROAM_WATCH_BACKOFF_MAX_MS: '1000',
    });
    expectOk(await run('ws-c', ['wait-synced', '--timeout', '30']));
    proxy.cut();
    const offline = await workspace.selfSignedCertificate({
      algorithm: 'p-256',
      subject: '/CN=alice offline',
    });
    expectOk(await run('ws-c', ['import', offline.certFile]));
    await waitFor(() => attempts('ws-c').filter((line) => line.result === 'unreachable').length >= 3, {
      description: 'three failed attempts on C',
      timeoutMs: 30_000,
    });
    proxy.restore();
    await waitFor(
      () => attempts('ws-c').some((line) => line.msg === 'synced: 1 sent, 0 downloaded, 0 deleted'),
      {
        description: 'the sync that resumed alone',
        timeoutMs: 30_000,
      },
    );
    const retries = daemons['ws-c']!.logLines().filter((line) => typeof line.delayMs === 'number');
    expect(retries.slice(0, 3).map((line) => line.failures)).toEqual([1, 2, 3]);
    // B's daemon stopped at its purge: B's next logon sync shows what C sent.
    await sync('ws-b');
    expect((await list('ws-b')).map((token) => token.id)).toContain(offline.thumbprint);
  }, 90_000);
});
