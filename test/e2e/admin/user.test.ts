// `credroam user show` and `credroam user purge` as an operator runs them (bin/credroam on the built code), through
// a real directory-gateway process over RabbitMQ on a real slapd: show lists tokens, tombstones and foreign or
// planted values without contents; both carry an operator grant of their own kind that the gateway verifies and
// are audited with an event; purge races the writes a logon makes without ever leaving the entry half-written.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateGrantKeyPair, GRANT_ENV } from '@credroam/grants';
import { EventPublisher, RpcClient } from '@credroam/messaging';
import {
  encodeDirectoryToken,
  encodeRoamingTimestamp,
  parseEvent,
  RoamingError,
  unwrap,
  type OperatorPattern,
  type RoamingEvent,
} from '@credroam/roaming';
import { type ServiceProcess } from '../../helpers/service-process';
import { waitFor } from '../../helpers/wait-for';
import { OPERATOR_TOKEN } from '../../integration/audit/support/audit-app';
import { ensureAuditBuilt, startAuditProcess, type AuditProcess } from '../audit/support/audit-process';
import { freePort } from '../audit/support/private-postgres';
import { useSlapd, withLdap, type SlapdHandle } from '../../helpers/slapd';
import { certificateId, liveAddition } from '../../support/gateway-fixtures';
import { serviceChannelKey, startGatewayProcess } from '../../support/gateway-process';
import { testGrants } from '../../support/grants';
import {
  BrokerProbe,
  brokerUrl,
  exampleEvent,
  testConfig,
  testNamespace,
} from '../../support/messaging-fixtures';
import { cleanToken, plantedValues, windowsVectors } from '../../support/planted-values';

const ROOT = join(__dirname, '..', '..', '..');
const DAY = 86_400_000;
const NOW = Date.now();
const CREDENTIALS = 'msPKIAccountCredentials';

const tombstone = unwrap(
  encodeDirectoryToken({
    token: {
      type: 'certificate',
      id: certificateId('deleted'),
      modifiedAt: NOW - 10 * DAY,
      hash: 'a'.repeat(64),
      size: 800,
      flags: { archived: false, encryptionKey: false, smartCard: false },
      tombstone: true,
    },
    keyVersion: 1,
    sealed: Buffer.alloc(0),
  }),
);
const [capiKey] = windowsVectors();
const [unsafe] = plantedValues(NOW);
const SEEDED = [cleanToken('live', NOW - DAY), tombstone, capiKey!.bytes, unsafe!.bytes];
const seededUser = (uid: string) => ({
  uid,
  password: `${uid}-pass`,
  roaming: true,
  attributes: {
    [CREDENTIALS]: SEEDED,
    msPKIRoamingTimeStamp: unwrap(
      encodeRoamingTimestamp({ createdAt: NOW - 30 * DAY, modifiedAt: NOW - DAY }),
    ),
  },
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

describe('credroam user, through the directory-gateway', () => {
  const slapd = useSlapd({ users: [seededUser('alice'), seededUser('bob')] });
  const namespace = testNamespace();
  const operator = generateGrantKeyPair();
  let operatorKeyFile: string;
  let gateway: ServiceProcess;
  let audit: AuditProcess;
  let client: RpcClient;
  let probe: BrokerProbe;
  let refusals: string;
  let actions: string;

  function credroam(args: string[], env: Record<string, string> = {}): Promise<Run> {
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'credroam'), ...args], {
      env: {
        ...process.env,
        CREDROAM_AMQP_URL: brokerUrl(),
        CREDROAM_AMQP_NAMESPACE: namespace,
        CREDROAM_OPERATOR_KEY_FILE: operatorKeyFile,
        CREDROAM_OPERATOR_NAME: 'helpdesk-jo',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const run: Run = { code: null, stdout: '', stderr: '' };
    child.stdout.on('data', (chunk: Buffer) => (run.stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (run.stderr += chunk.toString()));
    return new Promise((resolve) => child.on('close', (code) => resolve({ ...run, code })));
  }

  /** The next `count` operator actions of `operation` on the events (those of the other operation are dropped). */
  async function operatorActions(operation: OperatorPattern, count: number): Promise<RoamingEvent[]> {
    const found: RoamingEvent[] = [];
    await waitFor(
      async () => {
        for (const message of await probe.take(actions, 0)) {
          const event = unwrap(parseEvent(JSON.parse(message.content.toString())));
          if (event.type === 'security.operator-action' && event.payload.operation === operation)
            found.push(event);
        }
        return found.length >= count;
      },
      { timeoutMs: 10_000, description: `${count} ${operation} operator action(s)` },
    );
    return found;
  }

  const storedValues = (handle: SlapdHandle, uid: string): Promise<Buffer[]> =>
    withLdap(handle, 'admin', async (ldap) => {
      const { searchEntries } = await ldap.search(handle.user(uid).dn, {
        scope: 'base',
        attributes: [CREDENTIALS],
        explicitBufferAttributes: [CREDENTIALS],
      });
      const values = searchEntries[0]?.[CREDENTIALS] ?? [];
      return (Array.isArray(values) ? values : [values]) as Buffer[];
    });

  beforeAll(async () => {
    operatorKeyFile = join(slapd().dir, 'operator.pem');
    writeFileSync(operatorKeyFile, operator.signingKeyPem, { mode: 0o600 });
    const operatorPublic = join(slapd().dir, 'operators.pem');
    writeFileSync(operatorPublic, operator.publicKeyPem);
    probe = await BrokerProbe.open(namespace);
    probe.trackConsumerQueue(probe.names.queue('audit'));
    refusals = await probe.observe('admin-refusals', ['security.request-refused']);
    actions = await probe.observe('admin-actions', ['security.operator-action']);
    gateway = await startGatewayProcess(slapd(), namespace, 'gateway', {
      CREDROAM_SERVICE_CHANNEL_KEY_FILE: serviceChannelKey(slapd()).file,
      [GRANT_ENV.operatorPublicKeysFile]: operatorPublic,
    });
    ensureAuditBuilt();
    audit = await startAuditProcess('admin-audit', await freePort(), {
      CREDROAM_AMQP_URL: brokerUrl(),
      CREDROAM_AMQP_NAMESPACE: namespace,
      CREDROAM_AUDIT_DB: `sqlite:${join(slapd().dir, 'audit.sqlite')}`,
    });
    client = new RpcClient(testConfig(namespace), 'directory-gateway');
    await client.connect();
  }, 90_000);

  afterAll(async () => {
    await client?.close();
    await gateway?.stop();
    await audit?.stop();
    await probe?.cleanUp();
  }, 30_000);

  it('shows tokens by type, tombstones with their age, foreign and unsafe values, limits and policy sources', async () => {
    const run = await credroam(['user', 'show', 'alice', '--json']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout);
    expect(report.user).toMatchObject({ login: 'alice', dn: slapd().user('alice').dn });
    expect(report.tokens.certificate).toHaveLength(2);
    expect(report.tokens.certificate).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          id: certificateId('deleted'),
          tombstone: true,
          ageDays: 10,
          purgeInDays: 50,
        }),
        expect.objectContaining({ tombstone: false, size: 900, flags: [] }),
      ]),
    );
    expect(report.reported.map((value: { reason: string }) => value.reason).sort()).toEqual([
      'foreign',
      'unsafe-identifier',
    ]);
    expect(report.totals).toMatchObject({ tokens: 2, liveBytes: 900, maxTokens: 2000, overLimits: false });
    expect(report.policy).toContainEqual({ knob: 'tombstoneDays', value: 60, source: 'default' });
    expect(report.machines).toBeNull();
    expect(run.stdout).not.toContain(SEEDED[0]!.subarray(-64).toString('base64'));

    const text = await credroam(['user', 'show', 'alice']);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('tombstone, deleted 10 days ago, purged in 50 days');
    expect(text.stdout).toContain('unknown (audit is not configured)');

    // Each look is on record: who looked at whose roaming data, never what they saw.
    const looks = await operatorActions('directory.inspect-user', 2);
    expect(looks.map((event) => [event.user, event.payload])).toEqual([
      [
        'alice',
        {
          operator: 'helpdesk-jo',
          operation: 'directory.inspect-user',
          targetDn: slapd().user('alice').dn,
          types: null,
          removed: 0,
        },
      ],
      ['alice', expect.objectContaining({ operator: 'helpdesk-jo', operation: 'directory.inspect-user' })],
    ]);
    const stored = await waitFor(
      async () => {
        const response = await fetch(`${audit.url}/v1/events?type=security.operator-action&user=alice`, {
          headers: { authorization: `Bearer ${OPERATOR_TOKEN}` },
        });
        const { events: page } = (await response.json()) as { events: { payload: { operation: string } }[] };
        return page.length >= 2 ? page : undefined;
      },
      { timeoutMs: 15_000, intervalMs: 100, description: 'audit to store the looks' },
    );
    expect(stored.map((event) => event.payload.operation)).toEqual([
      'directory.inspect-user',
      'directory.inspect-user',
    ]);
  }, 30_000);

  it('shows the last sync per machine from audit, with the operator token', async () => {
    const publisher = new EventPublisher(testConfig(namespace));
    try {
      await publisher.connect();
      await publisher.publish(exampleEvent('sync.completed'));
    } finally {
      await publisher.close();
    }
    const tokenFile = join(slapd().dir, 'audit-token');
    writeFileSync(tokenFile, `${OPERATOR_TOKEN}\n`, { mode: 0o600 });
    const env = { CREDROAM_ADMIN_AUDIT_URL: audit.url, CREDROAM_ADMIN_AUDIT_TOKEN_FILE: tokenFile };
    const machines = await waitFor(
      async () => {
        const run = await credroam(['user', 'show', 'alice', '--json'], env);
        const listed = JSON.parse(run.stdout).machines as { machine: string }[];
        return listed.length > 0 ? listed : undefined;
      },
      { timeoutMs: 15_000, intervalMs: 250, description: 'audit to store the sync' },
    );
    expect(machines).toEqual([
      expect.objectContaining({ machine: 'WS-0042.corp', outcome: 'completed', code: 1 }),
    ]);
    const text = await credroam(['user', 'show', 'alice'], env);
    expect(text.stdout).toMatch(/WS-0042\.corp {2}completed \(code 1\) {2}\d{4}-/);
  }, 30_000);

  it('refuses a purge without confirmation off a terminal, and one signed by a key the gateway does not trust', async () => {
    expect((await credroam(['user', 'purge', 'alice'])).code).toBe(2);
    const stranger = join(slapd().dir, 'stranger.pem');
    writeFileSync(stranger, generateGrantKeyPair().signingKeyPem, { mode: 0o600 });
    const forged = await credroam(['user', 'purge', 'alice', '--yes'], {
      CREDROAM_OPERATOR_KEY_FILE: stranger,
    });
    expect(forged.code).toBe(1);
    expect(forged.stderr).toContain('GRANT_INVALID');
    expect(await storedValues(slapd(), 'alice')).toHaveLength(SEEDED.length);
    // The purge's first look at the state is granted too: refused there, it never gets as far as the purge.
    const [refused] = await probe.take(refusals, 1);
    expect(unwrap(parseEvent(JSON.parse(refused!.content.toString())))).toMatchObject({
      type: 'security.request-refused',
      payload: { operation: 'directory.inspect-user', code: 'GRANT_INVALID' },
    });
  }, 30_000);

  it("refuses a show without the operator's key, or with a grant signed by a key that is not an operator's", async () => {
    const keyless = await credroam(['user', 'show', 'alice', '--json'], { CREDROAM_OPERATOR_KEY_FILE: '' });
    expect(keyless).toMatchObject({ code: 1, stdout: '' });
    expect(keyless.stderr).toContain("CREDROAM_OPERATOR_KEY_FILE must name the operator's signing key");

    const stranger = join(slapd().dir, 'stranger-show.pem');
    writeFileSync(stranger, generateGrantKeyPair().signingKeyPem, { mode: 0o600 });
    const logonEventsKey = testGrants().issuerEnv[GRANT_ENV.signingKeyFile]!;
    for (const keyFile of [stranger, logonEventsKey]) {
      const run = await credroam(['user', 'show', 'alice', '--json'], {
        CREDROAM_OPERATOR_KEY_FILE: keyFile,
      });
      expect(run).toMatchObject({ code: 1, stdout: '' });
      expect(run.stderr).toContain('GRANT_INVALID');
    }
    const refused = (await probe.take(refusals, 2)).map((message) =>
      unwrap(parseEvent(JSON.parse(message.content.toString()))),
    );
    expect(refused.map((event) => event.payload)).toEqual([
      expect.objectContaining({ operation: 'directory.inspect-user', code: 'GRANT_INVALID' }),
      expect.objectContaining({ operation: 'directory.inspect-user', code: 'GRANT_INVALID' }),
    ]);
  }, 30_000);

  it('purges a type, then everything, racing the writes of logons: never half-written, audited', async () => {
    const partial = await credroam(['user', 'purge', 'bob', '--type', 'private-key', '--yes', '--json']);
    expect(partial.code).toBe(0);
    // The CAPI key vector and the planted value are private keys (type digits 1 and 9).
    expect(JSON.parse(partial.stdout)).toMatchObject({ user: 'bob', removed: 2 });
    expect(await storedValues(slapd(), 'bob')).toHaveLength(2);

    const originals = await storedValues(slapd(), 'alice');
    const isOriginal = (value: Buffer) => originals.some((original) => original.equals(value));
    const userDn = slapd().user('alice').dn;
    let writing = true;
    let written = 0;
    // What a logon does: read the state, then one compare-and-swap write against the stamp it read.
    const logons = (async () => {
      for (let index = 0; writing && index < 40; index++) {
        const { stamp } = await client.call(
          'directory.read-state',
          { userDn },
          { correlationId: randomUUID() },
        );
        const change = {
          userDn,
          expectedStamp: stamp,
          add: [liveAddition(`logon-${index}`, Date.now())],
          remove: [],
          purgeWatermark: 0,
        };
        await client
          .call('directory.apply-changes', change, {
            correlationId: randomUUID(),
            grant: testGrants().grantFor('directory.apply-changes'),
          })
          .then(
            () => written++,
            (error: unknown) => {
              if (!(error instanceof RoamingError && error.code === 'DIRECTORY_STAMP_CHANGED')) throw error;
            },
          );
      }
    })();

    let purged: Run | undefined;
    for (let attempt = 0; attempt < 20 && purged === undefined; attempt++) {
      const run = await credroam(['user', 'purge', 'alice', '--yes', '--json']);
      const kept = (await storedValues(slapd(), 'alice')).filter(isOriginal).length;
      if (run.code === 0) {
        purged = run;
        expect(kept).toBe(0);
      } else {
        expect(run.stderr).toContain('changed since it was read');
        expect(kept).toBe(originals.length);
      }
    }
    writing = false;
    await logons;
    expect(purged).toBeDefined();
    const removed = JSON.parse(purged!.stdout).removed as number;
    expect(removed).toBeGreaterThanOrEqual(originals.length);
    // Whatever a logon wrote after the purge is whole; nothing from before it survived.
    const after = await storedValues(slapd(), 'alice');
    expect(after.filter(isOriginal)).toEqual([]);
    expect(written).toBeGreaterThan(0);

    const audited = await operatorActions('directory.purge-user', 2);
    expect(audited.map((event) => [event.user, event.payload])).toEqual([
      ['bob', expect.objectContaining({ operator: 'helpdesk-jo', types: ['private-key'], removed: 2 })],
      ['alice', expect.objectContaining({ operator: 'helpdesk-jo', types: null, removed })],
    ]);
    // ...and audit stores them, for whoever reviews what operators did.
    const stored = await waitFor(
      async () => {
        const response = await fetch(`${audit.url}/v1/events?type=security.operator-action`, {
          headers: { authorization: `Bearer ${OPERATOR_TOKEN}` },
        });
        const { events } = (await response.json()) as {
          events: { user: string; payload: { operation: string } }[];
        };
        const page = events.filter((event) => event.payload.operation === 'directory.purge-user');
        return page.length === 2 ? page : undefined;
      },
      { timeoutMs: 15_000, intervalMs: 100, description: 'audit to store the operator actions' },
    );
    expect(stored.map((event) => event.user).sort()).toEqual(['alice', 'bob']);
  }, 60_000);
});
