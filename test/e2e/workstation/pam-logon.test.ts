// A real logon: a local account, the README's PAM lines in a test service, pamtester, and the agent bundle as the
// package installs it, against the real stack (slapd, RabbitMQ, directory-gateway, token-crypto, logon-events).
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleAgent } from '../../../scripts/lib/agent-bundle.cjs';
import { filesUnder } from '../../helpers/files';
import { OpensslWorkspace, type GeneratedCertificate } from '../../helpers/openssl';
import { type ServiceProcess } from '../../helpers/service-process';
import { useSlapd } from '../../helpers/slapd';
import { waitFor } from '../../helpers/wait-for';
import { expectOk, tokenContent, Workstations } from '../../support/agent-cli';
import {
  createLocalAccount,
  installPamService,
  localAccountName,
  pamtester,
  type LocalAccount,
} from '../../support/local-pam';
import { startRoamingServices, type LogonStack } from '../../support/logon-stack';
import { BrokerProbe, testNamespace } from '../../support/messaging-fixtures';
import { tearDown } from '../../support/teardown';

const user = localAccountName();
const password = `${user}-pass`;

describe('logon through PAM (pam_exec + credroam-agent pam-hook)', () => {
  const slapd = useSlapd({ users: [{ uid: user, password }] });
  const namespace = testNamespace();
  let probe: BrokerProbe;
  let gateway: ServiceProcess;
  let stack: LogonStack;
  let workspace: OpensslWorkspace;
  let certificate: GeneratedCertificate;
  let dir: string;
  let account: LocalAccount | undefined;
  const removals: (() => void)[] = [];
  const workstation = new Workstations(
    () => dir,
    () => stack.url,
  );
  const store = () => join(account!.home, '.local', 'share', 'credroam');

  /** A PAM service running the agent bundle with `config`, as pam.example says (plus pam_unix, which checks). */
  function service(name: string, config: object): string {
    const configFile = join(dir, `${name}.json`);
    writeFileSync(configFile, JSON.stringify(config));
    const hook = `${join(dir, 'agent.cjs')} pam-hook --config ${configFile}`;
    const pamService = `credroam-e2e-${user}-${name}`;
    removals.push(
      installPamService(pamService, [
        'auth     required  pam_unix.so',
        `auth     optional  pam_exec.so expose_authtok quiet ${hook}`,
        'account  required  pam_permit.so',
        `session  optional  pam_exec.so quiet ${hook}`,
      ]),
    );
    return pamService;
  }

  beforeAll(async () => {
    probe = await BrokerProbe.open(namespace);
    ({ gateway, stack } = await startRoamingServices(slapd(), namespace));
    probe.track({ queues: [`${namespace}.logon-events.ingress`] });
    workspace = await OpensslWorkspace.create();
    certificate = await workspace.selfSignedCertificate({
      algorithm: 'p-256',
      subject: `/CN=${user} roamed`,
    });
    dir = mkdtempSync(join(tmpdir(), 'credroam-pam-e2e-'));
    // The worker runs as the user: it must be able to read the bundle.
    chmodSync(dir, 0o755);
    await bundleAgent(join(dir, 'agent.cjs'));
    account = createLocalAccount(user, password);

    // Another workstation roams a certificate into the directory.
    await workstation.login('ws-a', user);
    expectOk(await workstation.run('ws-a', ['import', certificate.certFile]));
    await workstation.sync('ws-a');
  }, 120_000);

  afterAll(async () => {
    for (const remove of removals) remove();
    await account?.dispose();
    await tearDown({ services: [...(stack?.processes ?? []), gateway], probe, workspace, dir });
  }, 60_000);

  it('with a wrong password, syncs nothing', async () => {
    const pam = service('wrong', { server: stack.url, logonBudgetSeconds: 5 });
    const logon = await pamtester(pam, user, 'not-the-password', ['authenticate']);
    expect(logon.code).not.toBe(0);
    await account!.idle();
    expect(existsSync(join(store(), 'session.json'))).toBe(false);
    expect(filesUnder(join(store(), 'tokens'))).toEqual([]);
  }, 60_000);

  it('with the right password, brings the certificate roamed from another workstation into the user store', async () => {
    const pam = service('right', { server: stack.url, logonBudgetSeconds: 5, nssdb: true });
    const logon = await pamtester(pam, user, password, ['authenticate', 'open_session', 'close_session']);
    expect(logon).toEqual({ code: 0, output: expect.stringContaining('successfully authenticated') });
    const content = await waitFor(
      () =>
        existsSync(join(store(), 'state.json')) &&
        tokenContent(store(), 'certificate', certificate.thumbprint),
      { description: 'the roamed certificate in the user store', timeoutMs: 20_000 },
    );
    expect(content.equals(certificate.certDer)).toBe(true);
    await account!.idle();

    const paths = [join(account!.home, '.local'), join(account!.home, '.local', 'share'), store()];
    for (const path of [...paths, ...filesUnder(store())]) {
      const stats = lstatSync(path);
      expect({ path, uid: stats.uid }).toEqual({ path, uid: account!.uid });
    }
    for (const file of filesUnder(store())) {
      expect({ file, mode: lstatSync(file).mode & 0o777 }).toEqual({ file, mode: 0o600 });
    }
    for (const sub of [store(), join(store(), 'tokens'), join(store(), 'tokens', 'certificate')]) {
      expect({ sub, mode: lstatSync(sub).mode & 0o777 }).toEqual({ sub, mode: 0o700 });
    }

    // nssdb: true: the user's NSS database has the roamed certificate, and belongs to the user.
    const nssdb = join(account!.home, '.pki', 'nssdb');
    const nicknames = execFileSync('certutil', ['-L', '-d', `sql:${nssdb}`], { encoding: 'utf8' });
    expect(nicknames).toContain(`${user} roamed (${certificate.thumbprint.slice(0, 8)})`);
    for (const path of [nssdb, ...filesUnder(nssdb)]) {
      expect({ path, uid: lstatSync(path).uid }).toEqual({ path, uid: account!.uid });
    }
    expect(lstatSync(nssdb).mode & 0o777).toBe(0o700);
  }, 60_000);

  it('with the server not answering, lets the logon through and goes on with the sync in the background', async () => {
    const held: Socket[] = [];
    const silent: Server = createServer((socket) => held.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as { port: number };
    try {
      const pam = service('silent', { server: `http://127.0.0.1:${port}`, logonBudgetSeconds: 1 });
      // The server never answers until the logon is over: a hook that waited for the sync would never return.
      const logon = await pamtester(pam, user, password, ['authenticate']);
      expect(logon.code).toBe(0);
      await waitFor(() => held.length > 0, {
        description: "the agent's request, still under way after the logon",
        timeoutMs: 20_000,
      });
    } finally {
      for (const socket of held) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
    await account!.idle();
  }, 60_000);
});
