// Roaming as users see it, on a real Samba 4 AD domain controller: bin/credroam-agent on simulated workstations
// against directory-gateway (active-directory dialect, AD's own msPKI* attributes and DN-Binary syntax, the DC's
// compare-and-swap), token-crypto and logon-events, each as its own process. The cases shared with the slapd
// suites are in roaming-cases.ts; the concurrent writers here race on the DC's stamp.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OpensslWorkspace } from '../../helpers/openssl';
import { useSambaAd } from '../../helpers/samba-ad';
import { type ServiceProcess } from '../../helpers/service-process';
import { withLdap } from '../../helpers/slapd';
import { expectOk, Workstations } from '../../support/agent-cli';
import { startRoamingServices, type LogonStack } from '../../support/logon-stack';
import { BrokerProbe, testNamespace } from '../../support/messaging-fixtures';
import { tearDown } from '../../support/teardown';
import { certificateRoamingCases, storedCredentialCases, type RoamingCaseContext } from './roaming-cases';

/** Below logon-events' CREDROAM_SYNC_MAX_ATTEMPTS (5): each round of the race has a winner, so nobody runs out. */
const CONCURRENT_WRITERS = 4;

describe('roaming between workstations with the agent CLI on a Samba AD domain controller', () => {
  const samba = useSambaAd();
  const namespace = testNamespace();
  let probe: BrokerProbe;
  let conflicts: string;
  let retries: string;
  let gateway: ServiceProcess;
  let stack: LogonStack;
  let workspace: OpensslWorkspace;
  let dir: string;
  const workstations = new Workstations(
    () => dir,
    () => stack.url,
  );
  const context: RoamingCaseContext = {
    directory: samba,
    server: () => stack.url,
    workstations,
    workspace: () => workspace,
    dir: () => dir,
  };

  beforeAll(async () => {
    probe = await BrokerProbe.open(namespace);
    conflicts = await probe.observe('conflicts', ['token.conflict']);
    retries = await probe.observe('retries', ['directory.write-retried']);
    dir = mkdtempSync(join(tmpdir(), 'credroam-e2e-samba-'));
    const policyFile = join(dir, 'policy.json');
    writeFileSync(policyFile, JSON.stringify({ defaults: { roamStoredCredentials: true }, overrides: [] }));
    ({ gateway, stack } = await startRoamingServices(samba(), namespace, {
      CREDROAM_POLICY_FILE: policyFile,
    }));
    probe.track({ queues: [`${namespace}.logon-events.ingress`] });
    workspace = await OpensslWorkspace.create();
  }, 90_000);

  afterAll(async () => {
    await tearDown({ services: [...(stack?.processes ?? []), gateway], probe, workspace, dir });
  }, 30_000);

  certificateRoamingCases(context);
  storedCredentialCases({ ...context, probe: () => probe, conflicts: () => conflicts });

  it(`loses no update when ${CONCURRENT_WRITERS} workstations sync their own imports at the same moment`, async () => {
    const { run, login, sync, list } = workstations;
    const names = Array.from({ length: CONCURRENT_WRITERS }, (_, index) => `bob-${index}`);
    const certificates = await Promise.all(
      names.map((name) =>
        workspace.selfSignedCertificate({ algorithm: 'p-256', subject: `/CN=bob ${name}` }),
      ),
    );
    await Promise.all(names.map((name) => login(name, 'bob')));
    await Promise.all(
      names.map(async (name, index) => expectOk(await run(name, ['import', certificates[index]!.certFile]))),
    );

    const racing = await Promise.all(names.map((name) => sync(name)));
    expect(racing.map((summary) => summary.rejections)).toEqual(names.map(() => []));
    const lostRaces = (await probe.drain(retries)).length;
    process.stderr.write(`[samba-ad] ${lostRaces} write(s) lost the race on the stamp and were retried\n`);

    const expected = certificates.map((certificate) => certificate.thumbprint).sort();
    const after = await Promise.all(
      names.map(async (name) => {
        await sync(name);
        return (await list(name)).map((token) => token.id).sort();
      }),
    );
    expect(after).toEqual(names.map(() => expected));
    const values = await withLdap(samba(), 'admin', async (client) => {
      const { searchEntries } = await client.search(samba().user('bob').dn, {
        scope: 'base',
        attributes: ['msPKIAccountCredentials'],
      });
      return [searchEntries[0]?.msPKIAccountCredentials ?? []].flat();
    });
    expect(values).toHaveLength(CONCURRENT_WRITERS);
  }, 120_000);
});
