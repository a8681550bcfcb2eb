import { resolvePolicy, type EffectivePolicy, type Policy, type PolicyOverride } from '@credroam/roaming';

/** The Group Policy analog: configured defaults merged with subtree and group overrides for one user. */
export class PolicyService {
  constructor(
    private readonly defaults: Policy,
    private readonly overrides: readonly PolicyOverride[],
  ) {}

  resolve(userDn: string, groups: readonly string[]): EffectivePolicy {
    return resolvePolicy(this.defaults, this.overrides, { dn: userDn, groups });
  }
}
