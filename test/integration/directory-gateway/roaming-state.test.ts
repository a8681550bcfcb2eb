import { randomBytes } from 'node:crypto';
import { Attribute, Change } from 'ldapts';
import { RoamingError, type DirectoryAddition } from '@credroam/roaming';
import { loadGatewayConfig } from '../../../apps/directory-gateway/src/config/gateway.config';
import { useSlapd, withLdap } from '../../helpers/slapd';
import {
  expectOneOfTwoRacingWritersWins,
  gatewayUseCases,
  writeFirstChangeSet,
  type GatewayUseCases,
} from '../../support/gateway-use-cases';
import { gatewayEnv, liveAddition, sealedPassword, windowsValue } from '../../support/gateway-fixtures';

const T0 = Date.UTC(2026, 10, 25);
const channelKey = randomBytes(32);

async function failure(promise: Promise<unknown>): Promise<RoamingError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof RoamingError) return error;
    throw error;
  }
  throw new Error('expected a failure');
}

describe('directory-gateway against a real slapd', () => {
  const slapd = useSlapd({
    users: [
      { uid: 'alice', password: 'alice-pass', ou: 'Finance' },
      { uid: 'bob', password: 'bob-pass' },
      { uid: 'carol', password: 'carol-pass' },
    ],
    groups: [{ cn: 'kiosk-users', members: ['carol'] }],
  });
  let gateway: GatewayUseCases;

  beforeAll(async () => {
    const keyFile = `${slapd().dir}/service-channel.key`;
    const { writeFileSync } = await import('node:fs');
    writeFileSync(keyFile, channelKey.toString('base64'));
    const policyFile = `${slapd().dir}/policy.json`;
    writeFileSync(
      policyFile,
      JSON.stringify({
        defaults: { maxTokens: 400 },
        overrides: [
          {
            scope: { kind: 'subtree', dn: `ou=Finance,${slapd().peopleDn}` },
            settings: { tombstoneDays: 30 },
          },
          { scope: { kind: 'group', dn: slapd().groups[0]!.dn }, settings: { purgeOnLogoff: true } },
        ],
      }),
    );
    gateway = await gatewayUseCases(
      loadGatewayConfig(
        gatewayEnv(slapd(), { CREDROAM_SERVICE_CHANNEL_KEY_FILE: keyFile, CREDROAM_POLICY_FILE: policyFile }),
      ),
    );
  });
  afterAll(() => gateway.pool.close());

  describe('users', () => {
    it('looks a user up by login name with a stable id and groups', async () => {
      const carol = await gateway.users.lookup('carol');
      expect(carol).toMatchObject({
        login: 'carol',
        dn: slapd().user('carol').dn,
        groups: [slapd().groups[0]!.dn],
      });
      expect(carol.stableId).toMatch(/^[0-9a-f-]{36}$/);
    });

    it.each(['*', 'alice)(uid=*', '\\00', 'alice*', '*)(|(uid=*', 'a'.repeat(256)])(
      'answers "no such user" for the login name %j, never another entry',
      async (login) => {
        const error = await failure(gateway.users.lookup(login));
        expect(error.code).toBe('USER_NOT_FOUND');
      },
    );

    it('verifies a password sealed for that user and refuses a wrong or replayed one', async () => {
      const user = await gateway.users.verifyPassword(
        'alice',
        sealedPassword(channelKey, 'alice', 'alice-pass'),
      );
      expect(user.login).toBe('alice');
      expect(
        (await failure(gateway.users.verifyPassword('alice', sealedPassword(channelKey, 'alice', 'nope'))))
          .code,
      ).toBe('INVALID_CREDENTIALS');
      expect(
        (
          await failure(
            gateway.users.verifyPassword('bob', sealedPassword(channelKey, 'alice', 'alice-pass')),
          )
        ).code,
      ).toBe('INTEGRITY_CHECK_FAILED');
      expect(
        (await failure(gateway.users.verifyPassword('alice', sealedPassword(channelKey, 'alice', '')))).code,
      ).toBe('INVALID_CREDENTIALS');
      expect(
        (await failure(gateway.users.verifyPassword('nobody', sealedPassword(channelKey, 'nobody', 'x'))))
          .code,
      ).toBe('INVALID_CREDENTIALS');
    });

    it('resolves policy by subtree and group membership', async () => {
      const alice = await gateway.users.lookup('alice');
      const carol = await gateway.users.lookup('carol');
      expect((await gateway.policy.resolve(alice.dn, alice.groups)).policy).toMatchObject({
        maxTokens: 400,
        tombstoneDays: 30,
        purgeOnLogoff: false,
      });
      expect((await gateway.policy.resolve(carol.dn, carol.groups)).policy).toMatchObject({
        tombstoneDays: 60,
        purgeOnLogoff: true,
      });
    });
  });

  describe('roaming state', () => {
    it('reads an empty state, then writes the first change set with the class, the stamp and the values', async () => {
      const dn = slapd().user('bob').dn;
      const empty = await gateway.roamingState.readState(dn);
      expect(empty).toEqual({
        stamp: null,
        state: {
          createdAt: null,
          modifiedAt: null,
          entries: [],
          reported: [],
          windowsCertificates: [],
          purgeWatermark: 0,
        },
      });

      const additions = [
        liveAddition('bob-cert', T0),
        liveAddition('7fc19508-7b85-4a7c-9e5d-15f9e00e7ce5', T0, 'master-key'),
      ];
      const after = await writeFirstChangeSet(gateway, dn, additions);
      expect(after.state.entries.map(({ ref: _ref, ...token }) => token)).toEqual(
        additions.map((addition) => addition.token),
      );
      expect(after.state.createdAt).not.toBeNull();
    });

    it('lets exactly one of two racing writers win; the other gets DIRECTORY_STAMP_CHANGED and nothing is half-written', async () => {
      await expectOneOfTwoRacingWritersWins(gateway, slapd().user('carol').dn, T0);
    });

    it('reports foreign and planted values, and leaves them untouched through later writes', async () => {
      const dn = slapd().user('alice').dn;
      const windows = windowsValue('B6AF1EF9D302A7332208091CC8C1EFF836F60620', '7', T0);
      const planted = windowsValue('..\\..\\x.bat', '9', T0 + 365 * 86_400_000);
      await withLdap(slapd(), 'admin', (client) =>
        client.modify(dn, [
          new Change({
            operation: 'add',
            modification: new Attribute({ type: 'objectClass', values: ['credroamRoamingUser'] }),
          }),
          new Change({
            operation: 'add',
            modification: new Attribute({ type: 'msPKIAccountCredentials', values: [windows, planted] }),
          }),
        ]),
      );
      const before = await gateway.roamingState.readState(dn);
      expect(before.state.entries).toEqual([]);
      expect(before.state.reported.map((value) => [value.origin, value.reason, value.displayId])).toEqual(
        expect.arrayContaining([
          ['foreign', 'foreign', '"B6AF1EF9D302A7332208091CC8C1EFF836F60620"'],
          ['foreign', 'unsafe-identifier', JSON.stringify('..\\..\\x.bat')],
        ]),
      );

      const first = await gateway.roamingState.applyChanges({
        userDn: dn,
        expectedStamp: before.stamp,
        add: [liveAddition('alice-cert', T0)],
        remove: [],
        purgeWatermark: 0,
      });
      const mid = await gateway.roamingState.readState(dn);
      const ours = mid.state.entries[0]!;
      const tombstone: DirectoryAddition = {
        token: { ...ours, tombstone: true, size: 0, modifiedAt: T0 + 1 },
        keyVersion: null,
        sealed: null,
      };
      delete (tombstone.token as { ref?: string }).ref;
      await gateway.roamingState.applyChanges({
        userDn: dn,
        expectedStamp: first.stamp,
        add: [tombstone],
        remove: [ours.ref],
        purgeWatermark: T0 - 5,
      });

      const after = await gateway.roamingState.readState(dn);
      expect(after.state.entries.map((entry) => entry.tombstone)).toEqual([true]);
      expect(after.state.purgeWatermark).toBe(T0 - 5);
      const raw = await withLdap(slapd(), 'admin', async (client) => {
        const { searchEntries } = await client.search(dn, {
          scope: 'base',
          attributes: ['msPKIAccountCredentials'],
          explicitBufferAttributes: ['msPKIAccountCredentials'],
        });
        return searchEntries[0]!.msPKIAccountCredentials as Buffer[];
      });
      expect(raw.some((value) => value.equals(windows))).toBe(true);
      expect(raw.some((value) => value.equals(planted))).toBe(true);
    });

    it('refuses to remove a foreign value', async () => {
      const dn = slapd().user('alice').dn;
      const { stamp, state } = await gateway.roamingState.readState(dn);
      const foreign = state.reported[0]!;
      const error = await failure(
        gateway.roamingState.applyChanges({
          userDn: dn,
          expectedStamp: stamp,
          add: [],
          remove: [foreign.ref],
          purgeWatermark: 0,
        }),
      );
      expect(error.code).toBe('INVALID_INPUT');
    });
  });
});
