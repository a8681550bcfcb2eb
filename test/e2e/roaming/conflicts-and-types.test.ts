// Conflicts and the other token types, as users see them: bin/credroam-agent on simulated workstations against
// the real stack (throwaway slapd, RabbitMQ, directory-gateway with a policy file, token-crypto, logon-events).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ServiceProcess } from '../../helpers/service-process';
import { OpensslWorkspace } from '../../helpers/openssl';
import { waitFor } from '../../helpers/wait-for';
import { useSlapd } from '../../helpers/slapd';
import {
  credentialContent,
  expectOk,
  tokenContent,
  Workstations,
  type ListedToken,
} from '../../support/agent-cli';
import { startRoamingServices, type LogonStack } from '../../support/logon-stack';
import { BrokerProbe, testNamespace } from '../../support/messaging-fixtures';
import { tearDown } from '../../support/teardown';

interface ConflictEvent {
  type: string;
  code: number;
  user: string | null;
  machine: string | null;
  payload: {
    type: string;
    id: string;
    kind: string;
    winner: string;
    local: { hash: string; modifiedAt: number } | null;
    directory: { hash: string; modifiedAt: number } | null;
  };
}

const TARGET = 'TERMSRV/fileserver.example.com';

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
    const { store, run, login, sync, list } = new Workstations(
      () => dir,
      () => serverOf(stack),
    );
    const setCredential = async (workstation: string, secret: string, userName: string) => {
      const result = await run(
        workstation,
        ['credential', 'set', TARGET, '--secret-stdin', '--username', userName, '--json'],
        `${secret}\n`,
      );
      expectOk(result);
      expect(result.stdout).not.toContain(secret);
      return JSON.parse(result.stdout) as { status: string; modifiedAt: number };
    };
    const pick = (tokens: ListedToken[], type: string, id: string) =>
      tokens.find((token) => token.type === type && token.id === id);

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
      const onB = pick(await list('ws-b'), 'certificate-request', onA!.id);
      expect(onB).toMatchObject({ hash: onA!.hash, size: request.csrDer.length });
      expect(tokenContent(store('ws-b'), 'certificate-request', onA!.id).equals(request.csrDer)).toBe(true);
    }, 60_000);

    it('brings a stored credential set on A to B when policy roams stored credentials', async () => {
      expect(await setCredential('ws-a', 'first-secret', 'alice')).toMatchObject({ status: 'added' });
      expect((await sync('ws-a')).rejections).toEqual([]);
      await sync('ws-b');
      const onA = pick(await list('ws-a'), 'stored-credential', TARGET);
      expect(pick(await list('ws-b'), 'stored-credential', TARGET)).toEqual(onA);
      expect(
        tokenContent(store('ws-b'), 'stored-credential', TARGET).equals(
          credentialContent('first-secret', 'alice'),
        ),
      ).toBe(true);
    }, 60_000);

    it('resolves edits of the same credential on A and B to the newer one on both, and publishes a conflict', async () => {
      const editA = await setCredential('ws-a', 'edited-on-a', 'alice');
      // B's edit must be the later one: wait for the clock to pass A's, not a fixed time.
      await waitFor(() => Date.now() > editA.modifiedAt, { description: "the clock to pass A's edit" });
      const editB = await setCredential('ws-b', 'edited-on-b', 'alice');
      expect(editB.modifiedAt).toBeGreaterThan(editA.modifiedAt);

      await sync('ws-a');
      await sync('ws-b');
      await sync('ws-a');

      const expected = credentialContent('edited-on-b', 'alice');
      for (const workstation of ['ws-a', 'ws-b']) {
        expect(tokenContent(store(workstation), 'stored-credential', TARGET).equals(expected)).toBe(true);
        expect(pick(await list(workstation), 'stored-credential', TARGET)).toMatchObject({
          modifiedAt: editB.modifiedAt,
        });
      }
      const message = await probe.takeMatching(conflicts, (candidate) => {
        const event = JSON.parse(candidate.content.toString('utf8')) as ConflictEvent;
        return event.payload.type === 'stored-credential' && event.payload.id === TARGET;
      });
      const event = JSON.parse(message.content.toString('utf8')) as ConflictEvent;
      expect(event).toMatchObject({
        type: 'token.conflict',
        code: 501,
        user: 'alice',
        machine: 'ws-b',
        payload: {
          kind: 'both-changed',
          winner: 'local',
          local: expect.objectContaining({ modifiedAt: editB.modifiedAt }),
          directory: expect.objectContaining({ modifiedAt: editA.modifiedAt }),
        },
      });
    }, 60_000);

    it('keeps a stored credential on its machine when policy does not roam them (reported, not uploaded)', async () => {
      await login('ws-c', 'bob');
      await setCredential('ws-c', 'bob-secret', 'bob');
      const first = await sync('ws-c');
      expect(first.rejections).toEqual([expect.objectContaining({ code: 'POLICY_FILTERED' })]);
      await login('ws-d', 'bob');
      await sync('ws-d');
      expect(pick(await list('ws-d'), 'stored-credential', TARGET)).toBeUndefined();
      expect(pick(await list('ws-c'), 'stored-credential', TARGET)).toBeDefined();
    }, 60_000);
  },
);
