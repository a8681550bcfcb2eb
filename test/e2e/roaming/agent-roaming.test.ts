// Users' view of roaming: bin/credroam-agent on simulated workstations against the real stack (throwaway slapd,
// RabbitMQ, directory-gateway, token-crypto and logon-events each as its own process). The cases shared with the
// Samba AD suite are in roaming-cases.ts.
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ServiceProcess } from '../../helpers/service-process';
import { OpensslWorkspace } from '../../helpers/openssl';
import { useSlapd } from '../../helpers/slapd';
import { expectOk, Workstations } from '../../support/agent-cli';
import { startRoamingServices, type LogonStack } from '../../support/logon-stack';
import { BrokerProbe, testNamespace } from '../../support/messaging-fixtures';
import { tearDown } from '../../support/teardown';
import { certificateRoamingCases } from './roaming-cases';

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
    let dir: string;
    const workstations = new Workstations(
      () => dir,
      () => serverOf(stack),
    );
    const { run } = workstations;

    beforeAll(async () => {
      probe = await BrokerProbe.open(namespace);
      ({ gateway, stack } = await startRoamingServices(slapd(), namespace));
      probe.track({ queues: [`${namespace}.logon-events.ingress`] });
      workspace = await OpensslWorkspace.create();
      dir = mkdtempSync(join(tmpdir(), 'credroam-e2e-'));
    }, 90_000);

    afterAll(async () => {
      await tearDown({ services: [...(stack?.processes ?? []), gateway], probe, workspace, dir });
    }, 30_000);

    certificateRoamingCases({
      directory: slapd,
      server: () => serverOf(stack),
      workstations,
      workspace: () => workspace,
      dir: () => dir,
    });

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
