import { RoamingError } from '@credroam/roaming';
import { loadGatewayConfig } from '../../../apps/directory-gateway/src/config/gateway.config';
import { useSlapd, type SlapdHandle } from '../../helpers/slapd';
import { codeOf, gatewayEnv, liveAddition } from '../../support/gateway-fixtures';
import { gatewayUseCases, type GatewayUseCases } from '../../support/gateway-use-cases';
import { AD_DIALECT_CASE_USERS, adDialectCases } from './ad-dialect-cases';

const T0 = Date.UTC(2026, 10, 25);
const users = [{ uid: 'alice', password: 'alice-pass' }];

function gatewayFor(slapd: SlapdHandle, extra: Record<string, string> = {}): Promise<GatewayUseCases> {
  return gatewayUseCases(loadGatewayConfig(gatewayEnv(slapd, extra)));
}

describe('the active-directory dialect end to end (DN-Binary strings on slapd, the TEST ONLY emulation)', () => {
  const slapd = useSlapd({
    dialect: 'active-directory',
    users: AD_DIALECT_CASE_USERS.map((uid) => ({ uid, password: `${uid}-pass` })),
  });
  adDialectCases(slapd);
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
