// Runs bin/credroam-agent as a real process against LogonEventsContractStub (a contract stub of logon-events,
// see its header), with credential files made by the openssl binary. Needs the build ("npm run build").
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { OpensslWorkspace, type GeneratedCertificate } from '../../helpers/openssl';
import { agent, expectOk, tokenContent } from '../../support/agent-cli';
import { LogonEventsContractStub } from './logon-events-contract.stub';

const ROOT = resolve(__dirname, '..', '..', '..');

describe('credroam-agent against the logon-events contract stub', () => {
  const stub = new LogonEventsContractStub();
  let workspace: OpensslWorkspace;
  let certificate: GeneratedCertificate;
  let dir: string;
  let storeA: string;
  let storeB: string;

  beforeAll(async () => {
    if (!existsSync(join(ROOT, 'dist', 'apps', 'agent', 'src', 'main.js'))) {
      throw new Error('dist/apps/agent is missing: run "npm run build" first');
    }
    stub.addUser('alice', 'alice-pass');
    await stub.start();
    workspace = await OpensslWorkspace.create();
    certificate = await workspace.selfSignedCertificate({ algorithm: 'p-256', subject: '/CN=alice roaming' });
    dir = mkdtempSync(join(tmpdir(), 'credroam-agent-it-'));
    storeA = join(dir, 'ws-a');
    storeB = join(dir, 'ws-b');
  }, 60_000);

  afterAll(async () => {
    await stub.stop();
    await workspace?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a wrong password with exit code 3 and a one-line message', async () => {
    const run = await agent(
      ['--store', storeA, 'login', '--server', stub.url, '--user', 'alice', '--password-stdin'],
      { stdin: 'wrong\n' },
    );
    expect(run.code).toBe(3);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toContain('INVALID_CREDENTIALS');
  });

  it('logs in two workstations of the same user', async () => {
    for (const [store, machine] of [
      [storeA, 'ws-a'],
      [storeB, 'ws-b'],
    ] as const) {
      const run = await agent(
        [
          '--store',
          store,
          'login',
          '--server',
          stub.url,
          '--user',
          'alice',
          '--password-stdin',
          '--machine',
          machine,
        ],
        { stdin: 'alice-pass\n' },
      );
      expect(run).toMatchObject({ code: 0 });
      expect(run.stdout).toContain(`logged in as alice`);
    }
  });

  it('imports a certificate and its key, and lists them as JSON', async () => {
    const cert = await agent(['--store', storeA, 'import', certificate.certFile]);
    expect(cert.code).toBe(0);
    expect(cert.stdout).toContain(`added certificate ${certificate.thumbprint}`);
    const key = await agent(['--store', storeA, 'import', certificate.keyFile]);
    expectOk(key);
    expect(key.stdout).toContain(`(key of certificate ${certificate.thumbprint})`);

    const list = await agent(['--store', storeA, 'list', '--json']);
    expect(list.code).toBe(0);
    const rows = JSON.parse(list.stdout) as Record<string, unknown>[];
    expect(rows).toHaveLength(2);
    for (const row of rows) {
      expect(Object.keys(row).sort()).toEqual(['hash', 'id', 'modifiedAt', 'size', 'type']);
      expect(row.hash).toMatch(/^[0-9a-f]{64}$/);
    }
    expect(rows.find((row) => row.type === 'certificate')).toMatchObject({
      id: certificate.thumbprint,
      size: certificate.certDer.length,
    });
  });

  it('uploads from one store and downloads byte-identical content into the other', async () => {
    const up = await agent(['--store', storeA, 'sync', '--trigger', 'store-change', '--json']);
    expectOk(up);
    expect(JSON.parse(up.stdout)).toMatchObject({ status: 'synced', uploaded: 2, downloaded: 0 });
    expect(stub.directoryOf('alice').entries).toHaveLength(2);

    const down = await agent(['--store', storeB, 'sync', '--trigger', 'logon', '--json']);
    expect(down.code).toBe(0);
    expect(JSON.parse(down.stdout)).toMatchObject({ status: 'synced', downloaded: 2 });
    expect(tokenContent(storeB, 'certificate', certificate.thumbprint).equals(certificate.certDer)).toBe(
      true,
    );
    const listA = JSON.parse((await agent(['--store', storeA, 'list', '--json'])).stdout);
    const listB = JSON.parse((await agent(['--store', storeB, 'list', '--json'])).stdout);
    expect(listB).toEqual(listA);
    const keyId = (listA as { type: string; id: string }[]).find((row) => row.type === 'private-key')!.id;
    // The key file's own PKCS#8 bytes (openssl pkey -outform DER re-encodes them, so compare with the PEM body).
    const keyFileDer = Buffer.from(certificate.keyPem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
    expect(tokenContent(storeB, 'private-key', keyId).equals(keyFileDer)).toBe(true);
    expect(
      tokenContent(storeB, 'private-key', keyId).equals(tokenContent(storeA, 'private-key', keyId)),
    ).toBe(true);

    const again = await agent(['--store', storeB, 'sync', '--json']);
    expect(JSON.parse(again.stdout)).toMatchObject({ status: 'up-to-date', uploaded: 0, downloaded: 0 });
  });

  it('propagates a deletion: a tombstone from one store, a local delete in the other', async () => {
    const removed = await agent(['--store', storeA, 'delete', 'certificate', certificate.thumbprint]);
    expect(removed.code).toBe(0);
    expect((await agent(['--store', storeA, 'sync', '--json'])).code).toBe(0);
    expect(stub.directoryOf('alice').entries.find((entry) => entry.type === 'certificate')).toMatchObject({
      tombstone: true,
    });

    const applied = await agent(['--store', storeB, 'sync', '--json']);
    expect(applied.code).toBe(0);
    expect(JSON.parse(applied.stdout)).toMatchObject({ deleted: 1 });
    const listB = JSON.parse((await agent(['--store', storeB, 'list', '--json'])).stdout) as {
      type: string;
    }[];
    expect(listB.map((row) => row.type)).toEqual(['private-key']);
  });

  it('retries a 503 and a 429 with Retry-After, then succeeds', async () => {
    const before = stub.requests.length;
    stub.failNext(
      { status: 503, code: 'SERVICE_UNAVAILABLE' },
      { status: 429, code: 'RATE_LIMITED', headers: { 'retry-after': '0' } },
    );
    const run = await agent(['--store', storeA, 'sync', '--json']);
    expect(run.code).toBe(0);
    expect(stub.requests.length - before).toBe(3);
  });

  it('self-heals a corrupt state file with a full resync instead of losing tokens', async () => {
    const before = JSON.parse((await agent(['--store', storeB, 'status', '--json'])).stdout);
    writeFileSync(join(storeB, 'state.json'), '{"format":1,"machine":');
    expect(JSON.parse((await agent(['--store', storeB, 'status', '--json'])).stdout)).toMatchObject({
      stateFile: 'corrupt',
    });
    const run = await agent(['--store', storeB, 'sync', '--json']);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('self-healing');
    expect(JSON.parse(run.stdout)).toMatchObject({ selfHealed: true, fullResync: 'no-base', code: 2 });
    expect(stub.events.slice(-2).map((event) => event.code)).toEqual([502, 2]);
    const listB = JSON.parse((await agent(['--store', storeB, 'list', '--json'])).stdout) as unknown[];
    expect(listB).toHaveLength(1);
    const status = JSON.parse((await agent(['--store', storeB, 'status', '--json'])).stdout);
    expect(status).toMatchObject({ stateFile: 'ok', loggedIn: true, tokens: before.tokens });
  });

  it('exits 4 when the server is unreachable and 2 on a usage error', async () => {
    const unreachable = await agent(
      [
        '--store',
        join(dir, 'ws-c'),
        'login',
        '--server',
        'http://127.0.0.1:1',
        '--user',
        'alice',
        '--password-stdin',
      ],
      { stdin: 'alice-pass\n', env: { CREDROAM_AGENT_RETRY_ATTEMPTS: '2' } },
    );
    expect(unreachable.code).toBe(4);
    expect((await agent(['--store', storeA, 'sync', '--trigger', 'sometimes'])).code).toBe(2);
    expect((await agent(['--store', storeA, 'delete', 'private-key', '../../x'])).code).toBe(2);
    expect((await agent(['--store', join(dir, 'ws-d'), 'sync'])).code).toBe(3);
    stub.failNext({ status: 401, code: 'SESSION_EXPIRED' });
    const expired = await agent(['--store', storeA, 'sync']);
    expect(expired.code).toBe(3);
    expect(expired.stderr).toContain('SESSION_EXPIRED');
  });

  it('imports a PKCS#12 bundle with its password from stdin, and roams it', async () => {
    const other = await workspace.selfSignedCertificate({ algorithm: 'rsa-2048', subject: '/CN=alice p12' });
    const bundle = await workspace.pkcs12(other, { password: 'bundle-pass' });
    const refused = await agent(['--store', storeA, 'import', bundle.file]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('--password-stdin');

    const run = await agent(['--store', storeA, 'import', bundle.file, '--password-stdin', '--json'], {
      stdin: 'bundle-pass\n',
    });
    expectOk(run);
    const imported = JSON.parse(run.stdout) as { type: string; status: string; linkedCertificate?: string }[];
    expect(imported).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ type: 'certificate', status: 'added' }),
        expect.objectContaining({
          type: 'private-key',
          status: 'added',
          linkedCertificate: other.thumbprint,
        }),
      ]),
    );
    expectOk(await agent(['--store', storeA, 'sync']));
    const down = await agent(['--store', storeB, 'sync', '--json']);
    expectOk(down);
    expect(tokenContent(storeB, 'certificate', other.thumbprint).equals(other.certDer)).toBe(true);
  });

  it('works with an RSA device key as well', async () => {
    const storeC = join(dir, 'ws-rsa');
    expectOk(
      await agent(
        ['--store', storeC, 'login', '--server', stub.url, '--user', 'alice', '--password-stdin'].concat([
          '--machine',
          'ws-rsa',
          '--key-type',
          'rsa-3072',
        ]),
        { stdin: 'alice-pass\n' },
      ),
    );
    expect(readFileSync(join(storeC, 'device-key.pem'), 'utf8')).toContain('BEGIN PRIVATE KEY');
    const run = await agent(['--store', storeC, 'sync', '--trigger', 'logon', '--json']);
    expectOk(run);
    expect(JSON.parse(run.stdout).downloaded).toBeGreaterThan(0);
    const listA = JSON.parse((await agent(['--store', storeA, 'list', '--json'])).stdout);
    const listC = JSON.parse((await agent(['--store', storeC, 'list', '--json'])).stdout);
    expect(listC).toEqual(listA);
  });
});
