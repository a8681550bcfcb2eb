// Conflicts and the other token types, as users see them: bin/credroam-agent on simulated workstations against
// the real stack (throwaway slapd, RabbitMQ, directory-gateway with a policy file, token-crypto, logon-events).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ServiceProcess } from '../../helpers/service-process';
import { OpensslWorkspace } from '../../helpers/openssl';
import { useSlapd } from '../../helpers/slapd';
import { expectOk, tokenContent, Workstations } from '../../support/agent-cli';
import { startRoamingServices, type LogonStack } from '../../support/logon-stack';
import { BrokerProbe, testNamespace } from '../../support/messaging-fixtures';
import { tearDown } from '../../support/teardown';
import { CREDENTIAL_TARGET, pickToken, setCredential, storedCredentialCases } from './roaming-cases';

describe.each([
  ['HTTP', (stack: LogonStack) => stack.url],
  ['the AMQP ingress', (stack: LogonStack) => stack.ingressUrl],
])(
  'conflicts, requests and stored credentials roaming with the agent CLI over %s',
  (_transport, serverOf) => {
    const slapd = useSlapd({
      users: [
        { uid: 'alice', password: 'alice-pass' },
        { uid: 'bob', password: 'bob-pass' },
      ],
    });
    const namespace = testNamespace();
    let probe: BrokerProbe;
    let conflicts: string;
    let gateway: ServiceProcess;
    let stack: LogonStack;
    let workspace: OpensslWorkspace;
    let dir: string;
    const workstations = new Workstations(
      () => dir,
      () => serverOf(stack),
    );
    const { store, run, login, sync, list } = workstations;

    beforeAll(async () => {
      probe = await BrokerProbe.open(namespace);
      conflicts = await probe.observe('conflicts', ['token.conflict']);
      dir = mkdtempSync(join(tmpdir(), 'credroam-e2e-'));
      const policyFile = join(dir, 'policy.json');
      writeFileSync(
        policyFile,
        JSON.stringify({
          defaults: { roamStoredCredentials: true },
          overrides: [
            {
              scope: { kind: 'subtree', dn: slapd().user('bob').dn },
              settings: { roamStoredCredentials: false },
            },
          ],
        }),
      );
      ({ gateway, stack } = await startRoamingServices(slapd(), namespace, {
        CREDROAM_POLICY_FILE: policyFile,
      }));
      probe.track({ queues: [`${namespace}.logon-events.ingress`] });
      workspace = await OpensslWorkspace.create();
      await login('ws-a');
      await login('ws-b');
    }, 90_000);

    afterAll(async () => {
      await tearDown({ services: [...(stack?.processes ?? []), gateway], probe, workspace, dir });
    }, 30_000);

    it('brings a certificate request imported on A to B, byte-identical', async () => {
      const request = await workspace.certificateRequest({
        algorithm: 'p-256',
        subject: '/CN=alice pending',
      });
      expectOk(await run('ws-a', ['import', request.csrFile]));
      const [onA] = (await list('ws-a')).filter((token) => token.type === 'certificate-request');
      expect(onA).toBeDefined();
      expect((await sync('ws-a')).rejections).toEqual([]);

      await sync('ws-b');
      const onB = pickToken(await list('ws-b'), 'certificate-request', onA!.id);
      expect(onB).toMatchObject({ hash: onA!.hash, size: request.csrDer.length });
      expect(tokenContent(store('ws-b'), 'certificate-request', onA!.id).equals(request.csrDer)).toBe(true);
    }, 60_000);

    storedCredentialCases({
      directory: slapd,
      server: () => serverOf(stack),
      workstations,
      workspace: () => workspace,
      dir: () => dir,
      probe: () => probe,
      conflicts: () => conflicts,
    });

    it('keeps a stored credential on its machine when policy does not roam them (reported, not uploaded)', async () => {
      await login('ws-c', 'bob');
      await setCredential(workstations, 'ws-c', 'bob-secret', 'bob');
      const first = await sync('ws-c');
      expect(first.rejections).toEqual([expect.objectContaining({ code: 'POLICY_FILTERED' })]);
      await login('ws-d', 'bob');
      await sync('ws-d');
      expect(pickToken(await list('ws-d'), 'stored-credential', CREDENTIAL_TARGET)).toBeUndefined();
      expect(pickToken(await list('ws-c'), 'stored-credential', CREDENTIAL_TARGET)).toBeDefined();
    }, 60_000);
  },
);
