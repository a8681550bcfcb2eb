import { POLICY_DEFAULTS, POLICY_KNOBS } from '@credroam/roaming';
import { PolicyCache, type EffectivePolicyWire } from './policy.cache';
import { type SessionClaims } from './session-token';

const T0 = Date.UTC(2026, 11, 3);
const claims = {
  dn: 'uid=alice,ou=people,dc=credroam,dc=test',
  machine: 'ws-a',
  exp: T0 + 900_000,
} as SessionClaims;
const policy: EffectivePolicyWire = {
  policy: { ...POLICY_DEFAULTS },
  sources: Object.fromEntries(
    POLICY_KNOBS.map((knob) => [knob, 'default' as const]),
  ) as EffectivePolicyWire['sources'],
};

describe('PolicyCache', () => {
  it('keeps a session policy for its maximum age only, so a changed directory policy reaches the next sync', () => {
    const cache = new PolicyCache(60_000);
    cache.remember(claims, policy, T0);
    expect(cache.get(claims, T0 + 59_999)).toBe(policy);
    expect(cache.get(claims, T0 + 60_000)).toBeNull();
  });

  it('never keeps it past the session, and not at all with a maximum age of 0', () => {
    const long = new PolicyCache(3_600_000);
    long.remember(claims, policy, T0);
    expect(long.get(claims, claims.exp)).toBeNull();
    const none = new PolicyCache(0);
    none.remember(claims, policy, T0);
    expect(none.get(claims, T0)).toBeNull();
  });
});
