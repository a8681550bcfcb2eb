// Eight workstations of one user syncing concurrently against two replicas of every service: every change lands
// once, deletions propagate, and all end with the same token set, the one the changes predict.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ServiceProcess } from '../../helpers/service-process';
import { OpensslWorkspace, type GeneratedCertificate } from '../../helpers/openssl';
import { useSlapd } from '../../helpers/slapd';
import { agent, expectOk } from '../../support/agent-cli';
import { serviceChannelKey, startGatewayProcess } from '../../support/gateway-process';
import { startLogonStack, type LogonStack } from '../../support/logon-stack';
import { BrokerProbe, testNamespace } from '../../support/messaging-fixtures';

const WORKSTATIONS = 8;

describe('eight workstations against two replicas of every service', () => {
  const slapd = useSlapd({ users: [{ uid: 'alice', password: 'alice-pass' }] });
  const namespace = testNamespace();
  let probe: BrokerProbe;
  const services: ServiceProcess[] = [];
  const stacks: LogonStack[] = [];
  let workspace: OpensslWorkspace;
  let dir: string;
  let certificates: GeneratedCertificate[];
  const names = Array.from({ length: WORKSTATIONS }, (_, index) => `ws-${index}`);

  const run = (index: number, args: string[], stdin?: string) =>
    agent(['--store', join(dir, names[index]!), ...args], stdin === undefined ? {} : { stdin });
  const sync = async (index: number) => expectOk(await run(index, ['sync', '--json']));
  const ids = async (index: number) => {
    const listed = await run(index, ['list', '--json']);
    expectOk(listed);
    return (JSON.parse(listed.stdout) as { id: string }[]).map((token) => token.id).sort();
  };
  const everyone = <T>(work: (index: number) => Promise<T>) =>
    Promise.all(names.map((_, index) => work(index)));

  beforeAll(async () => {
    probe = await BrokerProbe.open(namespace);
    probe.track({ queues: [`${namespace}.logon-events.ingress`] });
    const channel = serviceChannelKey(slapd());
    for (const name of ['gateway-1', 'gateway-2']) {
      services.push(
        await startGatewayProcess(slapd(), namespace, name, {
          CREDROAM_SERVICE_CHANNEL_KEY_FILE: channel.file,
        }),
      );
    }
    const first = await startLogonStack(slapd(), namespace, channel.file);
    stacks.push(first, await startLogonStack(slapd(), namespace, channel.file, {}, first));
    workspace = await OpensslWorkspace.create();
    certificates = [];
    for (let i = 0; i < WORKSTATIONS * 2; i++) {
      certificates.push(
        await workspace.selfSignedCertificate({ algorithm: 'p-256', subject: `/CN=alice ${i}` }),
      );
    }
    dir = mkdtempSync(join(tmpdir(), 'credroam-e2e-concurrent-'));
  }, 120_000);

  afterAll(async () => {
    await Promise.all(
      [...services, ...stacks.flatMap((stack) => stack.processes)].map((service) => service.stop()),
    );
    await probe?.cleanUp();
    await workspace?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  it('converges on the predicted set with no update lost', async () => {
    // A workstation keeps to the logon-events replica it logged on to (it holds the device key registration).
    await everyone(async (index) =>
      expectOk(
        await run(
          index,
          [
            'login',
            '--server',
            stacks[index % 2]!.url,
            '--user',
            'alice',
            '--password-stdin',
            '--machine',
            names[index]!,
          ],
          'alice-pass\n',
        ),
      ),
    );
    await everyone(async (index) => {
      for (const certificate of certificates.slice(index * 2, index * 2 + 2)) {
        expectOk(await run(index, ['import', certificate.certFile]));
      }
    });
    await everyone(sync);
    await everyone(sync);

    // Each workstation deletes one token it holds, chosen so that some deletions hit tokens imported elsewhere.
    const deleted = new Set<string>();
    await everyone(async (index) => {
      const held = await ids(index);
      const victim = certificates[(index * 5 + 3) % certificates.length]!.thumbprint;
      if (!held.includes(victim)) return;
      deleted.add(victim);
      expectOk(await run(index, ['delete', 'certificate', victim]));
    });
    await everyone(sync);
    await everyone(sync);
    await everyone(sync);

    const expected = certificates
      .map((certificate) => certificate.thumbprint)
      .filter((id) => !deleted.has(id))
      .sort();
    expect(deleted.size).toBeGreaterThan(0);
    const views = await everyone(ids);
    for (const view of views) expect(view).toEqual(expected);
    // Both replicas of each service did work.
    for (const service of [...services, ...stacks.flatMap((stack) => stack.processes)]) {
      expect(service.output().length).toBeGreaterThan(0);
    }
  }, 240_000);
});
