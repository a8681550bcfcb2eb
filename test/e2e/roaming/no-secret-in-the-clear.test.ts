// No secret in the clear outside token-crypto and the workstations. The whole stack (directory-gateway,
// token-crypto, logon-events, audit) runs in a RabbitMQ vhost of its own with the firehose on; alice roams a
// private key, a certificate and stored credentials between a workstation on HTTP and one on the AMQP ingress,
// and two logons fail with a wrong password. Then every message that crossed the broker, every service's output,
// the audit store's files, the audit API's answer and alice's directory entry are searched for every secret, in
// every encoding a leak would take.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { amqpNames } from '@credroam/messaging';
import { filesUnder } from '../../helpers/files';
import { type ServiceProcess } from '../../helpers/service-process';
import { OpensslWorkspace, type GeneratedCertificate } from '../../helpers/openssl';
import { useSlapd, withLdap } from '../../helpers/slapd';
import { waitFor } from '../../helpers/wait-for';
import { OPERATOR_TOKEN } from '../../integration/audit/support/audit-app';
import { credentialContent, expectOk, Workstations, type SyncSummary } from '../../support/agent-cli';
import { serviceChannelKey, startGatewayProcess } from '../../support/gateway-process';
import { startLogonStack, type LogonStack } from '../../support/logon-stack';
import { testNamespace } from '../../support/messaging-fixtures';
import {
  findLeaks,
  privateKeyParts,
  textSecret,
  type Haystack,
  type Secret,
} from '../../support/secret-scan';
import { tearDown } from '../../support/teardown';
import { TracedVhost } from '../../support/traced-vhost';
import { ensureAuditBuilt, startAuditProcess, type AuditProcess } from '../audit/support/audit-process';
import { freePort } from '../audit/support/private-postgres';

const TARGET = 'TERMSRV/fileserver.example.com';

const fileHaystacks = (dir: string, label: string): Haystack[] =>
  filesUnder(dir).map((file) => ({ where: `${label} ${file.slice(dir.length)}`, data: readFileSync(file) }));

const base64File = (name: string, file: string): Secret => ({
  name,
  bytes: Buffer.from(readFileSync(file, 'utf8').trim(), 'base64'),
});

describe('no secret in the clear: on the broker, in logs, in audit rows, in the directory', () => {
  const password = randomBytes(15).toString('base64url');
  const wrongPassword = randomBytes(15).toString('base64url');
  const credentialSecrets = [randomBytes(18).toString('base64url'), randomBytes(18).toString('base64url')];
  const slapd = useSlapd({ users: [{ uid: 'alice', password }] });
  const namespace = testNamespace();
  const previousBrokerUrl = process.env.CREDROAM_AMQP_URL;
  let vhost: TracedVhost | undefined;
  let gateway: ServiceProcess | undefined;
  let stack: LogonStack | undefined;
  let audit: AuditProcess | undefined;
  let workspace: OpensslWorkspace | undefined;
  let certificate: GeneratedCertificate;
  let dir: string | undefined;
  let channelKeyFile: string;
  const agentOutput: string[] = [];
  const { store, run } = new Workstations(
    () => dir ?? '',
    () => stack?.url ?? '',
  );
  const agentRun = async (workstation: string, args: string[], stdin?: string) => {
    const result = await run(workstation, args, stdin);
    agentOutput.push(result.stdout, result.stderr);
    return result;
  };
  const login = (workstation: string, server: string, secret = password) =>
    agentRun(
      workstation,
      ['login', '--server', server, '--user', 'alice', '--password-stdin', '--machine', workstation],
      `${secret}\n`,
    );
  const sync = async (workstation: string): Promise<SyncSummary & { correlationId: string }> => {
    const result = await agentRun(workstation, ['sync', '--json']);
    expectOk(result);
    return JSON.parse(result.stdout) as SyncSummary & { correlationId: string };
  };
  const setCredential = async (workstation: string, secret: string) =>
    expectOk(
      await agentRun(
        workstation,
        ['credential', 'set', TARGET, '--secret-stdin', '--username', 'alice'],
        secret,
      ),
    );

  beforeAll(async () => {
    ensureAuditBuilt();
    vhost = await TracedVhost.create();
    process.env.CREDROAM_AMQP_URL = vhost.url;
    dir = mkdtempSync(join(tmpdir(), 'credroam-e2e-secrets-'));
    const policyFile = join(dir, 'policy.json');
    writeFileSync(policyFile, JSON.stringify({ defaults: { roamStoredCredentials: true } }));
    channelKeyFile = serviceChannelKey(slapd()).file;
    gateway = await startGatewayProcess(slapd(), namespace, 'secrets-gateway', {
      CREDROAM_SERVICE_CHANNEL_KEY_FILE: channelKeyFile,
      CREDROAM_POLICY_FILE: policyFile,
    });
    stack = await startLogonStack(slapd(), namespace, channelKeyFile);
    audit = await startAuditProcess('secrets-audit', await freePort(), {
      CREDROAM_AMQP_URL: vhost.url,
      CREDROAM_AMQP_NAMESPACE: namespace,
      CREDROAM_AUDIT_DB: `sqlite:${join(dir, 'audit', 'audit.sqlite')}`,
    });
    workspace = await OpensslWorkspace.create();
    certificate = await workspace.selfSignedCertificate({ algorithm: 'p-256', subject: '/CN=alice signing' });
  }, 120_000);

  afterAll(async () => {
    await tearDown({ services: [...(stack?.processes ?? []), gateway, audit], workspace, dir });
    await vhost?.dispose();
    if (previousBrokerUrl === undefined) delete process.env.CREDROAM_AMQP_URL;
    else process.env.CREDROAM_AMQP_URL = previousBrokerUrl;
  }, 60_000);

  it('roams a key and stored credentials over HTTP and AMQP, and no secret is found anywhere', async () => {
    const logonStack = stack!;
    expectOk(await login('ws-a', logonStack.url));
    expectOk(await agentRun('ws-a', ['import', certificate.certFile]));
    expectOk(await agentRun('ws-a', ['import', certificate.keyFile]));
    await setCredential('ws-a', credentialSecrets[0]!);
    expect((await sync('ws-a')).rejections).toEqual([]);

    expectOk(await login('ws-b', logonStack.ingressUrl));
    await sync('ws-b');
    await setCredential('ws-b', credentialSecrets[1]!);
    await sync('ws-b');
    expect((await login('ws-c', logonStack.ingressUrl, wrongPassword)).code).not.toBe(0);
    expect((await login('ws-d', logonStack.url, wrongPassword)).code).not.toBe(0);
    const last = await sync('ws-a');

    const auditEvents = await waitFor(
      async () => {
        const answer = await fetch(`${audit!.url}/v1/events?correlationId=${last.correlationId}`, {
          headers: { authorization: `Bearer ${OPERATOR_TOKEN}` },
        });
        const text = await answer.text();
        return text.includes('sync.completed') ? text : undefined;
      },
      { description: "audit stored the last sync's events", timeoutMs: 20_000 },
    );
    const allAuditEvents = await (
      await fetch(`${audit!.url}/v1/events?limit=1000`, {
        headers: { authorization: `Bearer ${OPERATOR_TOKEN}` },
      })
    ).text();

    const roamed: Secret[] = [
      ...privateKeyParts('the roamed private key', certificate.keyPem),
      ...credentialSecrets.flatMap((secret, index) => [
        textSecret(`stored credential secret ${index + 1}`, secret),
        { name: `stored credential ${index + 1}`, bytes: credentialContent(secret, 'alice') },
      ]),
    ];
    const keys = logonStack.keyDir;
    const secrets: Secret[] = [
      textSecret("alice's password", password),
      textSecret('a wrong password', wrongPassword),
      ...roamed,
      ...['ws-a', 'ws-b'].flatMap((workstation) =>
        privateKeyParts(
          `${workstation}'s device key`,
          readFileSync(join(store(workstation), 'device-key.pem'), 'utf8'),
        ),
      ),
      ...privateKeyParts("token-crypto's transport key", readFileSync(join(keys, 'transport.key'), 'utf8')),
      base64File('the storage master key', join(keys, 'storage-master-keys', 'v1.key')),
      base64File('the hash key master', join(keys, 'hash-key-master.key')),
      base64File('the service channel key', channelKeyFile),
      { name: 'the session signing key', bytes: logonStack.sessionKey },
      textSecret("the gateway's LDAP password", slapd().servicePassword),
    ];

    // The same search finds the roamed secrets on a workstation that holds them: it would see a leak.
    expect(
      findLeaks(roamed, fileHaystacks(store('ws-a'), 'ws-a store')).map((leak) => leak.split(' in ')[0]),
    ).toEqual(['the roamed private key (d)', 'stored credential 2']);

    const entry = await withLdap(slapd(), 'admin', async (client) => {
      const { searchEntries } = await client.search(slapd().user('alice').dn, {
        scope: 'base',
        attributes: ['*', '+'],
      });
      return JSON.stringify(searchEntries);
    });
    expect(entry).toContain('msPKIAccountCredentials');

    const broker = vhost!.messages.map((message, index) => ({
      where: `broker message ${index} (${message.route})`,
      data: Buffer.concat([message.body, Buffer.from(JSON.stringify(message.headers))]),
    }));
    const services = [...logonStack.processes, gateway!, audit!].map((service) => ({
      where: `${service.name} output`,
      data: Buffer.from(service.output()),
    }));
    const haystacks: Haystack[] = [
      ...broker,
      ...services,
      ...fileHaystacks(join(dir!, 'audit'), 'audit store'),
      { where: 'audit API', data: Buffer.from(allAuditEvents + auditEvents) },
      { where: "alice's directory entry", data: Buffer.from(entry) },
      { where: 'agent output', data: Buffer.from(agentOutput.join('\n')) },
    ];
    expect(findLeaks(secrets, haystacks)).toEqual([]);

    // What was searched is the traffic that matters: logons and syncs on the ingress, the RPCs to both services,
    // the replies (direct reply-to) and the events.
    const names = amqpNames(namespace);
    const targets = [
      names.ingressExchange,
      ...Object.values(names.rpcQueues),
      'amq.rabbitmq.reply-to',
      names.eventsExchange,
    ];
    expect(
      Object.fromEntries(targets.map((target) => [target, vhost!.publishedTo(target).length > 0])),
    ).toEqual(Object.fromEntries(targets.map((target) => [target, true])));
  }, 120_000);
});
