import { Attribute, Change } from 'ldapts';
import { encodeDnBinary, RoamingError } from '@credroam/roaming';
import { loadGatewayConfig } from '../../../apps/directory-gateway/src/config/gateway.config';
import { useSlapd, withLdap, type SlapdHandle } from '../../helpers/slapd';
import { codeOf, gatewayEnv, liveAddition, windowsValue } from '../../support/gateway-fixtures';
import { gatewayUseCases, type GatewayUseCases } from '../../support/gateway-use-cases';

const T0 = Date.UTC(2026, 10, 25);
const users = [{ uid: 'alice', password: 'alice-pass' }];

function gatewayFor(slapd: SlapdHandle, extra: Record<string, string> = {}): Promise<GatewayUseCases> {
  return gatewayUseCases(loadGatewayConfig(gatewayEnv(slapd, extra)));
}

describe('the active-directory dialect end to end (DN-Binary strings on slapd)', () => {
  const slapd = useSlapd({ dialect: 'active-directory', users });

  it('writes and reads token values as B:<count>:<HEX>:<own DN> strings, and reports one naming another entry', async () => {
    const gateway = await gatewayFor(slapd());
    try {
      const dn = slapd().user('alice').dn;
      await gateway.roamingState.applyChanges({
        userDn: dn,
        expectedStamp: null,
        add: [liveAddition('ad-cert', T0)],
        remove: [],
        purgeWatermark: 0,
      });
      const stored = await withLdap(slapd(), 'admin', async (client) => {
        const { searchEntries } = await client.search(dn, {
          scope: 'base',
          attributes: ['msPKIAccountCredentials'],
        });
        return searchEntries[0]!.msPKIAccountCredentials as string;
      });
      expect(stored).toMatch(new RegExp(`^B:\\d+:[0-9A-F]+:${dn.replace(/[=,]/g, '\\$&')}$`));

      const elsewhere = encodeDnBinary(
        windowsValue('B6AF1EF9D302A7332208091CC8C1EFF836F60620', '7', T0),
        'uid=mallory,dc=credroam,dc=test',
      );
      await withLdap(slapd(), 'admin', (client) =>
        client.modify(dn, [
          new Change({
            operation: 'add',
            modification: new Attribute({ type: 'msPKIAccountCredentials', values: [elsewhere] }),
          }),
        ]),
      );
      const { state, stamp } = await gateway.roamingState.readState(dn);
      expect(state.entries.map((entry) => entry.hash)).toHaveLength(1);
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
    } finally {
      await gateway.pool.close();
    }
  });
});

describe('TLS to the directory', () => {
  const slapd = useSlapd({ tls: true, users });

  it.each([
    [
      'LDAPS',
      (handle: SlapdHandle) => ({
        CREDROAM_LDAP_URL: handle.ldapsUrl!,
        CREDROAM_LDAP_CA_FILE: handle.caFile!,
      }),
    ],
    [
      'StartTLS',
      (handle: SlapdHandle) => ({ CREDROAM_LDAP_STARTTLS: 'true', CREDROAM_LDAP_CA_FILE: handle.caFile! }),
    ],
  ])('works over %s with the directory CA', async (_label, settings) => {
    const gateway = await gatewayFor(slapd(), settings(slapd()));
    try {
      expect((await gateway.users.lookup('alice')).login).toBe('alice');
    } finally {
      await gateway.pool.close();
    }
  });

  it.each([
    ['LDAPS', (handle: SlapdHandle) => ({ CREDROAM_LDAP_URL: handle.ldapsUrl! })],
    ['StartTLS', () => ({ CREDROAM_LDAP_STARTTLS: 'true' })],
  ])('refuses a directory certificate it cannot verify (%s)', async (_label, settings) => {
    // Without CREDROAM_LDAP_CA_FILE only the system's CAs are trusted, and none of them issued the suite's CA.
    const gateway = await gatewayFor(slapd(), settings(slapd()));
    try {
      expect(await codeOf(gateway.users.lookup('alice'))).toBe('DIRECTORY_UNAVAILABLE');
    } finally {
      await gateway.pool.close();
    }
  });
});

describe('slapd stopped mid-run', () => {
  const slapd = useSlapd({ users });

  it('fails fast with a retryable error while slapd is down and recovers by itself after the restart', async () => {
    const gateway = await gatewayFor(slapd());
    try {
      const dn = slapd().user('alice').dn;
      expect((await gateway.roamingState.readState(dn)).state.entries).toEqual([]);

      await slapd().stopProcess();
      let error: unknown;
      try {
        await gateway.roamingState.readState(dn);
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(RoamingError);
      expect((error as RoamingError).code).toBe('DIRECTORY_UNAVAILABLE');
      expect((error as RoamingError).retryable).toBe(true);
      // Fast: the refused connection is the failure, not an operation or connect timeout run out.
      expect((error as RoamingError).message).not.toMatch(/timeout|timed out/i);

      await slapd().startProcess();
      // Every pooled connection is rebuilt and bound again on its next use; the first call after the restart works.
      for (let i = 0; i < 6; i++)
        expect((await gateway.roamingState.readState(dn)).state.entries).toEqual([]);
      const { stamp } = await gateway.roamingState.applyChanges({
        userDn: dn,
        expectedStamp: null,
        add: [liveAddition('after-restart', T0)],
        remove: [],
        purgeWatermark: 0,
      });
      expect(stamp).toHaveLength(16);
    } finally {
      await gateway.pool.close();
    }
  });
});
