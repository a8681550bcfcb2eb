// The active-directory dialect's cases, run on the slapd emulation (dialects-and-faults.test.ts) and on a real
// Samba AD DC (samba-ad.test.ts): DN-Binary values bound to the user's own DN, byte-identical round trips, and
// the compare-and-swap on msPKIRoamingTimeStamp.
import { randomBytes } from 'node:crypto';
import { Attribute, Change } from 'ldapts';
import { encodeDnBinary } from '@credroam/roaming';
import { loadGatewayConfig } from '../../../apps/directory-gateway/src/config/gateway.config';
import { ACTIVE_DIRECTORY_DIALECT } from '../../../apps/directory-gateway/src/ldap/attribute-dialect';
import { RoamingEntryRepository } from '../../../apps/directory-gateway/src/roaming-state/roaming-entry.repository';
import { type SambaAdHandle } from '../../helpers/samba-ad';
import { withLdap, type SlapdHandle } from '../../helpers/slapd';
import { codeOf, gatewayEnv, liveAddition, windowsValue } from '../../support/gateway-fixtures';
import {
  expectOneOfTwoRacingWritersWins,
  gatewayUseCases,
  writeFirstChangeSet,
  type GatewayUseCases,
} from '../../support/gateway-use-cases';

const T0 = Date.UTC(2026, 10, 25);

/** The users each case writes to (distinct, so that the cases do not depend on their order). */
export const AD_DIALECT_CASE_USERS = ['alice', 'bob', 'carol'] as const;

export function adDialectCases(directory: () => SlapdHandle | SambaAdHandle): void {
  let gateway: GatewayUseCases;
  beforeAll(async () => {
    gateway = await gatewayUseCases(loadGatewayConfig(gatewayEnv(directory())));
  });
  afterAll(() => gateway.pool.close());

  const rawValues = (dn: string) =>
    withLdap(directory(), 'admin', async (client) => {
      const { searchEntries } = await client.search(dn, {
        scope: 'base',
        attributes: ['msPKIAccountCredentials'],
      });
      const values = searchEntries[0]!.msPKIAccountCredentials ?? [];
      return (Array.isArray(values) ? values : [values]).map(String);
    });

  it('writes and reads token values as B:<count>:<HEX>:<own DN> strings, and reports one naming another entry', async () => {
    const dn = directory().user('alice').dn;
    await gateway.roamingState.applyChanges({
      userDn: dn,
      expectedStamp: null,
      add: [liveAddition('ad-cert', T0)],
      remove: [],
      purgeWatermark: 0,
    });
    expect(await rawValues(dn)).toEqual([
      expect.stringMatching(new RegExp(`^B:\\d+:[0-9A-F]+:${dn.replace(/[=,]/g, '\\$&')}$`)),
    ]);

    // Another existing entry: on AD the value is a link, and a DN that names nothing is refused (19).
    const elsewhere = encodeDnBinary(
      windowsValue('B6AF1EF9D302A7332208091CC8C1EFF836F60620', '7', T0),
      directory().user('carol').dn,
    );
    await withLdap(directory(), 'admin', (client) =>
      client.modify(dn, [
        new Change({
          operation: 'add',
          modification: new Attribute({ type: 'msPKIAccountCredentials', values: [elsewhere] }),
        }),
      ]),
    );
    const { state, stamp } = await gateway.roamingState.readState(dn);
    expect(state.entries).toHaveLength(1);
    expect(state.reported.map((value) => value.reason)).toEqual(['undecodable']);

    // A later write removes our own value by its exact string and leaves the other one alone.
    await gateway.roamingState.applyChanges({
      userDn: dn,
      expectedStamp: stamp,
      add: [],
      remove: [state.entries[0]!.ref],
      purgeWatermark: 0,
    });
    const after = await gateway.roamingState.readState(dn);
    expect(after.state.entries).toEqual([]);
    expect(after.state.reported).toHaveLength(1);
  });

  it('gives back the sealed bytes of every token byte for byte, certificates and master keys alike', async () => {
    const dn = directory().user('bob').dn;
    const additions = [
      { ...liveAddition('bob-cert', T0), sealed: randomBytes(4000).toString('base64') },
      liveAddition('7fc19508-7b85-4a7c-9e5d-15f9e00e7ce5', T0, 'master-key'),
    ];
    const after = await writeFirstChangeSet(gateway, dn, additions);
    expect(after.state.entries.map(({ ref: _ref, ...token }) => token)).toEqual(
      expect.arrayContaining(additions.map((addition) => addition.token)),
    );
    const values = await gateway.roamingState.readValues(
      dn,
      additions.map(({ token }) => ({ type: token.type, id: token.id })),
    );
    expect(
      values
        .map((value) => [value.token.id, Buffer.from(value.sealed).toString('base64')])
        .sort(([a], [b]) => String(a).localeCompare(String(b))),
    ).toEqual(
      additions
        .map((addition) => [addition.token.id, addition.sealed])
        .sort(([a], [b]) => String(a).localeCompare(String(b))),
    );
  });

  it('lets exactly one of two racing writers win; the other gets DIRECTORY_STAMP_CHANGED and nothing is half-written', async () => {
    await expectOneOfTwoRacingWritersWins(gateway, directory().user('carol').dn, T0);
  });

  it('refuses, in the modify itself, a stale stamp and a second first write as lost races, changing nothing', async () => {
    // The repository alone, without the service's early check: the directory's own verdict is what is tested.
    const repository = new RoamingEntryRepository(gateway.pool, ACTIVE_DIRECTORY_DIALECT, null);
    const dn = directory().user('carol').dn;
    const before = await repository.read(dn);
    expect(before.stamp).not.toBeNull();
    const write = (expectedStamp: Buffer | null) =>
      repository.write({
        userDn: dn,
        expectedStamp,
        newStamp: randomBytes(16),
        addRoamingClass: null,
        remove: [],
        add: [
          {
            attribute: 'msPKIAccountCredentials',
            wire: ACTIVE_DIRECTORY_DIALECT.toWire(randomBytes(40), dn),
          },
        ],
      });
    expect(await codeOf(write(randomBytes(16)))).toBe('DIRECTORY_STAMP_CHANGED');
    expect(await codeOf(write(null))).toBe('DIRECTORY_STAMP_CHANGED');
    const after = await repository.read(dn);
    expect(after.stamp).toEqual(before.stamp);
    expect(after.values.map((value) => value.ref)).toEqual(before.values.map((value) => value.ref));
  });
}
