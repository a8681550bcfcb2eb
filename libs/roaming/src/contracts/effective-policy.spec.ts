import { type z } from 'zod';
import { POLICY_DEFAULTS } from '../policy/policy';
import { resolvePolicy, type EffectivePolicy } from '../policy/resolve-policy';
import { effectivePolicySchema } from './effective-policy';

// Compile-time: the wire schema and resolvePolicy's EffectivePolicy describe the same values, both ways.
const toInterface = (wire: z.output<typeof effectivePolicySchema>): EffectivePolicy => wire;
const toWire = (policy: EffectivePolicy): z.output<typeof effectivePolicySchema> => policy;

describe('effective policy on the wire', () => {
  it('accepts what resolvePolicy produces, sources included', () => {
    const resolved = resolvePolicy(
      POLICY_DEFAULTS,
      [
        {
          scope: { kind: 'subtree', dn: 'ou=kiosk,dc=credroam,dc=test' },
          settings: { purgeOnLogoff: true },
          priority: 0,
        },
        {
          scope: { kind: 'group', dn: 'cn=small,dc=credroam,dc=test' },
          settings: { maxTokens: 400 },
          priority: 0,
        },
      ],
      { dn: 'uid=kim,ou=kiosk,dc=credroam,dc=test', groups: ['cn=small,dc=credroam,dc=test'] },
    );
    const parsed = effectivePolicySchema.safeParse(JSON.parse(JSON.stringify(toWire(resolved))));
    expect(parsed.success).toBe(true);
    expect(toInterface(parsed.data!)).toEqual(resolved);
  });

  it('refuses a knob out of its range or a source of unknown kind', () => {
    const resolved = resolvePolicy(POLICY_DEFAULTS, [], { dn: 'uid=a,dc=x', groups: [] });
    const tooMany = { ...resolved, policy: { ...resolved.policy, maxTokens: 10_001 } };
    expect(effectivePolicySchema.safeParse(tooMany).success).toBe(false);
    const gpo = { ...resolved, sources: { ...resolved.sources, enabled: 'gpo:Default Domain Policy' } };
    expect(effectivePolicySchema.safeParse(gpo).success).toBe(false);
    const unknownKnob = { ...resolved, policy: { ...resolved.policy, roamEverything: true } };
    expect(effectivePolicySchema.safeParse(unknownKnob).success).toBe(false);
  });
});
