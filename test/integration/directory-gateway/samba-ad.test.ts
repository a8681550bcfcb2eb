// The directory-gateway's active-directory dialect against a real Samba 4 AD domain controller: AD's own schema
// (linked DN-Binary attributes, the single-valued octet-string stamp), its error codes, and its access model
// (confidential attributes, SELF rights, the delegation of deploy/active-directory).
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Attribute, Change, Client, InsufficientAccessError, type Entry } from 'ldapts';
import { loadGatewayConfig } from '../../../apps/directory-gateway/src/config/gateway.config';
import { useSambaAd } from '../../helpers/samba-ad';
import { startServiceProcess } from '../../helpers/service-process';
import { withLdap, type LdapIdentity } from '../../helpers/slapd';
import { codeOf, gatewayEnv, liveAddition, sealedPassword } from '../../support/gateway-fixtures';
import { gatewayUseCases, type GatewayUseCases } from '../../support/gateway-use-cases';
import { adDialectCases } from './ad-dialect-cases';

const T0 = Date.UTC(2026, 10, 25);
const CREDROAM_CLI = resolve(__dirname, '../../../bin/credroam');
const ROAMING_ATTRIBUTES = ['msPKIAccountCredentials', 'msPKIDPAPIMasterKeys', 'msPKIRoamingTimeStamp'];
const SECRET_ATTRIBUTES = [
  'unicodePwd',
  'supplementalCredentials',
  'dBCSPwd',
  'ntPwdHistory',
  'lmPwdHistory',
];

/** The attributes the server sent values of (ldapts lists every requested one, empty when none came back). */
function present(entry: Entry, attributes: readonly string[]): string[] {
  return attributes.filter((attribute) => {
    const values = entry[attribute];
    return values !== undefined && (!Array.isArray(values) || values.length > 0);
  });
}

describe('directory-gateway on a real Samba AD domain controller', () => {
  const samba = useSambaAd({ tls: true });

  describe('the active-directory dialect', () => {
    adDialectCases(samba);
  });

  // The gateway here binds as an account made in this suite and delegated nothing but what `credroam schema
  // --dialect active-directory` prints as samba-tool commands: what it shows, the printed delegation does.
  describe('a fresh gateway account delegated as `credroam schema` prints, and AD access rules', () => {
    const channelKey = randomBytes(32);
    const fresh = { login: 'gateway-fresh', password: 'gateway-fresh-pass', dn: '' };
    const freshAccount = (): LdapIdentity => ({ dn: fresh.dn, password: fresh.password });
    let gateway: GatewayUseCases;
    let aliceDn: string;
    let seenBeforeDelegation: string[];
    const roamingAttributesSeenBy = (who: LdapIdentity) =>
      withLdap(samba(), who, async (client) => {
        const { searchEntries } = await client.search(aliceDn, {
          scope: 'base',
          attributes: ['sAMAccountName', ...ROAMING_ATTRIBUTES],
        });
        expect(searchEntries[0]?.sAMAccountName).toBe('alice');
        return present(searchEntries[0]!, ROAMING_ATTRIBUTES);
      });

    beforeAll(async () => {
      aliceDn = samba().user('alice').dn;
      fresh.dn = samba().addUsers([fresh])[0]!;
      // alice has a value from the dialect cases: the fresh account must not see it before the delegation.
      seenBeforeDelegation = await roamingAttributesSeenBy(freshAccount());
      const printed = execFileSync(CREDROAM_CLI, ['schema', '--dialect', 'active-directory'], {
        encoding: 'utf8',
      });
      samba().applyDelegation(printed, { 'credroam-gateway': samba().sidOf(fresh.login) });
      const keyFile = join(samba().dir, 'service-channel.key');
      writeFileSync(keyFile, channelKey.toString('base64'));
      gateway = await gatewayUseCases(
        loadGatewayConfig(
          gatewayEnv(samba(), {
            CREDROAM_SERVICE_CHANNEL_KEY_FILE: keyFile,
            CREDROAM_LDAP_BIND_DN: fresh.dn,
            CREDROAM_LDAP_BIND_PASSWORD: fresh.password,
          }),
        ),
      );
      // Values for the access checks below (the dialect cases write to the other describe's users too).
      const { stamp } = await gateway.roamingState.readState(aliceDn);
      await gateway.roamingState.applyChanges({
        userDn: aliceDn,
        expectedStamp: stamp,
        add: [liveAddition('access-cert', T0)],
        remove: [],
        purgeWatermark: 0,
      });
      // samba-tool is a Python program: a few seconds on a busy machine.
    }, 60_000);
    afterAll(() => gateway.pool.close());

    const addValueAs = (who: LdapIdentity) =>
      withLdap(samba(), who, (client) =>
        client.modify(
          aliceDn,
          new Change({
            operation: 'add',
            modification: new Attribute({
              type: 'msPKIAccountCredentials',
              values: [`B:4:ABCD:${aliceDn}`],
            }),
          }),
        ),
      );

    it('finds users by sAMAccountName with objectGUID as the stable id, and verifies their passwords by bind', async () => {
      const alice = await gateway.users.lookup('alice');
      expect(alice).toMatchObject({ login: 'alice', dn: aliceDn });
      expect(alice.stableId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      expect(await codeOf(gateway.users.lookup('credroam-*'))).toBe('USER_NOT_FOUND');
      expect(
        (await gateway.users.verifyPassword('alice', sealedPassword(channelKey, 'alice', 'alice-pass')))
          .login,
      ).toBe('alice');
      expect(
        await codeOf(gateway.users.verifyPassword('alice', sealedPassword(channelKey, 'alice', 'wrong'))),
      ).toBe('INVALID_CREDENTIALS');
    });

    it("reads AD's account status: usable, password set after the logon (pwdLastSet), disabled (userAccountControl)", async () => {
      const carol = await gateway.users.lookup('carol');
      const check = (authenticatedAt: string) =>
        gateway.users.checkAccount({
          login: 'carol',
          stableId: carol.stableId,
          dn: carol.dn,
          authenticatedAt,
        });
      expect((await check(new Date().toISOString())).status).toBe('usable');
      // The template domain set every password when it was made, long after this logon.
      expect((await check('2020-01-01T00:00:00.000Z')).status).toBe('password-changed');
      await withLdap(samba(), 'admin', (client) =>
        client.modify(
          carol.dn,
          new Change({
            operation: 'replace',
            // NORMAL_ACCOUNT | DONT_EXPIRE_PASSWORD | ACCOUNTDISABLE
            modification: new Attribute({ type: 'userAccountControl', values: ['66050'] }),
          }),
        ),
      );
      expect((await check(new Date().toISOString())).status).toBe('disabled');
      expect(
        await codeOf(
          gateway.users.verifyPassword('carol', sealedPassword(channelKey, 'carol', 'carol-pass')),
        ),
      ).toBe('INVALID_CREDENTIALS');
    });

    it("keeps the values confidential: another user sees alice's entry without them and cannot add one", async () => {
      expect(await roamingAttributesSeenBy({ uid: 'bob' })).toEqual([]);
      await expect(addValueAs({ uid: 'bob' })).rejects.toBeInstanceOf(InsufficientAccessError);
    });

    it('lets the user herself read her values (SELF), and the delegated accounts read them, which they could not before', async () => {
      expect(seenBeforeDelegation).toEqual([]);
      const withValues = ['msPKIAccountCredentials', 'msPKIRoamingTimeStamp'];
      expect(await roamingAttributesSeenBy({ uid: 'alice' })).toEqual(withValues);
      expect(await roamingAttributesSeenBy(freshAccount())).toEqual(withValues);
      expect(
        await roamingAttributesSeenBy({ dn: samba().readerDn, password: samba().readerPassword }),
      ).toEqual(withValues);
    });

    // Not asserted: that the admin CLI's account (RP and CR only) cannot write. Samba 4.17 lets CONTROL_ACCESS on
    // a property write it (found here; Windows does not), so on Samba that account must be trusted like the
    // gateway's. An account with RP only reads nothing confidential and writes nothing, as on Windows.
    it('delegates to the gateway nothing beyond the roaming attributes, and no password secret is readable', async () => {
      await expect(
        withLdap(samba(), freshAccount(), (client) =>
          client.modify(
            aliceDn,
            new Change({
              operation: 'replace',
              modification: new Attribute({ type: 'description', values: ['changed by the gateway'] }),
            }),
          ),
        ),
      ).rejects.toBeInstanceOf(InsufficientAccessError);
      const secrets = await withLdap(samba(), freshAccount(), async (client) => {
        const { searchEntries } = await client.search(aliceDn, {
          scope: 'base',
          attributes: SECRET_ATTRIBUTES,
        });
        return present(searchEntries[0]!, SECRET_ATTRIBUTES);
      });
      expect(secrets).toEqual([]);
    });
  });

  it("binds over LDAPS verified against the DC's CA (a certificate for 127.0.0.1), and refuses it unverified", async () => {
    const overLdaps = async (env: Record<string, string>) => {
      const gateway = await gatewayUseCases(
        loadGatewayConfig(gatewayEnv(samba(), { CREDROAM_LDAP_URL: samba().ldapsUrl!, ...env })),
      );
      try {
        return await codeOf(gateway.users.lookup('alice'));
      } finally {
        await gateway.pool.close();
      }
    };
    expect(await overLdaps({ CREDROAM_LDAP_CA_FILE: samba().caFile! })).toBe('ok');
    expect(await overLdaps({})).not.toBe('ok');
  }, 30_000);

  it("runs a DC of its own from the CLI beside the suite's, printing what to connect with, and removes it on SIGTERM", async () => {
    const cli = await startServiceProcess({
      name: 'samba-ad-cli',
      script: 'scripts/samba-ad.cjs',
      args: ['start', '--port', '0', '--json'],
      ready: { line: /^\{.*"url"/m },
    });
    const details = JSON.parse(
      cli
        .output()
        .split('\n')
        .find((line) => line.startsWith('{')) ?? '{}',
    ) as {
      url: string;
      dir: string;
      adminDn: string;
      adminPassword: string;
      users: { login: string; dn: string; password: string }[];
      gatewayEnv: Record<string, string>;
    };
    expect(details.users.map((user) => `${user.login}/${user.password}`)).toEqual([
      'alice/alice-pass',
      'bob/bob-pass',
      'carol/carol-pass',
    ]);
    expect(details.gatewayEnv.CREDROAM_DIRECTORY_DIALECT).toBe('active-directory');
    expect(details.url).not.toBe(samba().url);
    const client = new Client({ url: details.url });
    try {
      await client.bind(details.adminDn, details.adminPassword);
      await client.bind(details.users[0]!.dn, 'alice-pass');
    } finally {
      await client.unbind();
    }
    expect(await cli.stop()).toEqual({ code: 0, signal: null });
    expect(existsSync(details.dir)).toBe(false);
    // A whole DC starts and stops: the default 5 s is too short on a busy machine.
  }, 30_000);
});
