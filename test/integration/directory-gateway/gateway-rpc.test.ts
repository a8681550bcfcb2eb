import { randomUUID } from 'node:crypto';
import { Attribute, Change } from 'ldapts';
import { RoamingError, type RpcPattern, type RpcRequest, type RpcResponse } from '@credroam/roaming';
import { RpcClient } from '@credroam/messaging';
import { type ServiceProcess } from '../../helpers/service-process';
import { useSlapd, withLdap } from '../../helpers/slapd';
import { codeOf, liveAddition, sealedPassword } from '../../support/gateway-fixtures';
import { serviceChannelKey, startGatewayProcess } from '../../support/gateway-process';
import { BrokerProbe, testConfig, testNamespace } from '../../support/messaging-fixtures';
import { testGrants } from '../../support/grants';

const T0 = Date.UTC(2026, 10, 25);
const WRITERS = 20;

describe('directory-gateway over RabbitMQ, two replicas as separate processes', () => {
  const slapd = useSlapd({
    ppolicy: true,
    users: [
      { uid: 'alice', password: 'alice-pass' },
      { uid: 'bob', password: 'bob-pass' },
      { uid: 'carol', password: 'carol-pass' },
    ],
  });
  const namespace = testNamespace();
  let replicas: ServiceProcess[] = [];
  let client: RpcClient;
  let probe: BrokerProbe;
  let channelKey: Buffer;

  const call = <P extends RpcPattern>(pattern: P, payload: RpcRequest<P>): Promise<RpcResponse<P>> =>
    client.call(pattern, payload, {
      correlationId: randomUUID(),
      timeoutMs: 8_000,
      grant: testGrants().grantFor(pattern),
    });

  /** An administrator's change to an entry (ldapmodify as the rootdn). */
  const modify = (dn: string, operation: 'add' | 'replace', type: string, value: string) =>
    withLdap(slapd(), 'admin', (ldap) =>
      ldap.modify(dn, new Change({ operation, modification: new Attribute({ type, values: [value] }) })),
    );

  beforeAll(async () => {
    probe = await BrokerProbe.open(namespace);
    const key = serviceChannelKey(slapd());
    channelKey = key.key;
    replicas = await Promise.all(
      ['gateway-a', 'gateway-b'].map((name) =>
        startGatewayProcess(slapd(), namespace, name, {
          CREDROAM_SERVICE_CHANNEL_KEY_FILE: key.file,
          CREDROAM_GATEWAY_HEALTH_PORT: '0',
        }),
      ),
    );
    client = new RpcClient(testConfig(namespace), 'directory-gateway');
    await client.connect();
  }, 60_000);

  afterAll(async () => {
    await client?.close();
    await Promise.all(replicas.map((replica) => replica.stop()));
    await probe?.cleanUp();
  }, 30_000);

  it('answers /health/live and /health/ready over HTTP for probes: the broker and LDAP up', async () => {
    for (const replica of replicas) {
      const health = /"health":"(http:[^"]+)"/.exec(replica.output())?.[1];
      expect(health).toBeDefined();
      expect((await fetch(`${health}/live`)).status).toBe(200);
      const ready = await fetch(`${health}/ready`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toMatchObject({
        status: 'ok',
        details: { broker: { status: 'up' }, ldap: { status: 'up' } },
      });
    }
  });

  it('tells a renewal whether the account is still usable, from the ppolicy attributes', async () => {
    const { user } = await call('directory.lookup-user', { login: 'carol' });
    const check = (authenticatedAt: number, stableId = user.stableId, login = 'carol') =>
      call('directory.check-account', {
        login,
        stableId,
        dn: user.dn,
        authenticatedAt: new Date(authenticatedAt).toISOString(),
      });
    const loggedOn = Date.now() - 60_000;
    expect(await check(loggedOn)).toEqual({ status: 'usable', user });
    expect(await check(loggedOn, '00000000-0000-4000-8000-000000000000')).toEqual({
      status: 'missing',
      user: null,
    });
    expect(await check(loggedOn, user.stableId, 'nobody')).toEqual({ status: 'missing', user: null });

    await modify(user.dn, 'replace', 'userPassword', 'carol-new-pass');
    expect((await check(loggedOn)).status).toBe('password-changed');
    // A logon with the new password, after the change.
    expect((await check(Date.now() + 2_000)).status).toBe('usable');

    await modify(user.dn, 'add', 'pwdAccountLockedTime', '20261203120000Z');
    expect((await check(Date.now() + 2_000)).status).toBe('locked');
    await modify(user.dn, 'replace', 'pwdAccountLockedTime', '000001010000Z');
    expect((await check(Date.now() + 2_000)).status).toBe('disabled');
  });

  it('refuses an account check without a grant for that user', async () => {
    const { user } = await call('directory.lookup-user', { login: 'alice' });
    const request = {
      login: 'alice',
      stableId: user.stableId,
      dn: user.dn,
      authenticatedAt: new Date().toISOString(),
    };
    const refused = client.call('directory.check-account', request, {
      correlationId: randomUUID(),
      timeoutMs: 8_000,
    });
    expect(await codeOf(refused)).toBe('GRANT_REQUIRED');
  });

  it('answers health, lookups and password checks', async () => {
    expect(await call('directory.health', {})).toMatchObject({
      status: 'ok',
      checks: { ldap: { ok: true } },
    });
    const { user } = await call('directory.lookup-user', { login: 'alice' });
    expect(user.dn).toBe(slapd().user('alice').dn);
    const verified = await call('directory.verify-password', {
      login: 'bob',
      sealedPassword: sealedPassword(channelKey, 'bob', 'bob-pass').toString('base64'),
    });
    expect(verified.user.login).toBe('bob');
  });

  it.each(['*', 'alice)(uid=*', '\\00', 'a'.repeat(256)])(
    'answers USER_NOT_FOUND for %j over RPC',
    async (login) => {
      expect(await codeOf(call('directory.lookup-user', { login }))).toBe('USER_NOT_FOUND');
    },
  );

  it('refuses payloads off contract before they reach LDAP', async () => {
    expect(await codeOf(call('directory.lookup-user', { login: 'x'.repeat(5000) }))).toBe(
      'CONTRACT_VIOLATION',
    );
    expect(await codeOf(call('directory.lookup-user', { login: 'nul\u0000' }))).toBe('CONTRACT_VIOLATION');
  });

  it(`lands every change of ${WRITERS} concurrent writers exactly once after their retries`, async () => {
    const userDn = slapd().user('alice').dn;
    let lostRaces = 0;
    const writer = async (index: number) => {
      const addition = liveAddition(`writer-${index}`, T0 + index);
      for (let attempt = 1; attempt <= 200; attempt++) {
        const { stamp } = await call('directory.read-state', { userDn });
        try {
          await call('directory.apply-changes', {
            userDn,
            expectedStamp: stamp,
            add: [addition],
            remove: [],
            purgeWatermark: 0,
          });
          return attempt;
        } catch (error) {
          if (!(error instanceof RoamingError) || error.code !== 'DIRECTORY_STAMP_CHANGED') throw error;
          lostRaces++;
        }
      }
      throw new Error(`writer ${index} never won`);
    };
    const attempts = await Promise.all(Array.from({ length: WRITERS }, (_, index) => writer(index)));
    const { state } = await call('directory.read-state', { userDn });
    const ids = state.entries.map((entry) => entry.id).sort();
    expect(ids).toEqual(
      Array.from({ length: WRITERS }, (_, index) => liveAddition(`writer-${index}`, 0).token.id).sort(),
    );
    expect(lostRaces).toBeGreaterThan(0);
    // A writer loses a race only to another writer's success between its read and its write, and each of the
    // others succeeds once: nobody needs more attempts than there are writers, whatever the timing.
    expect(Math.max(...attempts)).toBeLessThanOrEqual(WRITERS);
    console.log(
      `${WRITERS} writers: ${lostRaces} lost races, at most ${Math.max(...attempts)} attempts for one writer`,
    );
    // Both replicas served requests.
    for (const replica of replicas) expect(replica.output()).toContain('directory.apply-changes');
  }, 120_000);

  it('fails fast and retryably while slapd is down, and recovers by itself after the restart', async () => {
    const userDn = slapd().user('bob').dn;
    await slapd().stopProcess();
    try {
      const failure = await client
        .call('directory.read-state', { userDn }, { correlationId: randomUUID(), timeoutMs: 8_000 })
        .catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(RoamingError);
      expect((failure as RoamingError).code).toBe('DIRECTORY_UNAVAILABLE');
      expect((failure as RoamingError).retryable).toBe(true);
      // Fast: the gateway answers with the refused connection, not with a timeout run out.
      expect((failure as RoamingError).message).not.toMatch(/timeout|timed out/i);
    } finally {
      await slapd().startProcess();
    }
    for (let i = 0; i < 8; i++)
      expect((await call('directory.read-state', { userDn })).state.entries).toEqual([]);
  }, 60_000);
});
