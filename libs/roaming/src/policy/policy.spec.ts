import { parseWith } from '../validation/parse';
import { POLICY_DEFAULTS, policyDefaultsSchema, policySchema, policySettingsSchema } from './policy';
import { resolvePolicy, type PolicyOverride } from './resolve-policy';

describe('policy knobs', () => {
  it('uses the Windows defaults', () => {
    expect(POLICY_DEFAULTS).toMatchObject({
      enabled: true,
      roamStoredCredentials: false,
      tombstoneDays: 60,
      maxTokens: 2000,
      maxTokenBytes: 65535,
      roamUnaffiliatedKeys: false,
      roamSmartCardCertificates: false,
      refreshMinutes: 480,
      purgeOnLogoff: false,
    });
    expect(parseWith(policySchema, POLICY_DEFAULTS).ok).toBe(true);
  });

  it.each([
    ['tombstoneDays', 0],
    ['tombstoneDays', 3651],
    ['maxTokens', 10_001],
    ['maxTokenBytes', 100_001],
    ['maxTokens', 1.5],
    ['refreshMinutes', 0],
  ])('rejects %s = %s with a message naming the knob and its range', (knob, value) => {
    const parsed = parseWith(policySettingsSchema, { [knob]: value }, 'INVALID_POLICY');
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) {
      expect(parsed.error.code).toBe('INVALID_POLICY');
      expect(parsed.error.message).toMatch(new RegExp(`^${knob}: must be`));
    }
  });

  it('rejects an unknown knob instead of ignoring it', () => {
    const parsed = parseWith(policySettingsSchema, { tombstoneDayz: 5 }, 'INVALID_POLICY');
    expect(parsed.ok).toBe(false);
  });

  it('fills configured defaults from the built-in ones', () => {
    const parsed = parseWith(policyDefaultsSchema, { maxTokens: 400, maxTokenBytes: 8192 });
    expect(parsed).toEqual({ ok: true, value: { ...POLICY_DEFAULTS, maxTokens: 400, maxTokenBytes: 8192 } });
  });
});

describe('resolvePolicy', () => {
  const subject = {
    dn: 'uid=alice,ou=Finance,ou=People,dc=credroam,dc=test',
    groups: ['cn=kiosk-users,ou=groups,dc=credroam,dc=test'],
  };
  const override = (scope: PolicyOverride['scope'], settings: PolicyOverride['settings'], priority = 0) => ({
    scope,
    settings,
    priority,
  });

  it('returns the defaults, sourced as such, when nothing applies', () => {
    const resolved = resolvePolicy(
      POLICY_DEFAULTS,
      [override({ kind: 'subtree', dn: 'ou=Sales,dc=credroam,dc=test' }, { maxTokens: 1 })],
      subject,
    );
    expect(resolved.policy).toEqual(POLICY_DEFAULTS);
    expect(resolved.sources.maxTokens).toBe('default');
  });

  it('lets the deeper subtree win over the shallower one, knob by knob', () => {
    const resolved = resolvePolicy(
      POLICY_DEFAULTS,
      [
        override({ kind: 'subtree', dn: 'ou=Finance, ou=People, dc=credroam, dc=test' }, { maxTokens: 100 }),
        override({ kind: 'subtree', dn: 'dc=credroam,dc=test' }, { maxTokens: 500, tombstoneDays: 30 }),
      ],
      subject,
    );
    expect(resolved.policy.maxTokens).toBe(100);
    expect(resolved.policy.tombstoneDays).toBe(30);
    expect(resolved.sources.maxTokens).toBe('subtree:ou=Finance, ou=People, dc=credroam, dc=test');
  });

  it('lets a group override win over any subtree, and the higher priority among groups', () => {
    const resolved = resolvePolicy(
      POLICY_DEFAULTS,
      [
        override(
          { kind: 'group', dn: 'CN=Kiosk-Users,OU=Groups,DC=credroam,DC=test' },
          { purgeOnLogoff: true, maxTokens: 10 },
          5,
        ),
        override({ kind: 'group', dn: 'cn=kiosk-users,ou=groups,dc=credroam,dc=test' }, { maxTokens: 20 }, 1),
        override({ kind: 'subtree', dn: subject.dn }, { maxTokens: 999, purgeOnLogoff: false }),
      ],
      subject,
    );
    expect(resolved.policy.purgeOnLogoff).toBe(true);
    expect(resolved.policy.maxTokens).toBe(10);
  });

  it('does not depend on the order overrides are listed in', () => {
    const overrides = [
      override({ kind: 'subtree', dn: 'ou=People,dc=credroam,dc=test' }, { maxTokens: 7 }),
      override({ kind: 'subtree', dn: 'OU=people,DC=credroam,DC=test' }, { maxTokens: 8 }),
    ];
    expect(resolvePolicy(POLICY_DEFAULTS, overrides, subject)).toEqual(
      resolvePolicy(POLICY_DEFAULTS, [...overrides].reverse(), subject),
    );
  });

  it('does not treat a sibling subtree with a common suffix as containing the user', () => {
    const resolved = resolvePolicy(
      POLICY_DEFAULTS,
      [override({ kind: 'subtree', dn: 'ou=nance,ou=People,dc=credroam,dc=test' }, { enabled: false })],
      subject,
    );
    expect(resolved.policy.enabled).toBe(true);
  });
});
