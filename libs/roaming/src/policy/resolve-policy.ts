import { z } from 'zod';
import { compareText } from '../tokens/token-key';
import { distinguishedNameSchema } from '../contracts/identifiers';
import { isWithinSubtree, normalizeDn, sameDn } from '../directory/distinguished-name';
import {
  POLICY_KNOBS,
  policySettingsSchema,
  type Policy,
  type PolicyKnob,
  type PolicySettings,
} from './policy';

export const policyScopeSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('subtree'), dn: distinguishedNameSchema }).strict(),
  z.object({ kind: z.literal('group'), dn: distinguishedNameSchema }).strict(),
]);
export type PolicyScope = z.output<typeof policyScopeSchema>;

export const policyOverrideSchema = z
  .object({
    scope: policyScopeSchema,
    settings: policySettingsSchema,
    /** Orders group overrides among themselves (higher wins); subtrees are ordered by depth. */
    priority: z.number().int().min(0).max(1000).default(0),
  })
  .strict();
export type PolicyOverride = z.output<typeof policyOverrideSchema>;

export interface PolicySubject {
  dn: string;
  groups: readonly string[];
}

/**
 * `default`: the bootstrap (the policy file, or the built-in defaults); `directory:<container dn>`: the
 * directory's defaults; `subtree:<ou dn>` / `group:<group dn>`: the override linked there.
 */
export type PolicySource = 'default' | `${PolicyScope['kind'] | 'directory'}:${string}`;

export interface EffectivePolicy {
  policy: Policy;
  /** Where each knob's value came from, so an admin can see why a user got what they got. */
  sources: Record<PolicyKnob, PolicySource>;
}

// A group names its members explicitly, so it is more specific than any position in the tree.
const GROUP_RANK_BASE = 10_000;

function rank(override: PolicyOverride): number {
  return override.scope.kind === 'subtree'
    ? normalizeDn(override.scope.dn).length
    : GROUP_RANK_BASE + override.priority;
}

/** Ascending precedence; the final keys only matter for duplicates, which must still not depend on order. */
function byPrecedence(a: PolicyOverride, b: PolicyOverride): number {
  return (
    rank(a) - rank(b) ||
    compareText(normalizeDn(a.scope.dn).join(','), normalizeDn(b.scope.dn).join(',')) ||
    compareText(a.scope.dn, b.scope.dn) ||
    compareText(canonicalSettings(a), canonicalSettings(b))
  );
}

function canonicalSettings(override: PolicyOverride): string {
  return JSON.stringify(POLICY_KNOBS.map((knob) => override.settings[knob] ?? null));
}

function applies(override: PolicyOverride, subject: PolicySubject): boolean {
  if (override.scope.kind === 'subtree') return isWithinSubtree(subject.dn, override.scope.dn);
  const groupDn = override.scope.dn;
  return subject.groups.some((group) => sameDn(group, groupDn));
}

function applyOverrides(
  resolved: EffectivePolicy,
  overrides: readonly PolicyOverride[],
  subject: PolicySubject,
): EffectivePolicy {
  const applicable = overrides.filter((override) => applies(override, subject)).sort(byPrecedence);
  return applicable.reduce(
    (current, override) =>
      applySettings(current, override.settings, `${override.scope.kind}:${override.scope.dn}`),
    resolved,
  );
}

function applySettings(
  resolved: EffectivePolicy,
  settings: PolicySettings,
  source: PolicySource,
): EffectivePolicy {
  const policy: Policy = { ...resolved.policy };
  const sources = { ...resolved.sources };
  for (const knob of POLICY_KNOBS) {
    const value = settings[knob];
    if (value === undefined) continue;
    (policy as Record<PolicyKnob, Policy[PolicyKnob]>)[knob] = value;
    sources[knob] = source;
  }
  return { policy, sources };
}

function bootstrapOnly(defaults: Policy): EffectivePolicy {
  const sources = Object.fromEntries(POLICY_KNOBS.map((knob) => [knob, 'default'])) as Record<
    PolicyKnob,
    PolicySource
  >;
  return { policy: { ...defaults }, sources };
}

/**
 * Merges defaults with every override that applies to the subject, knob by knob; the most specific override
 * wins (deeper subtree over shallower, group over subtree, higher priority among groups, then DN order so the
 * result never depends on the order overrides were listed).
 */
export function resolvePolicy(
  defaults: Policy,
  overrides: readonly PolicyOverride[],
  subject: PolicySubject,
): EffectivePolicy {
  return applyOverrides(bootstrapOnly(defaults), overrides, subject);
}

/** Where the policy comes from: the bootstrap (file or built-in) and, when the directory holds one, its policy. */
export interface PolicyLayers {
  bootstrap: { defaults: Policy; overrides: readonly PolicyOverride[] };
  directory: { dn: string; defaults: PolicySettings; overrides: readonly PolicyOverride[] } | null;
}

/**
 * The effective policy, knob by knob: bootstrap defaults < directory defaults < OU-linked overrides (the closest
 * OU wins) < group-linked overrides (higher priority wins). Once the directory holds a policy its overrides
 * replace the bootstrap's: the directory is then the one place an administrator manages them, and the file only
 * fills the knobs the directory leaves unset.
 */
export function resolveLayeredPolicy(layers: PolicyLayers, subject: PolicySubject): EffectivePolicy {
  const { bootstrap, directory } = layers;
  if (directory === null) return resolvePolicy(bootstrap.defaults, bootstrap.overrides, subject);
  const base = applySettings(
    bootstrapOnly(bootstrap.defaults),
    directory.defaults,
    `directory:${directory.dn}`,
  );
  return applyOverrides(base, directory.overrides, subject);
}
