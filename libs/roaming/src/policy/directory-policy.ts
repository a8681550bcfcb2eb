import { fail, ok, type Result } from '../errors/result';
import { normalizeDn, sameDn } from '../directory/distinguished-name';
import { parseWith } from '../validation/parse';
import {
  POLICY_DEFAULTS,
  POLICY_KNOBS,
  policySettingsSchema,
  type PolicyKnob,
  type PolicySettings,
} from './policy';
import { policyOverrideSchema, type PolicyOverride } from './resolve-policy';

/**
 * The policy as directory entries (deploy/openldap/credroam.schema): one `credroamPolicy` container under the base
 * holding the defaults, and below it one entry per override, linked to one OU or one group (as a GPO is linked to
 * an OU). Each setting is one `knob=value` value, so a new knob needs no schema change.
 */
export const POLICY_OBJECT_CLASS = 'credroamPolicy';
export const POLICY_ATTRIBUTES = Object.freeze({
  setting: 'credroamPolicySetting',
  linkedOu: 'credroamPolicyLinkedOU',
  linkedGroup: 'credroamPolicyLinkedGroup',
  priority: 'credroamPolicyPriority',
} as const);
export const POLICY_CONTAINER_CN = 'credroam-policy';

export function policyContainerDn(baseDn: string): string {
  return `cn=${POLICY_CONTAINER_CN},${baseDn}`;
}

/** One policy entry as read: the values of the policy attributes, as strings. */
export interface PolicyEntryValues {
  dn: string;
  settings: readonly string[];
  linkedOu: readonly string[];
  linkedGroup: readonly string[];
  priority: readonly string[];
}

export type DirectoryPolicyOverride = PolicyOverride & { entryDn: string };

export interface DirectoryPolicy {
  /** The container's DN: the source named for the knobs its defaults set. */
  dn: string;
  defaults: PolicySettings;
  overrides: DirectoryPolicyOverride[];
}

const MAX_OVERRIDES = 10_000;

/** `true`/`false` for switches, a decimal integer for the others; the range check is the policy schema's. */
export function parseKnobValue(knob: PolicyKnob, text: string): Result<boolean | number> {
  const trimmed = text.trim();
  if (typeof POLICY_DEFAULTS[knob] === 'boolean') {
    const lower = trimmed.toLowerCase();
    if (lower === 'true' || lower === 'false') return ok(lower === 'true');
    return fail('INVALID_POLICY', `${knob}: must be true or false, not "${trimmed.slice(0, 40)}"`);
  }
  if (!/^-?\d{1,12}$/.test(trimmed)) {
    return fail('INVALID_POLICY', `${knob}: must be a whole number, not "${trimmed.slice(0, 40)}"`);
  }
  return ok(Number(trimmed));
}

function isKnob(name: string): name is PolicyKnob {
  return (POLICY_KNOBS as readonly string[]).includes(name);
}

/**
 * `knob=value` assignments (the directory's values, or `credroam policy set`'s arguments) as settings, validated
 * with the policy schema. With `allowUnset`, `knob=` (nothing after the sign) lists the knob in `unset` instead.
 */
export function parseSettingAssignments(
  assignments: readonly string[],
  options: { allowUnset?: boolean } = {},
): Result<{ settings: PolicySettings; unset: PolicyKnob[] }> {
  const raw: Record<string, boolean | number> = {};
  const unset: PolicyKnob[] = [];
  for (const assignment of assignments) {
    const eq = assignment.indexOf('=');
    const name = (eq < 0 ? assignment : assignment.slice(0, eq)).trim();
    if (eq < 0) return fail('INVALID_POLICY', `"${name.slice(0, 60)}" is not knob=value`);
    if (!isKnob(name)) {
      return fail(
        'INVALID_POLICY',
        `unknown knob "${name.slice(0, 60)}" (knobs: ${POLICY_KNOBS.join(', ')})`,
      );
    }
    if (name in raw || unset.includes(name)) return fail('INVALID_POLICY', `${name} is given twice`);
    const text = assignment.slice(eq + 1);
    if (options.allowUnset === true && text.trim() === '') {
      unset.push(name);
      continue;
    }
    const value = parseKnobValue(name, text);
    if (!value.ok) return value;
    raw[name] = value.value;
  }
  const settings = parseWith(policySettingsSchema, raw, 'INVALID_POLICY');
  if (!settings.ok) return settings;
  return ok({ settings: settings.value, unset });
}

/** The directory form of settings: one `knob=value` per knob set, in the knobs' order. */
export function encodeSettings(settings: PolicySettings): string[] {
  return POLICY_KNOBS.filter((knob) => settings[knob] !== undefined).map(
    (knob) => `${knob}=${String(settings[knob])}`,
  );
}

function single(values: readonly string[], what: string, dn: string): Result<string | null> {
  if (values.length > 1) return fail('INVALID_POLICY', `${dn}: ${what} has ${values.length} values, not one`);
  return ok(values[0] ?? null);
}

function parseOverride(entry: PolicyEntryValues, settings: PolicySettings): Result<DirectoryPolicyOverride> {
  const where = entry.dn;
  const ou = single(entry.linkedOu, POLICY_ATTRIBUTES.linkedOu, where);
  const group = single(entry.linkedGroup, POLICY_ATTRIBUTES.linkedGroup, where);
  const priority = single(entry.priority, POLICY_ATTRIBUTES.priority, where);
  if (!ou.ok) return ou;
  if (!group.ok) return group;
  if (!priority.ok) return priority;
  if ((ou.value === null) === (group.value === null)) {
    return fail(
      'INVALID_POLICY',
      `${where}: an override links exactly one ${POLICY_ATTRIBUTES.linkedOu} or ${POLICY_ATTRIBUTES.linkedGroup}`,
    );
  }
  if (ou.value !== null && priority.value !== null) {
    return fail('INVALID_POLICY', `${where}: ${POLICY_ATTRIBUTES.priority} orders group overrides only`);
  }
  if (priority.value !== null && !/^\d{1,4}$/.test(priority.value)) {
    return fail('INVALID_POLICY', `${where}: ${POLICY_ATTRIBUTES.priority} must be a whole number 0-1000`);
  }
  const parsed = parseWith(
    policyOverrideSchema,
    {
      scope: ou.value !== null ? { kind: 'subtree', dn: ou.value } : { kind: 'group', dn: group.value },
      settings,
      ...(priority.value !== null ? { priority: Number(priority.value) } : {}),
    },
    'INVALID_POLICY',
  );
  if (!parsed.ok) return fail('INVALID_POLICY', `${where}: ${parsed.error.message}`);
  return ok({ ...parsed.value, entryDn: entry.dn });
}

/**
 * The policy entries read under the container, validated as a whole: one invalid value rejects the whole
 * directory policy (the caller then keeps to the file), so an administrator's typo never half-applies.
 */
export function parseDirectoryPolicy(
  containerDn: string,
  entries: readonly PolicyEntryValues[],
): Result<DirectoryPolicy> {
  const container = entries.find((entry) => sameDn(entry.dn, containerDn));
  if (container === undefined)
    return fail('INVALID_POLICY', `${containerDn}: the policy container is missing`);
  if (entries.length > MAX_OVERRIDES + 1) {
    return fail('INVALID_POLICY', `${containerDn}: more than ${MAX_OVERRIDES} overrides`);
  }
  const defaults = parseSettingAssignments(container.settings);
  if (!defaults.ok) return fail('INVALID_POLICY', `${container.dn}: ${defaults.error.message}`);
  if (container.linkedOu.length + container.linkedGroup.length + container.priority.length > 0) {
    return fail('INVALID_POLICY', `${container.dn}: the container holds the defaults; links belong below it`);
  }
  const overrides: DirectoryPolicyOverride[] = [];
  const linked = new Map<string, string>();
  for (const entry of entries) {
    if (entry === container) continue;
    const settings = parseSettingAssignments(entry.settings);
    if (!settings.ok) return fail('INVALID_POLICY', `${entry.dn}: ${settings.error.message}`);
    const override = parseOverride(entry, settings.value.settings);
    if (!override.ok) return override;
    // Two entries linked to one place would make the result depend on which one a reader met first.
    const key = `${override.value.scope.kind}:${normalizeDn(override.value.scope.dn).join(',')}`;
    const other = linked.get(key);
    if (other !== undefined) {
      return fail('INVALID_POLICY', `${entry.dn} and ${other} are both linked to ${override.value.scope.dn}`);
    }
    linked.set(key, entry.dn);
    overrides.push(override.value);
  }
  return ok({ dn: container.dn, defaults: defaults.value.settings, overrides });
}
