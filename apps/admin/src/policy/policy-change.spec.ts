import { type PolicyEntryValues } from '@credroam/roaming';
import { overrideEntryDn, planPolicyChange, type PolicyRequest } from './policy-change';

const CONTAINER = 'cn=credroam-policy,dc=credroam,dc=test';
const KIOSK = 'cn=kiosk,ou=groups,dc=credroam,dc=test';
const FINANCE = 'ou=Finance,ou=people,dc=credroam,dc=test';

function entry(dn: string, values: Partial<Omit<PolicyEntryValues, 'dn'>> = {}): PolicyEntryValues {
  return { dn, settings: [], linkedOu: [], linkedGroup: [], priority: [], ...values };
}

function plan(current: PolicyEntryValues[] | null, request: Partial<PolicyRequest>) {
  const result = planPolicyChange(CONTAINER, current, {
    target: { kind: 'defaults' },
    settings: {},
    unset: [],
    ...request,
  });
  if (!result.ok) throw new Error(result.error.message);
  return result.value;
}

describe('planPolicyChange', () => {
  it('creates the container with the defaults when the directory has none', () => {
    const planned = plan(null, { settings: { maxTokens: 400 } });
    expect(planned.writes).toEqual([
      {
        op: 'add',
        dn: CONTAINER,
        attributes: {
          objectClass: ['top', 'credroamPolicy'],
          cn: ['credroam-policy'],
          credroamPolicySetting: ['maxTokens=400'],
        },
      },
    ]);
    expect(planned.changes).toEqual([{ knob: 'maxTokens', from: null, to: '400' }]);
    expect(planned.result.defaults).toEqual({ maxTokens: 400 });
  });

  it('replaces a knob by deleting its exact old value, so a concurrent edit makes the write fail', () => {
    const planned = plan([entry(CONTAINER, { settings: ['maxTokens=400', 'enabled=true'] })], {
      settings: { maxTokens: 300 },
    });
    expect(planned.writes).toEqual([
      {
        op: 'modify',
        dn: CONTAINER,
        remove: [{ type: 'credroamPolicySetting', values: ['maxTokens=400'] }],
        add: [{ type: 'credroamPolicySetting', values: ['maxTokens=300'] }],
      },
    ]);
    expect(planned.result.defaults).toEqual({ maxTokens: 300, enabled: true });
  });

  it('links a new group override under a name derived from the group, whatever its spelling', () => {
    const planned = plan([entry(CONTAINER)], {
      target: { kind: 'group', dn: KIOSK },
      settings: { purgeOnLogoff: true },
      priority: 5,
    });
    const dn = overrideEntryDn(CONTAINER, { kind: 'group', dn: KIOSK });
    expect(dn).toBe(
      overrideEntryDn(CONTAINER, { kind: 'group', dn: 'CN=Kiosk, OU=Groups,DC=credroam,DC=test' }),
    );
    expect(planned.writes).toEqual([
      {
        op: 'add',
        dn,
        attributes: {
          objectClass: ['top', 'credroamPolicy'],
          cn: [dn.slice(3, dn.indexOf(','))],
          credroamPolicyLinkedGroup: [KIOSK],
          credroamPolicySetting: ['purgeOnLogoff=true'],
          credroamPolicyPriority: ['5'],
        },
      },
    ]);
    expect(planned.result.overrides).toEqual([
      { scope: { kind: 'group', dn: KIOSK }, settings: { purgeOnLogoff: true }, priority: 5, entryDn: dn },
    ]);
  });

  it('removes an override once its last knob is unset', () => {
    const linked = entry(`cn=finance,${CONTAINER}`, { linkedOu: [FINANCE], settings: ['maxTokens=10'] });
    const planned = plan([entry(CONTAINER), linked], {
      target: { kind: 'subtree', dn: 'OU=finance,OU=People,DC=credroam,DC=test' },
      unset: ['maxTokens'],
    });
    expect(planned.writes).toEqual([{ op: 'delete', dn: linked.dn }]);
    expect(planned.changes).toEqual([{ knob: 'maxTokens', from: '10', to: null }]);
    expect(planned.result.overrides).toEqual([]);
  });

  it('writes nothing when every knob already has the value asked for', () => {
    expect(
      plan([entry(CONTAINER, { settings: ['maxTokens=400'] })], { settings: { maxTokens: 400 } }).writes,
    ).toEqual([]);
  });

  it('refuses a change whose result the gateway would set aside, and a priority on an OU', () => {
    const invalidElsewhere = planPolicyChange(
      CONTAINER,
      [entry(CONTAINER), entry(`cn=x,${CONTAINER}`, { linkedOu: [FINANCE], settings: ['tombstoneDays=0'] })],
      { target: { kind: 'defaults' }, settings: { maxTokens: 5 }, unset: [] },
    );
    expect(invalidElsewhere.ok).toBe(false);
    if (!invalidElsewhere.ok)
      expect(invalidElsewhere.error.message).toMatch(/would be invalid.*tombstoneDays/);
    const ouPriority = planPolicyChange(CONTAINER, [entry(CONTAINER)], {
      target: { kind: 'subtree', dn: FINANCE },
      settings: { maxTokens: 5 },
      unset: [],
      priority: 3,
    });
    expect(ouPriority.ok).toBe(false);
  });
});
