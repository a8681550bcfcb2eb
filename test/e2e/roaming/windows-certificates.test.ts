// Certificates that Windows clients roamed, on Linux: the public DSInternals vectors (a certificate and a CAPI
// private key, written by Windows) planted in alice's entry in a real slapd reach bin/credroam-agent through the
// real stack as a read-only certificate, byte-identical to the DER inside the vector, and a Windows-only key.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Attribute, Change } from 'ldapts';
import { encodeRoamingValue, decodeRoamingValue } from '@credroam/roaming';
import { type ServiceProcess } from '../../helpers/service-process';
import { useSlapd, withLdap } from '../../helpers/slapd';
import { expectOk, Workstations } from '../../support/agent-cli';
import { startRoamingServices, type LogonStack } from '../../support/logon-stack';
import { BrokerProbe, testNamespace } from '../../support/messaging-fixtures';
import { windowsVectors } from '../../support/planted-values';
import { tearDown } from '../../support/teardown';

const THUMBPRINT = '3B83BFA7037F6A79B3F3D17D229E1BC097F35B51';
const CREDENTIALS = 'msPKIAccountCredentials';

function vector(name: string): Buffer {
  const found = windowsVectors().find((candidate) => candidate.name === name);
  if (!found) throw new Error(`no vector ${name}`);
  return found.bytes;
}

/** The DER inside the vector, read here independently of the codec: property 32 of the certificate element. */
function derInside(value: Buffer): Buffer {
  const data = value.subarray(132, 132 + value.readUInt32LE(128));
  for (let offset = 0; offset < data.length;) {
    const length = data.readUInt32LE(offset + 8);
    if (data.readUInt32LE(offset) === 32)
      return Buffer.from(data.subarray(offset + 12, offset + 12 + length));
    offset += 12 + length;
  }
  throw new Error('no certificate property');
}

/** The certificate vector under another certificate's thumbprint: a value whose identifier lies. */
function lyingCertificate(value: Buffer): Buffer {
  const record = decodeRoamingValue(value);
  if (!record.ok) throw new Error(record.error.message);
  const { filetime, rawFlags, data } = record.value;
  const encoded = encodeRoamingValue({
    typeDigit: '7',
    identifier: 'B6AF1EF9D302A7332208091CC8C1EFF836F60620',
    filetime,
    rawFlags,
    data,
  });
  if (!encoded.ok) throw new Error(encoded.error.message);
  return encoded.value;
}

interface StatusJson {
  tokens: number;
  windowsCertificates: { thumbprint: string; readOnly: boolean; name: string }[];
  windowsOnly: {
    type: string;
    status: string;
    kind: string;
    container: string | null;
    masterKeys: string[];
  }[];
}

describe('certificates roamed by Windows clients, on a Linux workstation', () => {
  const slapd = useSlapd({ users: [{ uid: 'alice', password: 'alice-pass' }] });
  const namespace = testNamespace();
  let probe: BrokerProbe;
  let gateway: ServiceProcess;
  let stack: LogonStack;
  let dir: string;
  const { run, login, sync } = new Workstations(
    () => dir,
    () => stack.url,
  );
  const certificateValue = vector('RoamedCredential_ParseCertificate');
  const keyValue = vector('RoamedCredential_ParseCAPIPrivateKey');
  const lying = lyingCertificate(certificateValue);
  const der = derInside(certificateValue);

  const directoryValues = () =>
    withLdap(slapd(), 'admin', async (client) => {
      const { searchEntries } = await client.search(slapd().user('alice').dn, {
        scope: 'base',
        attributes: [CREDENTIALS],
        explicitBufferAttributes: [CREDENTIALS],
      });
      const values = searchEntries[0]?.[CREDENTIALS];
      return (Array.isArray(values) ? values : values ? [values] : []) as Buffer[];
    });
  const modifyValues = (operation: 'add' | 'delete', values: Buffer[]) =>
    withLdap(slapd(), 'admin', (client) =>
      client.modify(slapd().user('alice').dn, [
        new Change({ operation, modification: new Attribute({ type: CREDENTIALS, values }) }),
      ]),
    );
  const status = async (): Promise<StatusJson> => {
    const result = await run('ws-a', ['status', '--json']);
    expectOk(result);
    return JSON.parse(result.stdout) as StatusJson;
  };

  const nssdb = () => join(dir, 'ws-a-nssdb');
  const nssSync = async (): Promise<Record<string, unknown>> => {
    const result = await run('ws-a', ['sync', '--json', '--nssdb', nssdb()]);
    expectOk(result);
    return JSON.parse(result.stdout) as Record<string, unknown>;
  };
  const certutil = (args: string[]) =>
    execFileSync('certutil', [...args, '-d', `sql:${nssdb()}`, '-f', '/dev/null'], { encoding: 'utf8' });
  const nicknames = () => certutil(['-L']);

  beforeAll(async () => {
    probe = await BrokerProbe.open(namespace);
    ({ gateway, stack } = await startRoamingServices(slapd(), namespace));
    dir = mkdtempSync(join(tmpdir(), 'credroam-e2e-windows-'));
    // As a Windows client finds alice's entry: with the roaming class, and its values.
    await withLdap(slapd(), 'admin', (client) =>
      client.modify(slapd().user('alice').dn, [
        new Change({
          operation: 'add',
          modification: new Attribute({ type: 'objectClass', values: ['credroamRoamingUser'] }),
        }),
      ]),
    );
    await modifyValues('add', [certificateValue, keyValue, lying]);
  }, 90_000);

  afterAll(async () => {
    await tearDown({ services: [...(stack?.processes ?? []), gateway], probe, dir });
  }, 30_000);

  it('receives the certificate byte-identical with its thumbprint verified, and lists the key as Windows-only', async () => {
    expect(createHash('sha1').update(der).digest('hex').toUpperCase()).toBe(THUMBPRINT);
    await login('ws-a');
    const synced = await sync('ws-a');
    expect(synced).toMatchObject({ windowsCertificates: 1, reported: 3, rejections: [] });

    const shown = await status();
    expect(shown.windowsCertificates).toEqual([
      expect.objectContaining({ thumbprint: THUMBPRINT, readOnly: true }),
    ]);
    expect(shown.windowsOnly).toEqual([
      expect.objectContaining({
        type: 'private-key',
        status: 'Windows-only',
        kind: 'private-key',
        container: '472576b9-14d6-44c3-bfaf-bccd074d4695',
        masterKeys: ['47070660-c259-4d90-8bc9-187605323450'],
      }),
    ]);
    const text = await run('ws-a', ['status']);
    expect(text.stdout).toContain('roamed by a Windows client (read-only here)');
    expect(text.stdout).toContain('Windows-only (DPAPI master key 47070660-c259-4d90-8bc9-187605323450)');
    // Not a credroam token: nothing to upload, and the lying value is offered nowhere.
    expect(shown.tokens).toBe(0);

    const exported = join(dir, 'windows.der');
    expectOk(await run('ws-a', ['export', THUMBPRINT.toLowerCase(), '--der', exported]));
    expect(readFileSync(exported).equals(der)).toBe(true);
    const fingerprint = execFileSync(
      'openssl',
      ['x509', '-inform', 'DER', '-in', exported, '-noout', '-fingerprint', '-sha1'],
      {
        encoding: 'utf8',
      },
    );
    expect(fingerprint.trim().split('=')[1]?.replace(/:/g, '')).toBe(THUMBPRINT);
  }, 60_000);

  it('keeps it read-only: a local delete is refused and the directory keeps the value untouched', async () => {
    const deleted = await run('ws-a', ['delete', 'certificate', THUMBPRINT]);
    expect(deleted.code).toBe(1);
    expect(deleted.stderr).toContain('read-only here');
    // The sync after the attempt, with the NSS database: the certificate goes there too (certutil -A, no key).
    const synced = await nssSync();
    expect(synced).toMatchObject({ uploaded: 0, applicationStoreProblems: [] });
    expect(nicknames()).toContain(`Users (${THUMBPRINT.slice(0, 8)})`);
    const values = await directoryValues();
    expect(values).toHaveLength(3);
    for (const planted of [certificateValue, keyValue, lying]) {
      expect(values.some((value) => value.equals(planted))).toBe(true);
    }
  }, 60_000);

  it('drops the certificate at the next sync once a Windows client removed it from the directory', async () => {
    await modifyValues('delete', [certificateValue]);
    const synced = await nssSync();
    expect(synced).toMatchObject({ windowsCertificates: 0 });
    expect(nicknames()).not.toContain(THUMBPRINT.slice(0, 8));
    const shown = await status();
    expect(shown.windowsCertificates).toEqual([]);
    expect(shown.windowsOnly).toHaveLength(1);
  }, 60_000);
});
