// The policy objects in a real slapd (schema and ACLs as shipped), read by the gateway's policy use-case through
// its own service account: the bootstrap file alone, the directory's layers over it, the cache lifetime, and an
// invalid directory policy set aside whole.
import { writeFileSync } from 'node:fs';
import { Attribute, Change } from 'ldapts';
import { type DirectoryUser } from '@credroam/roaming';
import {
  loadGatewayConfig,
  type GatewayConfig,
} from '../../../apps/directory-gateway/src/config/gateway.config';
import { LdapConnectionPool } from '../../../apps/directory-gateway/src/ldap/ldap-connection.pool';
import { DirectoryPolicyRepository } from '../../../apps/directory-gateway/src/policy/directory-policy.repository';
import { PolicyService } from '../../../apps/directory-gateway/src/policy/policy.service';
import { UserDirectoryRepository } from '../../../apps/directory-gateway/src/users/user-directory.repository';
import { useSlapd, withLdap } from '../../helpers/slapd';
import { gatewayEnv } from '../../support/gateway-fixtures';

interface LogLine {
  level: 'info' | 'warn' | 'error';
  fields: Record<string, unknown>;
  message: string;
}

describe('the directory policy, read by the gateway from a real slapd', () => {
  const slapd = useSlapd({
    users: [
      { uid: 'alice', password: 'alice-pass', ou: 'Finance' },
      { uid: 'bob', password: 'bob-pass' },
    ],
    groups: [
      { cn: 'kiosk', members: ['alice'] },
      { cn: 'small', members: ['alice'] },
    ],
  });
  let config: GatewayConfig;
  let pool: LdapConnectionPool;
  let users: UserDirectoryRepository;
  let now = 0;
  let logs: LogLine[];
  let reads: number;
  let policy: PolicyService;
  const container = () => `cn=credroam-policy,${slapd().suffix}`;
  const finance = () => `ou=Finance,${slapd().peopleDn}`;
  const group = (cn: string) => slapd().groups.find((each) => each.cn === cn)!.dn;

  beforeAll(() => {
    const policyFile = `${slapd().dir}/policy.json`;
    writeFileSync(
      policyFile,
      JSON.stringify({
        defaults: { maxTokens: 900, refreshMinutes: 30 },
        overrides: [{ scope: { kind: 'subtree', dn: slapd().peopleDn }, settings: { tombstoneDays: 20 } }],
      }),
    );
    config = loadGatewayConfig(gatewayEnv(slapd(), { CREDROAM_POLICY_FILE: policyFile }));
    pool = new LdapConnectionPool(config.ldap);
    users = new UserDirectoryRepository(pool, config);
  });
  afterAll(() => pool.close());

  beforeEach(async () => {
    logs = [];
    reads = 0;
    const repository = new DirectoryPolicyRepository(pool, config.policyDn);
    const read = repository.read.bind(repository);
    repository.read = () => {
      reads++;
      return read();
    };
    const record =
      (level: LogLine['level']) =>
      (fields: Record<string, unknown>, message: string): void => {
        logs.push({ level, fields, message });
      };
    policy = new PolicyService(
      { defaults: config.policyDefaults, overrides: config.policyOverrides },
      repository,
      {
        containerDn: config.policyDn,
        cacheMs: 60_000,
        clock: () => now,
        log: { info: record('info'), warn: record('warn'), error: record('error') },
      },
    );
    await withLdap(slapd(), 'admin', async (client) => {
      for (const dn of [`cn=finance,${container()}`, `cn=kiosk,${container()}`, `cn=small,${container()}`]) {
        await client.del(dn).catch(() => undefined);
      }
      await client.del(container()).catch(() => undefined);
    });
  });

  async function effectiveFor(uid: string) {
    const user: DirectoryUser = await users.findByLogin(uid);
    return policy.resolve(user.dn, user.groups);
  }

  /** Writes as the admin CLI's account does: its own credentials, which the shipped ACLs let write the policy. */
  async function asAdminCli(work: Parameters<typeof withLdap>[2]): Promise<void> {
    await withLdap(slapd(), { dn: slapd().readerDn, password: slapd().readerPassword }, work);
  }

  async function writeDirectoryPolicy(): Promise<void> {
    await asAdminCli(async (client) => {
      await client.add(container(), {
        objectClass: ['top', 'credroamPolicy'],
        cn: 'credroam-policy',
        credroamPolicySetting: ['maxTokens=400', 'sessionRenewalHours=4'],
      });
      await client.add(`cn=finance,${container()}`, {
        objectClass: ['top', 'credroamPolicy'],
        cn: 'finance',
        credroamPolicyLinkedOU: finance(),
        credroamPolicySetting: ['maxTokens=200', 'maxTokenBytes=4096'],
      });
      await client.add(`cn=kiosk,${container()}`, {
        objectClass: ['top', 'credroamPolicy'],
        cn: 'kiosk',
        credroamPolicyLinkedGroup: group('kiosk'),
        credroamPolicyPriority: '1',
        credroamPolicySetting: ['maxTokens=50', 'purgeOnLogoff=true'],
      });
      await client.add(`cn=small,${container()}`, {
        objectClass: ['top', 'credroamPolicy'],
        cn: 'small',
        credroamPolicyLinkedGroup: group('small'),
        credroamPolicyPriority: '9',
        credroamPolicySetting: ['maxTokens=20'],
      });
    });
  }

  it('applies the bootstrap file, its overrides included, while the directory has no policy container', async () => {
    const effective = await effectiveFor('alice');
    expect(effective.policy).toMatchObject({ maxTokens: 900, refreshMinutes: 30, tombstoneDays: 20 });
    expect(effective.sources).toMatchObject({
      maxTokens: 'default',
      tombstoneDays: `subtree:${slapd().peopleDn}`,
    });
    expect(logs.filter((line) => line.level !== 'info')).toEqual([]);
  });

  it('layers directory defaults, the closest OU and the groups by priority over the file, naming each source', async () => {
    await writeDirectoryPolicy();
    const alice = await effectiveFor('alice');
    expect(alice.policy).toMatchObject({
      refreshMinutes: 30,
      sessionRenewalHours: 4,
      maxTokenBytes: 4096,
      maxTokens: 20,
      purgeOnLogoff: true,
      // The file's override gives way once the directory holds the policy.
      tombstoneDays: 60,
    });
    expect(alice.sources).toMatchObject({
      refreshMinutes: 'default',
      tombstoneDays: 'default',
      sessionRenewalHours: `directory:${container()}`,
      maxTokenBytes: `subtree:${finance()}`,
      maxTokens: `group:${group('small')}`,
      purgeOnLogoff: `group:${group('kiosk')}`,
    });
    const bob = await effectiveFor('bob');
    expect(bob.policy).toMatchObject({ maxTokens: 400, purgeOnLogoff: false });
    expect(bob.sources.maxTokens).toBe(`directory:${container()}`);
    expect(logs).toEqual([
      expect.objectContaining({
        level: 'info',
        message: 'directory policy loaded',
        fields: { dn: container(), overrides: 3, fileOverridesSetAside: 1 },
      }),
    ]);
  });

  it('reads the directory once per cache lifetime, so a change is seen when it expires, without a restart', async () => {
    await writeDirectoryPolicy();
    await Promise.all([effectiveFor('alice'), effectiveFor('bob'), effectiveFor('alice')]);
    expect(reads).toBe(1);
    await asAdminCli((client) =>
      client.modify(container(), [
        new Change({
          operation: 'delete',
          modification: new Attribute({ type: 'credroamPolicySetting', values: ['maxTokens=400'] }),
        }),
        new Change({
          operation: 'add',
          modification: new Attribute({ type: 'credroamPolicySetting', values: ['maxTokens=300'] }),
        }),
      ]),
    );
    now += 59_000;
    expect((await effectiveFor('bob')).policy.maxTokens).toBe(400);
    now += 1_000;
    expect((await effectiveFor('bob')).policy.maxTokens).toBe(300);
    expect(reads).toBe(2);
  });

  it('sets an invalid directory policy aside whole, logs why once, and applies it again once fixed', async () => {
    await writeDirectoryPolicy();
    expect((await effectiveFor('alice')).policy.maxTokens).toBe(20);
    // A value the admin CLI would refuse, written by hand: out of range, in one override only.
    await withLdap(slapd(), 'admin', (client) =>
      client.modify(`cn=finance,${container()}`, [
        new Change({
          operation: 'add',
          modification: new Attribute({ type: 'credroamPolicySetting', values: ['tombstoneDays=0'] }),
        }),
      ]),
    );
    now += 60_000;
    const alice = await effectiveFor('alice');
    // Nothing of the directory applies, not even its valid entries: the bootstrap file does.
    expect(alice.policy).toMatchObject({ maxTokens: 900, tombstoneDays: 20, purgeOnLogoff: false });
    now += 60_000;
    await effectiveFor('alice');
    const errors = logs.filter((line) => line.level === 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0]!.fields).toMatchObject({ code: 'INVALID_POLICY', dn: container() });
    expect(errors[0]!.fields.problem).toMatch(
      new RegExp(`^cn=finance,${container()}: tombstoneDays: must be at least 1`),
    );

    await withLdap(slapd(), 'admin', (client) =>
      client.modify(`cn=finance,${container()}`, [
        new Change({
          operation: 'delete',
          modification: new Attribute({ type: 'credroamPolicySetting', values: ['tombstoneDays=0'] }),
        }),
      ]),
    );
    now += 60_000;
    expect((await effectiveFor('alice')).policy.maxTokens).toBe(20);
  });

  it('keeps the last policy read while the directory cannot be read, and fails only without one', async () => {
    await writeDirectoryPolicy();
    expect((await effectiveFor('bob')).policy.maxTokens).toBe(400);
    const broken = new PolicyService(
      { defaults: config.policyDefaults, overrides: [] },
      { read: () => Promise.reject(new Error('directory down')) } as unknown as DirectoryPolicyRepository,
      { containerDn: config.policyDn, cacheMs: 0 },
    );
    await expect(broken.resolve(slapd().user('bob').dn, [])).rejects.toThrow('directory down');
    await slapd().stopProcess();
    try {
      now += 60_000;
      const user = { dn: slapd().user('bob').dn, groups: [] };
      expect((await policy.resolve(user.dn, user.groups)).policy.maxTokens).toBe(400);
      expect(logs.some((line) => line.level === 'warn')).toBe(true);
    } finally {
      await slapd().startProcess();
    }
  });
});

describe('the directory policy on the Active Directory emulation (TEST ONLY schema)', () => {
  const slapd = useSlapd({
    dialect: 'active-directory',
    users: [{ uid: 'alice', password: 'alice-pass' }],
    groups: [{ cn: 'kiosk', members: ['alice'] }],
  });

  it('reads the same objects with the same precedence', async () => {
    const config = loadGatewayConfig(gatewayEnv(slapd()));
    const pool = new LdapConnectionPool(config.ldap);
    try {
      const container = config.policyDn;
      const kiosk = slapd().groups[0]!.dn;
      await withLdap(slapd(), 'admin', async (client) => {
        await client.add(container, {
          objectClass: ['top', 'credroamPolicy'],
          cn: 'credroam-policy',
          credroamPolicySetting: ['maxTokens=400'],
        });
        await client.add(`cn=kiosk,${container}`, {
          objectClass: ['top', 'credroamPolicy'],
          cn: 'kiosk',
          credroamPolicyLinkedGroup: kiosk,
          credroamPolicySetting: ['purgeOnLogoff=true'],
        });
      });
      const policy = new PolicyService(
        { defaults: config.policyDefaults, overrides: [] },
        new DirectoryPolicyRepository(pool, container),
        { containerDn: container, cacheMs: 60_000 },
      );
      const alice = await new UserDirectoryRepository(pool, config).findByLogin('alice');
      const effective = await policy.resolve(alice.dn, alice.groups);
      expect(effective.policy).toMatchObject({ maxTokens: 400, purgeOnLogoff: true });
      expect(effective.sources).toMatchObject({
        maxTokens: `directory:${container}`,
        purgeOnLogoff: `group:${kiosk}`,
      });
    } finally {
      await pool.close();
    }
  });
});
