// `credroam policy set` and `credroam policy show` as an administrator runs them (bin/credroam on the built code),
// with the admin CLI's own account of the shipped ACLs, against the running stack (slapd, RabbitMQ,
// directory-gateway, token-crypto, logon-events): a knob changed in the directory reaches the next sync of a
// logged-on workstation without restarting anything, and the effective policy names where each knob came from.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OpensslWorkspace } from '../../helpers/openssl';
import { type ServiceProcess } from '../../helpers/service-process';
import { useSlapd, type SlapdHandle } from '../../helpers/slapd';
import { waitFor } from '../../helpers/wait-for';
import { expectOk, Workstations } from '../../support/agent-cli';
import { startRoamingServices, type LogonStack } from '../../support/logon-stack';
import { brokerUrl, testNamespace } from '../../support/messaging-fixtures';
import { tearDown } from '../../support/teardown';

const ROOT = join(__dirname, '..', '..', '..');
/** Both caches (gateway and logon-events) at one second, so the suite waits seconds, not minutes. */
const CACHE_SECONDS = '1';
/** Each run of bin/credroam loads the built code afresh: seconds each on a busy machine. */
const TEST_TIMEOUT_MS = 180_000;

interface EffectivePolicyReport {
  user: string;
  policy: Record<string, unknown>;
  sources: Record<string, string>;
}

describe('credroam policy, changing the policy of a running stack', () => {
  const slapd = useSlapd({
    users: [{ uid: 'alice', password: 'alice-pass', ou: 'finance' }],
    groups: [{ cn: 'roaming-pilot', members: ['alice'] }],
  });
  const namespace = testNamespace();
  let dir: string;
  let passwordFile: string;
  let workspace: OpensslWorkspace;
  let gateway: ServiceProcess;
  let stack: LogonStack;
  const { run, login, sync } = new Workstations(
    () => dir,
    () => stack.url,
  );
  const pilot = () => slapd().groups[0]!.dn;
  const finance = () => `ou=finance,${slapd().peopleDn}`;

  function credroam(handle: SlapdHandle, args: string[]) {
    const result = spawnSync(process.execPath, [join(ROOT, 'bin', 'credroam'), 'policy', ...args], {
      encoding: 'utf8',
      env: {
        ...process.env,
        CREDROAM_ADMIN_LDAP_URL: handle.url,
        CREDROAM_ADMIN_LDAP_BIND_DN: handle.readerDn,
        CREDROAM_ADMIN_LDAP_PASSWORD_FILE: passwordFile,
        CREDROAM_ADMIN_LDAP_BASE_DN: handle.suffix,
        CREDROAM_AMQP_URL: brokerUrl(),
        CREDROAM_AMQP_NAMESPACE: namespace,
      },
      timeout: 60_000,
    });
    return { code: result.status, stdout: result.stdout, stderr: result.stderr };
  }

  const effective = (): EffectivePolicyReport => {
    const shown = credroam(slapd(), ['show', '--user', 'alice', '--json']);
    expect(shown).toMatchObject({ code: 0 });
    return JSON.parse(shown.stdout) as EffectivePolicyReport;
  };

  const importCertificate = async (workstation: string) => {
    const certificate = await workspace.selfSignedCertificate();
    expectOk(await run(workstation, ['import', certificate.certFile]));
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'credroam-e2e-policy-'));
    passwordFile = join(dir, 'admin.password');
    writeFileSync(passwordFile, `${slapd().readerPassword}\n`, { mode: 0o600 });
    const policyFile = join(dir, 'policy.json');
    writeFileSync(policyFile, JSON.stringify({ defaults: { refreshMinutes: 120 } }));
    workspace = await OpensslWorkspace.create();
    ({ gateway, stack } = await startRoamingServices(
      slapd(),
      namespace,
      { CREDROAM_POLICY_FILE: policyFile, CREDROAM_POLICY_CACHE_SECONDS: CACHE_SECONDS },
      { logonEnv: { CREDROAM_POLICY_CACHE_SECONDS: CACHE_SECONDS } },
    ));
  }, 120_000);

  afterAll(() => tearDown({ services: [gateway, ...(stack?.processes ?? [])], workspace, dir }));

  it(
    'shows that the directory holds no policy yet, and the bootstrap file in force',
    () => {
      const shown = credroam(slapd(), ['show']);
      expect(shown.code).toBe(0);
      expect(shown.stdout).toContain(`no policy container at cn=credroam-policy,${slapd().suffix}`);
      const alice = effective();
      expect(alice.policy).toMatchObject({ refreshMinutes: 120, maxTokens: 2000 });
      expect(alice.sources.refreshMinutes).toBe('default');
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'lowers maxTokens for a group and the next sync of a logged-on workstation is held to it, then lifts it',
    async () => {
      await login('ws-a');
      await importCertificate('ws-a');
      await importCertificate('ws-a');
      expect((await sync('ws-a')).status).toBe('synced');

      const set = credroam(slapd(), ['set', 'maxTokens=2', '--group', pilot(), '--priority', '10', '--yes']);
      expect(set).toMatchObject({ code: 0 });
      expect(set.stdout).toContain('maxTokens: (not set here) -> 2');
      const defaults = credroam(slapd(), ['set', 'tombstoneDays=90', '--yes', '--json']);
      expect(defaults.code).toBe(0);
      expect(credroam(slapd(), ['set', 'maxTokenBytes=32768', '--ou', finance(), '--yes']).code).toBe(0);

      const shown = credroam(slapd(), ['show', '--json']);
      expect(shown.code).toBe(0);
      const objects = JSON.parse(shown.stdout) as {
        present: boolean;
        policy: { defaults: object; overrides: { scope: { kind: string; dn: string }; priority: number }[] };
      };
      expect(objects.present).toBe(true);
      expect(objects.policy.defaults).toEqual({ tombstoneDays: 90 });
      expect(objects.policy.overrides.map((override) => [override.scope.kind, override.priority])).toEqual(
        expect.arrayContaining([
          ['group', 10],
          ['subtree', 0],
        ]),
      );

      await waitFor(() => effective().policy.maxTokens === 2, {
        timeoutMs: 10_000,
        intervalMs: 300,
        description: 'the group override in the effective policy',
      });
      const alice = effective();
      expect(alice.policy).toMatchObject({ refreshMinutes: 120, tombstoneDays: 90, maxTokenBytes: 32768 });
      expect(alice.sources).toMatchObject({
        refreshMinutes: 'default',
        tombstoneDays: `directory:cn=credroam-policy,${slapd().suffix}`,
        maxTokenBytes: `subtree:${finance()}`,
        maxTokens: `group:${pilot()}`,
      });
      const words = credroam(slapd(), ['show', '--user', 'alice']).stdout;
      expect(words).toContain(`maxTokens = 2  (group ${pilot()})`);
      expect(words).toContain(`tombstoneDays = 90  (directory default cn=credroam-policy,${slapd().suffix})`);

      // The same session, no new logon, no restart: logon-events' cache of the session's policy has expired too.
      await new Promise((resolve) => setTimeout(resolve, Number(CACHE_SECONDS) * 1000 + 200));
      await importCertificate('ws-a');
      const blocked = await run('ws-a', ['sync', '--json']);
      expect(blocked.code).toBe(1);
      expect(JSON.parse(blocked.stdout)).toMatchObject({ status: 'blocked', code: 1008 });

      const lifted = credroam(slapd(), ['set', 'maxTokens=', '--group', pilot(), '--yes']);
      expect(lifted).toMatchObject({ code: 0 });
      expect(lifted.stdout).toContain('maxTokens: 2 -> (not set here)');
      await waitFor(async () => (await run('ws-a', ['sync', '--json'])).code === 0, {
        timeoutMs: 15_000,
        intervalMs: 500,
        description: 'a sync under the lifted limit',
      });
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'refuses a value out of range on the command line (exit 2) and a link to an entry that does not exist (exit 1)',
    () => {
      const range = credroam(slapd(), ['set', 'maxTokens=0', '--yes']);
      expect(range.code).toBe(2);
      expect(range.stderr).toContain('maxTokens: must be at least 1');
      const nowhere = credroam(slapd(), [
        'set',
        'maxTokens=5',
        '--ou',
        `ou=nowhere,${slapd().suffix}`,
        '--yes',
      ]);
      expect(nowhere.code).toBe(1);
      expect(nowhere.stderr).toContain('no entry ou=nowhere');
      const unconfirmed = credroam(slapd(), ['set', 'maxTokens=5']);
      expect(unconfirmed.code).toBe(2);
      expect(unconfirmed.stderr).toContain('pass --yes');
    },
    TEST_TIMEOUT_MS,
  );
});
