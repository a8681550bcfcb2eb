// The applications' stores with the real tools: the NSS sync against a database driven by certutil/pk12util
// (Debian libnss3-tools), and `export` outputs opened by the openssl binary. No server: the store is logged in by
// the agent fixture, and the CLI runs in this process.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../../../apps/agent/src/cli/cli';
import { type CliEnvironment } from '../../../apps/agent/src/cli/cli-context';
import { nssWatchPaths } from '../../../apps/agent/src/nss/nss-database';
import { agentFixture, NOW, type AgentFixture } from '../../../apps/agent/src/testing/agent-fixtures';
import { openssl, OpensslWorkspace, type GeneratedCertificate } from '../../helpers/openssl';

// certutil, pk12util and openssl run a few dozen times on a busy 2-core machine.
jest.setTimeout(60_000);

interface NssReport {
  added: string[];
  removed: string[];
  roamed: string[];
  problems: string[];
}

function certutil(args: string[]): string {
  return execFileSync('certutil', args, { encoding: 'utf8' });
}

describe('the applications’ stores with certutil, pk12util and openssl', () => {
  let fixture: AgentFixture;
  let workspace: OpensslWorkspace;
  let nssdb: string;
  let alice: GeneratedCertificate;

  const cli = async (args: string[], stdin = '') => {
    const out: string[] = [];
    const err: string[] = [];
    const environment: CliEnvironment = {
      io: {
        stdout: (text) => out.push(text),
        stderr: (text) => err.push(text),
        readStdin: async () => stdin,
      },
      env: {},
      now: () => NOW,
    };
    const code = await runCli(['--store', fixture.store.layout.root, ...args], environment);
    return { code, stdout: out.join(''), stderr: err.join('') };
  };
  const nssSync = async (): Promise<NssReport> => {
    const result = await cli(['nss', 'sync', '--nssdb', nssdb, '--json']);
    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
    return JSON.parse(result.stdout) as NssReport;
  };
  const importFile = async (file: string, stdin = '', args: string[] = []) => {
    const result = await cli(['import', file, ...args], stdin);
    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
  };
  const listing = () => certutil(['-L', '-d', `sql:${nssdb}`]);
  const keys = () => {
    try {
      return certutil(['-K', '-d', `sql:${nssdb}`, '-f', '/dev/null']);
    } catch {
      return 'no keys';
    }
  };
  const stored = (type: 'certificate' | 'private-key', id: string) => fixture.store.tokens.get({ type, id });
  const linkedKey = (thumbprint: string) =>
    fixture.store.tokens.list().tokens.find((token) => token.meta.linkedCertificate === thumbprint);

  beforeAll(async () => {
    workspace = await OpensslWorkspace.create();
    alice = await workspace.selfSignedCertificate({
      subject: '/CN=Alice Example/O=credroam',
      algorithm: 'rsa-2048',
    });
  });
  afterAll(() => workspace.dispose());
  beforeEach(async () => {
    fixture = agentFixture();
    nssdb = join(fixture.dir, 'home', '.pki', 'nssdb');
    const bundle = await workspace.pkcs12(alice, { password: 'p12 password' });
    await importFile(bundle.file, 'p12 password\n', ['--password-stdin']);
  });
  afterEach(() => fixture.dispose());

  it('creates the database and puts a roamed certificate in with its key, named by CN and thumbprint', async () => {
    const report = await nssSync();
    expect(report).toEqual({
      database: nssdb,
      added: [alice.thumbprint],
      removed: [],
      roamed: [],
      problems: [],
    });
    const nickname = `Alice Example (${alice.thumbprint.slice(0, 8)})`;
    expect(listing()).toMatch(new RegExp(`^${nickname.replace(/[()]/g, '\\$&')}\\s+u,u,u\\s*$`, 'm'));
    expect(keys()).toContain(nickname);
    expect(statSync(nssdb).mode & 0o777).toBe(0o700);
    for (const file of nssWatchPaths(nssdb)) expect(statSync(file).mode & 0o077).toBe(0);
    // What NSS holds is the roamed certificate itself.
    const pem = certutil(['-L', '-d', `sql:${nssdb}`, '-n', nickname, '-a']);
    expect(await workspace.thumbprint(writeTemp(fixture, 'from-nss.pem', pem))).toBe(alice.thumbprint);
    expect((await nssSync()).added).toEqual([]);
  });

  it('removes from NSS what is deleted from the store, and only that', async () => {
    await nssSync();
    const mine = await workspace.selfSignedCertificate({ subject: '/CN=Added By Hand' });
    certutil([
      '-A',
      '-d',
      `sql:${nssdb}`,
      '-n',
      'my own',
      '-t',
      ',,',
      '-i',
      mine.certFile,
      '-f',
      '/dev/null',
    ]);
    expect((await nssSync()).roamed).toEqual([mine.thumbprint]);

    expect((await cli(['delete', 'certificate', alice.thumbprint])).code).toBe(0);
    const report = await nssSync();
    expect(report).toMatchObject({ removed: [alice.thumbprint], added: [], problems: [] });
    expect(listing()).not.toContain('Alice Example');
    expect(keys()).not.toContain('Alice Example');
    expect(listing()).toContain('my own');
  });

  it('imports into roaming a certificate with its key that the user added to NSS', async () => {
    await nssSync();
    const bob = await workspace.selfSignedCertificate({ subject: '/CN=Bob Hand', algorithm: 'p-256' });
    const bundle = await workspace.pkcs12(bob, { password: 'bob', name: 'bob from firefox' });
    const passwordFile = writeTemp(fixture, 'bob-password', 'bob');
    execFileSync('pk12util', [
      '-i',
      bundle.file,
      '-d',
      `sql:${nssdb}`,
      '-w',
      passwordFile,
      '-k',
      '/dev/null',
    ]);

    const report = await nssSync();
    expect(report).toMatchObject({ roamed: [bob.thumbprint], added: [], removed: [], problems: [] });
    expect(stored('certificate', bob.thumbprint)?.content.equals(bob.certDer)).toBe(true);
    expect(linkedKey(bob.thumbprint)?.meta.type).toBe('private-key');
    // Taken over: deleting it from roaming now removes it from NSS instead of importing it again.
    expect((await cli(['delete', 'certificate', bob.thumbprint])).code).toBe(0);
    expect(await nssSync()).toMatchObject({ removed: [bob.thumbprint], roamed: [] });
    expect(listing()).not.toContain('bob from firefox');
  });

  it('removes one certificate of a subject and keeps its renewal (NSS files both under one nickname)', async () => {
    const old = await workspace.selfSignedCertificate({ subject: '/CN=Renewed', algorithm: 'p-256' });
    const renewal = await workspace.selfSignedCertificate({ subject: '/CN=Renewed', algorithm: 'p-256' });
    for (const certificate of [old, renewal]) {
      await importFile((await workspace.pkcs12(certificate, { password: 'x' })).file, 'x\n', [
        '--password-stdin',
      ]);
    }
    expect((await nssSync()).added).toHaveLength(3);
    expect((await cli(['delete', 'certificate', old.thumbprint])).code).toBe(0);
    expect(await nssSync()).toMatchObject({ removed: [old.thumbprint], added: [], roamed: [], problems: [] });
    // Whichever came first named the subject; the renewal is what is left under that name.
    const nickname = /^(Renewed \([0-9A-F]{8}\))/m.exec(listing())?.[1] as string;
    const left = certutil(['-L', '-d', `sql:${nssdb}`, '-n', nickname, '-a']);
    expect(await workspace.thumbprint(writeTemp(fixture, 'left.pem', left))).toBe(renewal.thumbprint);
    expect(keys().match(/Renewed/g)).toHaveLength(1);
  });

  it('reports a database it cannot write (a password) with exit 1, the store untouched', async () => {
    mkdirSync(nssdb, { recursive: true });
    const passwordFile = writeTemp(fixture, 'db-password', 'db secret');
    certutil(['-N', '-d', `sql:${nssdb}`, '-f', passwordFile]);
    const result = await cli(['nss', 'sync', '--nssdb', nssdb]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/has a password/);
    expect(stored('certificate', alice.thumbprint)).not.toBeNull();
  });

  describe('export', () => {
    const out = (name: string) => join(fixture.dir, name);

    it('writes PEM and DER certificates that openssl reads, mode 0600, never over a file without --force', async () => {
      expect((await cli(['export', alice.thumbprint.toLowerCase(), '--pem', out('a.pem')])).code).toBe(0);
      expect(await workspace.thumbprint(out('a.pem'))).toBe(alice.thumbprint);
      expect(statSync(out('a.pem')).mode & 0o777).toBe(0o600);
      expect((await cli(['export', alice.thumbprint, '--der', out('a.der')])).code).toBe(0);
      const der = await openssl(['x509', '-inform', 'DER', '-in', out('a.der'), '-outform', 'DER']);
      expect(der.equals(alice.certDer)).toBe(true);

      const again = await cli(['export', alice.thumbprint, '--pem', out('a.pem')]);
      expect(again.code).toBe(1);
      expect(again.stderr).toMatch(/exists; use --force/);
      expect((await cli(['export', alice.thumbprint, '--pem', out('a.pem'), '--force'])).code).toBe(0);
    });

    it('writes the key as encrypted PKCS#8 that openssl pkcs8 opens with the passphrase', async () => {
      const result = await cli(
        ['export', alice.thumbprint, '--pkcs8', out('a.key'), '--passphrase-stdin'],
        'pass phrase\n',
      );
      expect(result.code).toBe(0);
      expect(statSync(out('a.key')).mode & 0o777).toBe(0o600);
      const plain = await openssl([
        'pkcs8',
        '-in',
        out('a.key'),
        '-passin',
        'pass:pass phrase',
        '-outform',
        'DER',
      ]);
      expect(plain.equals(alice.keyDer)).toBe(true);
      await expect(openssl(['pkcs8', '-in', out('a.key'), '-passin', 'pass:wrong'])).rejects.toThrow();
    });

    it('writes PKCS#12 that openssl pkcs12 opens, certificate and key', async () => {
      const result = await cli(
        ['export', alice.thumbprint, '--p12', out('a.p12'), '--passphrase-stdin'],
        'p12 pass\n',
      );
      expect(result.code).toBe(0);
      const pem = (
        await openssl(['pkcs12', '-in', out('a.p12'), '-passin', 'pass:p12 pass', '-nodes'])
      ).toString();
      expect(pem).toContain(`friendlyName: Alice Example (${alice.thumbprint.slice(0, 8)})`);
      const certificate = writeTemp(fixture, 'p12-cert.pem', pem);
      expect(await workspace.thumbprint(certificate)).toBe(alice.thumbprint);
      const key = await openssl(['pkey', '-in', certificate, '-outform', 'DER']);
      expect(key.equals(alice.keyDer)).toBe(true);
    });

    it('refuses usage errors and a certificate without a key for --pkcs8', async () => {
      expect((await cli(['export', alice.thumbprint, '--p12', out('x.p12')])).code).toBe(2);
      expect((await cli(['export', alice.thumbprint, '--pem', out('x'), '--der', out('y')])).code).toBe(2);
      expect((await cli(['export', 'not-a-thumbprint', '--pem', out('x')])).code).toBe(2);
      expect((await cli(['export', '0'.repeat(40), '--pem', out('x')])).code).toBe(1);
      expect(existsSync(out('x'))).toBe(false);
    });
  });
});

function writeTemp(fixture: AgentFixture, name: string, content: string): string {
  const file = join(fixture.dir, name);
  writeFileSync(file, content, { mode: 0o600 });
  return file;
}
