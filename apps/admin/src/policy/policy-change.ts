// `credroam policy set`, as a plan: from the policy entries read now and the command line, the LDAP writes to make
// and what they change, validated as the gateway will read the result. Pure, so every rule is tested without LDAP.
import { createHash } from 'node:crypto';
import {
  encodeSettings,
  fail,
  normalizeDn,
  ok,
  parseDirectoryPolicy,
  POLICY_ATTRIBUTES,
  POLICY_CONTAINER_CN,
  POLICY_OBJECT_CLASS,
  sameDn,
  type DirectoryPolicy,
  type PolicyEntryValues,
  type PolicyKnob,
  type PolicySettings,
  type Result,
} from '@credroam/roaming';

/** Where a setting goes: the container's defaults, or the override linked to one OU or one group. */
export type PolicyTarget = { kind: 'defaults' } | { kind: 'subtree' | 'group'; dn: string };

export interface PolicyRequest {
  target: PolicyTarget;
  settings: PolicySettings;
  unset: PolicyKnob[];
  /** Group overrides only; undefined keeps the current priority (0 for a new override). */
  priority?: number;
}

/** One value-level change: deleting the exact old value makes a concurrent edit of the same knob fail the write. */
export interface AttributeValues {
  type: string;
  values: string[];
}

export type PolicyWrite =
  | { op: 'add'; dn: string; attributes: Record<string, string[]> }
  | { op: 'modify'; dn: string; remove: AttributeValues[]; add: AttributeValues[] }
  | { op: 'delete'; dn: string };

export interface KnobChange {
  knob: string;
  from: string | null;
  to: string | null;
}

export interface PolicyPlan {
  /** The entry the settings land in. */
  entryDn: string;
  changes: KnobChange[];
  priority: { from: number | null; to: number | null } | null;
  writes: PolicyWrite[];
  /** The whole directory policy once written, as the gateway will read it. */
  result: DirectoryPolicy;
}

const LINK_ATTRIBUTE = { subtree: POLICY_ATTRIBUTES.linkedOu, group: POLICY_ATTRIBUTES.linkedGroup } as const;

/** A stable name per linked DN, so the same link always lands in the same entry, whatever the DN's spelling. */
export function overrideEntryDn(
  containerDn: string,
  target: { kind: 'subtree' | 'group'; dn: string },
): string {
  const digest = createHash('sha256').update(normalizeDn(target.dn).join(',')).digest('hex').slice(0, 16);
  return `cn=${target.kind === 'subtree' ? 'ou' : 'group'}-${digest},${containerDn}`;
}

function knobOf(value: string): string {
  const eq = value.indexOf('=');
  return (eq < 0 ? value : value.slice(0, eq)).trim();
}

function emptyEntry(dn: string): PolicyEntryValues {
  return { dn, settings: [], linkedOu: [], linkedGroup: [], priority: [] };
}

function findTarget(
  containerDn: string,
  entries: readonly PolicyEntryValues[],
  target: PolicyTarget,
): PolicyEntryValues | undefined {
  if (target.kind === 'defaults') return entries.find((entry) => sameDn(entry.dn, containerDn));
  return entries.find((entry) =>
    (target.kind === 'subtree' ? entry.linkedOu : entry.linkedGroup).some((dn) => sameDn(dn, target.dn)),
  );
}

export function planPolicyChange(
  containerDn: string,
  current: readonly PolicyEntryValues[] | null,
  request: PolicyRequest,
): Result<PolicyPlan> {
  const { target } = request;
  if (request.priority !== undefined && target.kind !== 'group') {
    return fail('INVALID_INPUT', '--priority orders group overrides only');
  }
  const writes: PolicyWrite[] = [];
  let entries: PolicyEntryValues[] = [...(current ?? [])];
  if (current === null) {
    writes.push({
      op: 'add',
      dn: containerDn,
      attributes: { objectClass: ['top', POLICY_OBJECT_CLASS], cn: [POLICY_CONTAINER_CN] },
    });
    entries = [emptyEntry(containerDn)];
  }
  const existing = findTarget(containerDn, entries, target);
  const before = existing ?? {
    ...emptyEntry(target.kind === 'defaults' ? containerDn : overrideEntryDn(containerDn, target)),
    ...(target.kind === 'subtree' ? { linkedOu: [target.dn] } : {}),
    ...(target.kind === 'group' ? { linkedGroup: [target.dn] } : {}),
  };

  const touched = new Set<string>([...Object.keys(request.settings), ...request.unset]);
  const wanted = encodeSettings(request.settings);
  const settings = [...before.settings.filter((value) => !touched.has(knobOf(value))), ...wanted];
  const gone = before.settings.filter((value) => !settings.includes(value));
  const added = wanted.filter((value) => !before.settings.includes(value));
  const oldPriority = before.priority[0] ?? null;
  const newPriority = request.priority === undefined ? oldPriority : String(request.priority);
  const after: PolicyEntryValues = {
    ...before,
    settings,
    priority: newPriority === null ? [] : [newPriority],
  };

  const changes: KnobChange[] = [...touched].map((knob) => {
    const from = before.settings.find((value) => knobOf(value) === knob);
    const to = settings.find((value) => knobOf(value) === knob);
    return {
      knob,
      from: from === undefined ? null : from.slice(from.indexOf('=') + 1),
      to: to === undefined ? null : to.slice(to.indexOf('=') + 1),
    };
  });
  const priorityChanged = newPriority !== oldPriority;

  // An override left without settings links nothing: it is removed rather than kept empty.
  const dropped = target.kind !== 'defaults' && after.settings.length === 0;
  if (dropped) {
    if (existing !== undefined) writes.push({ op: 'delete', dn: existing.dn });
    entries = entries.filter((entry) => entry !== existing);
  } else if (existing === undefined && target.kind !== 'defaults') {
    writes.push({
      op: 'add',
      dn: after.dn,
      attributes: {
        objectClass: ['top', POLICY_OBJECT_CLASS],
        cn: [after.dn.slice(3, after.dn.indexOf(','))],
        [LINK_ATTRIBUTE[target.kind]]: [target.dn],
        ...(after.settings.length > 0 ? { [POLICY_ATTRIBUTES.setting]: [...after.settings] } : {}),
        ...(after.priority.length > 0 ? { [POLICY_ATTRIBUTES.priority]: [...after.priority] } : {}),
      },
    });
    entries = [...entries, after];
  } else {
    const remove: AttributeValues[] = [];
    const add: AttributeValues[] = [];
    if (gone.length > 0) remove.push({ type: POLICY_ATTRIBUTES.setting, values: gone });
    if (added.length > 0) add.push({ type: POLICY_ATTRIBUTES.setting, values: added });
    if (priorityChanged && oldPriority !== null)
      remove.push({ type: POLICY_ATTRIBUTES.priority, values: [oldPriority] });
    if (priorityChanged && newPriority !== null)
      add.push({ type: POLICY_ATTRIBUTES.priority, values: [newPriority] });
    if (remove.length + add.length > 0) {
      if (current === null) {
        // The container is new: its settings go into the add itself.
        const [created] = writes;
        if (created?.op === 'add') created.attributes[POLICY_ATTRIBUTES.setting] = [...after.settings];
      } else writes.push({ op: 'modify', dn: before.dn, remove, add });
    }
    entries = entries.map((entry) =>
      entry === existing || (existing === undefined && sameDn(entry.dn, after.dn)) ? after : entry,
    );
  }

  const result = parseDirectoryPolicy(containerDn, entries);
  if (!result.ok) {
    return fail('INVALID_POLICY', `the policy would be invalid, nothing written: ${result.error.message}`);
  }
  return ok({
    entryDn: after.dn,
    changes: changes.filter((change) => change.from !== change.to),
    priority: priorityChanged ? { from: numberOrNull(oldPriority), to: numberOrNull(newPriority) } : null,
    writes,
    result: result.value,
  });
}

function numberOrNull(value: string | null): number | null {
  return value === null ? null : Number(value);
}
