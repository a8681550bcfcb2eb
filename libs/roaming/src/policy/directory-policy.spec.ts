import {
  encodeSettings,
  parseDirectoryPolicy,
  parseSettingAssignments,
  policyContainerDn,
  type PolicyEntryValues,
} from './directory-policy';
import { POLICY_DEFAULTS } from './policy';
import { resolveLayeredPolicy, type PolicyLayers } from './resolve-policy';

const BASE = 'dc=credroam,dc=test';
const CONTAINER = policyContainerDn(BASE);
const FINANCE = `ou=Finance,ou=people,${BASE}`;
const PEOPLE = `ou=people,${BASE}`;
const KIOSK = `cn=kiosk,ou=groups,${BASE}`;
const SMALL = `cn=small,ou=groups,${BASE}`;

function entry(dn: string, values: Partial<Omit<PolicyEntryValues, 'dn'>> = {}): PolicyEntryValues {
  return { dn, settings: [], linkedOu: [], linkedGroup: [], priority: [], ...values };
}

function parsed(entries: PolicyEntryValues[]) {
  const result = parseDirectoryPolicy(CONTAINER, entries);
  if (!result.ok) throw new Error(result.error.message);
  return result.value;
}

describe('directory policy entries', () => {
  it('reads the container as the defaults and each child as an override linked to an OU or a group', () => {
    const policy = parsed([
      entry(CONTAINER, { settings: ['maxTokens=400', 'roamStoredCredentials=TRUE'] }),
      entry(`cn=finance,${CONTAINER}`, { settings: ['maxTokens=100'], linkedOu: [FINANCE] }),
      entry(`cn=kiosk,${CONTAINER}`, {
        settings: ['purgeOnLogoff=true'],
        linkedGroup: [KIOSK],
        priority: ['5'],
      }),
    ]);
    expect(policy.defaults).toEqual({ maxTokens: 400, roamStoredCredentials: true });
    expect(policy.overrides).toEqual([
      {
        scope: { kind: 'subtree', dn: FINANCE },
        settings: { maxTokens: 100 },
        priority: 0,
        entryDn: `cn=finance,${CONTAINER}`,
      },
      {
        scope: { kind: 'group', dn: KIOSK },
        settings: { purgeOnLogoff: true },
        priority: 5,
        entryDn: `cn=kiosk,${CONTAINER}`,
      },
    ]);
  });

  it.each([
    [
      'a value out of range',
      [entry(CONTAINER, { settings: ['maxTokens=0'] })],
      /maxTokens: must be at least 1/,
    ],
    ['an unknown knob', [entry(CONTAINER, { settings: ['maxTokenz=5'] })], /unknown knob "maxTokenz"/],
    ['a knob set twice', [entry(CONTAINER, { settings: ['maxTokens=5', 'maxTokens=6'] })], /given twice/],
    [
      'a switch that is not true or false',
      [entry(CONTAINER, { settings: ['enabled=yes'] })],
      /true or false/,
    ],
    ['a missing container', [entry(`cn=x,${CONTAINER}`, { linkedOu: [PEOPLE] })], /container is missing/],
    ['an override linked nowhere', [entry(CONTAINER), entry(`cn=x,${CONTAINER}`)], /exactly one/],
    [
      'an override linked to an OU and a group',
      [entry(CONTAINER), entry(`cn=x,${CONTAINER}`, { linkedOu: [PEOPLE], linkedGroup: [KIOSK] })],
      /exactly one/,
    ],
    [
      'a priority on an OU link',
      [entry(CONTAINER), entry(`cn=x,${CONTAINER}`, { linkedOu: [PEOPLE], priority: ['3'] })],
      /group overrides only/,
    ],
    [
      'a priority out of range',
      [entry(CONTAINER), entry(`cn=x,${CONTAINER}`, { linkedGroup: [KIOSK], priority: ['1001'] })],
      /priority/,
    ],
    [
      'two overrides linked to one group',
      [
        entry(CONTAINER),
        entry(`cn=a,${CONTAINER}`, { linkedGroup: [KIOSK], settings: ['maxTokens=1'] }),
        entry(`cn=b,${CONTAINER}`, { linkedGroup: ['CN=Kiosk, OU=groups, DC=credroam, DC=test'] }),
      ],
      /both linked to/,
    ],
  ])('rejects the whole policy for %s, naming the entry', (_what, entries, message) => {
    const result = parseDirectoryPolicy(CONTAINER, entries);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error.code).toBe('INVALID_POLICY');
      expect(result.error.message).toMatch(message);
      expect(result.error.message).toMatch(/credroam-policy/);
    }
  });

  it('writes settings back in the form it reads', () => {
    const settings = { maxTokens: 400, purgeOnLogoff: true, enabled: false };
    const assignments = parseSettingAssignments(encodeSettings(settings));
    expect(assignments.ok && assignments.value.settings).toEqual(settings);
  });

  it('takes "knob=" as an unset only where the caller allows it', () => {
    expect(parseSettingAssignments(['maxTokens='], { allowUnset: true })).toEqual({
      ok: true,
      value: { settings: {}, unset: ['maxTokens'] },
    });
    expect(parseSettingAssignments(['maxTokens=']).ok).toBe(false);
  });
});

describe('resolveLayeredPolicy', () => {
  const alice = { dn: `uid=alice,${FINANCE}`, groups: [KIOSK, SMALL] };
  const bootstrap = {
    defaults: { ...POLICY_DEFAULTS, tombstoneDays: 90, refreshMinutes: 60 },
    overrides: [
      { scope: { kind: 'subtree' as const, dn: PEOPLE }, settings: { clockSkewSeconds: 10 }, priority: 0 },
    ],
  };

  it('uses the bootstrap, its overrides included, while the directory holds no policy', () => {
    const resolved = resolveLayeredPolicy({ bootstrap, directory: null }, alice);
    expect(resolved.policy).toMatchObject({ tombstoneDays: 90, clockSkewSeconds: 10 });
    expect(resolved.sources).toMatchObject({
      tombstoneDays: 'default',
      clockSkewSeconds: `subtree:${PEOPLE}`,
    });
  });

  it('stacks bootstrap < directory defaults < closest OU < group, naming each source', () => {
    const layers: PolicyLayers = {
      bootstrap,
      directory: parsed([
        entry(CONTAINER, { settings: ['maxTokens=400', 'maxTokenBytes=8192', 'sessionRenewalHours=4'] }),
        entry(`cn=people,${CONTAINER}`, {
          settings: ['maxTokens=300', 'maxTokenBytes=4096'],
          linkedOu: [PEOPLE],
        }),
        entry(`cn=finance,${CONTAINER}`, { settings: ['maxTokens=200'], linkedOu: [FINANCE] }),
        entry(`cn=kiosk,${CONTAINER}`, { settings: ['maxTokenBytes=2048'], linkedGroup: [KIOSK] }),
      ]),
    };
    const resolved = resolveLayeredPolicy(layers, alice);
    expect(resolved.policy).toMatchObject({
      refreshMinutes: 60,
      sessionRenewalHours: 4,
      maxTokens: 200,
      maxTokenBytes: 2048,
      // The file's override is not used once the directory holds the policy.
      clockSkewSeconds: POLICY_DEFAULTS.clockSkewSeconds,
    });
    expect(resolved.sources).toMatchObject({
      refreshMinutes: 'default',
      clockSkewSeconds: 'default',
      sessionRenewalHours: `directory:${CONTAINER}`,
      maxTokens: `subtree:${FINANCE}`,
      maxTokenBytes: `group:${KIOSK}`,
    });
  });

  it('settles two groups that disagree by their priority, whatever the order they are listed in', () => {
    const entries = [
      entry(CONTAINER),
      entry(`cn=kiosk,${CONTAINER}`, { settings: ['maxTokens=50'], linkedGroup: [KIOSK], priority: ['1'] }),
      entry(`cn=small,${CONTAINER}`, { settings: ['maxTokens=20'], linkedGroup: [SMALL], priority: ['7'] }),
    ];
    const forward = resolveLayeredPolicy({ bootstrap, directory: parsed(entries) }, alice);
    const backward = resolveLayeredPolicy({ bootstrap, directory: parsed([...entries].reverse()) }, alice);
    expect(forward.policy.maxTokens).toBe(20);
    expect(forward.sources.maxTokens).toBe(`group:${SMALL}`);
    expect(backward).toEqual(forward);
  });

  it('ignores overrides linked to an OU or group the user is not in', () => {
    const resolved = resolveLayeredPolicy(
      {
        bootstrap,
        directory: parsed([
          entry(CONTAINER),
          entry(`cn=sales,${CONTAINER}`, { settings: ['enabled=false'], linkedOu: [`ou=Sales,${BASE}`] }),
          entry(`cn=other,${CONTAINER}`, { settings: ['enabled=false'], linkedGroup: [`cn=other,${BASE}`] }),
        ]),
      },
      alice,
    );
    expect(resolved.policy.enabled).toBe(true);
    expect(resolved.sources.enabled).toBe('default');
  });
});
