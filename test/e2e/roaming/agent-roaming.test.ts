// Users' view of roaming: bin/credroam-agent on simulated workstations against the real stack (throwaway slapd,
// RabbitMQ, directory-gateway, token-crypto and logon-events each as its own process).
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Attribute, Change } from 'ldapts';
import { filesUnder } from '../../helpers/files';
import { type ServiceProcess } from '../../helpers/service-process';
import { OpensslWorkspace, type GeneratedCertificate } from '../../helpers/openssl';
import { useSlapd, withLdap } from '../../helpers/slapd';
import { expectOk, tokenContent, Workstations } from '../../support/agent-cli';
import { windowsValue } from '../../support/gateway-fixtures';
import { startRoamingServices, type LogonStack } from '../../support/logon-stack';
import { BrokerProbe, testNamespace } from '../../support/messaging-fixtures';
import { tearDown } from '../../support/teardown';

describe.each([
  ['HTTP', (stack: LogonStack) => stack.url],
  ['the AMQP ingress', (stack: LogonStack) => stack.ingressUrl],
])(
  'roaming between workstations with the agent CLI and the real services over %s',
  (transportName, serverOf) => {
    const slapd = useSlapd({ users: [{ uid: 'alice', password: 'alice-pass' }] });
    const namespace = testNamespace();
    let probe: BrokerProbe;
    let gateway: ServiceProcess;
    let stack: LogonStack;
    let workspace: OpensslWorkspace;
    let certificate: GeneratedCertificate;
    let dir: string;
    const { store, run, login, sync, list } = new Workstations(
      () => dir,
      () => serverOf(stack),
    );

    beforeAll(async () => {
      probe = await BrokerProbe.open(namespace);
      ({ gateway, stack } = await startRoamingServices(slapd(), namespace));
      probe.track({ queues: [`${namespace}.logon-events.ingress`] });
      workspace = await OpensslWorkspace.create();
      certificate = await workspace.selfSignedCertificate({
        algorithm: 'rsa-2048',
        subject: '/CN=alice signing',
      });
      dir = mkdtempSync(join(tmpdir(), 'credroam-e2e-'));
    }, 90_000);

    afterAll(async () => {
      await tearDown({ services: [...(stack?.processes ?? []), gateway], probe, workspace, dir });
    }, 30_000);

    it('brings a certificate and its key imported on A to B, byte-identical', async () => {
      await login('ws-a');
      const status = await run('ws-a', ['status', '--json']);
      expectOk(status);
      const { server } = JSON.parse(status.stdout) as { server: string };
      expect(server.split(':')[0]).toBe(serverOf(stack).split(':')[0]);
      expect(server).not.toContain('guest:guest');
      expectOk(await run('ws-a', ['import', certificate.certFile]));
      expectOk(await run('ws-a', ['import', certificate.keyFile]));
      const onA = await list('ws-a');
      expect(onA.map((token) => token.type).sort()).toEqual(['certificate', 'private-key']);
      expect((await sync('ws-a')).rejections).toEqual([]);

      await login('ws-b');
      await sync('ws-b');
      const onB = await list('ws-b');
      expect(onB.map(({ type, id, hash, size }) => ({ type, id, hash, size }))).toEqual(
        onA.map(({ type, id, hash, size }) => ({ type, id, hash, size })),
      );
      for (const token of onA) {
        expect(
          tokenContent(store('ws-b'), token.type, token.id).equals(
            tokenContent(store('ws-a'), token.type, token.id),
          ),
        ).toBe(true);
      }
      expect(
        tokenContent(store('ws-b'), 'certificate', certificate.thumbprint).equals(certificate.certDer),
      ).toBe(true);
    }, 60_000);

    it('propagates a deletion made on B to A', async () => {
      expectOk(await run('ws-b', ['delete', 'certificate', certificate.thumbprint]));
      await sync('ws-b');
      await sync('ws-a');
      expect((await list('ws-a')).map((token) => token.type)).toEqual(['private-key']);
    }, 60_000);

    it('reports a planted value with an escaping identifier, never writes it to disk, and syncs the rest', async () => {
      const dn = slapd().user('alice').dn;
      const planted = windowsValue('..\\..\\evil.bat', '9', Date.now() + 60_000);
      await withLdap(slapd(), 'admin', (client) =>
        client.modify(dn, [
          new Change({
            operation: 'add',
            modification: new Attribute({ type: 'msPKIAccountCredentials', values: [planted] }),
          }),
        ]),
      );
      const other = await workspace.selfSignedCertificate({
        algorithm: 'p-256',
        subject: '/CN=alice encryption',
      });
      expectOk(await run('ws-a', ['import', other.certFile]));
      await sync('ws-a');

      await login('ws-c');
      const result = await sync('ws-c');
      expect(result.rejections).toEqual(
        expect.arrayContaining([expect.objectContaining({ code: 'UNSAFE_IDENTIFIER' })]),
      );
      expect((await list('ws-c')).map((token) => token.id)).toEqual(
        expect.arrayContaining([other.thumbprint]),
      );
      for (const file of filesUnder(store('ws-c'))) expect(file).not.toMatch(/evil/);
      for (const file of filesUnder(dir)) expect(file.startsWith(dir)).toBe(true);
    }, 60_000);

    // The NSS sync does not depend on the transport: once is enough (it runs the agent a dozen times).
    (transportName === 'HTTP' ? it : it.skip)(
      "keeps each workstation's NSS database in step: downloads, hand-added certificates and deletions",
      async () => {
        const nssdb = (workstation: string) => join(dir, `${workstation}-nssdb`);
        const nssSync = async (workstation: string) => {
          const result = await run(workstation, ['sync', '--json', '--nssdb', nssdb(workstation)]);
          expectOk(result);
          return JSON.parse(result.stdout) as { uploaded: number };
        };
        const certutil = (workstation: string, args: string[]) =>
          execFileSync('certutil', [...args, '-d', `sql:${nssdb(workstation)}`, '-f', '/dev/null'], {
            encoding: 'utf8',
          });
        const nicknames = (workstation: string) => certutil(workstation, ['-L']);
        const keys = (workstation: string) => certutil(workstation, ['-K']);
        const vpn = await workspace.selfSignedCertificate({ algorithm: 'p-256', subject: '/CN=alice vpn' });
        const vpnName = `alice vpn (${vpn.thumbprint.slice(0, 8)})`;
        expectOk(await run('ws-a', ['import', vpn.certFile]));
        expectOk(await run('ws-a', ['import', vpn.keyFile]));
        await nssSync('ws-a');
        await nssSync('ws-b');
        expect(nicknames('ws-b')).toContain(vpnName);
        expect(keys('ws-b')).toContain(vpnName);

        // Added on B in NSS by hand (a browser's certificate manager): it goes up with the same sync, then to A's NSS.
        const byHand = await workspace.selfSignedCertificate({ subject: '/CN=added in firefox' });
        certutil('ws-b', ['-A', '-n', 'mine', '-t', ',,', '-i', byHand.certFile]);
        expect((await nssSync('ws-b')).uploaded).toBe(1);
        await nssSync('ws-a');
        expect(nicknames('ws-a')).toContain(`added in firefox (${byHand.thumbprint.slice(0, 8)})`);

        expectOk(await run('ws-a', ['delete', 'certificate', vpn.thumbprint]));
        await nssSync('ws-a');
        await nssSync('ws-b');
        for (const workstation of ['ws-a', 'ws-b']) expect(nicknames(workstation)).not.toContain('alice vpn');
        expect(nicknames('ws-b')).toContain('mine');
      },
      60_000,
    );
  },
);
