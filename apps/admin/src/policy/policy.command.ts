// `credroam policy show` and `credroam policy set`: the directory's policy objects read and written with the admin
// CLI's own directory account, and a user's effective policy as the gateway resolves it.
import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline/promises';
import {
  parseDirectoryPolicy,
  RoamingError,
  type DirectoryPolicy,
  type PolicySettings,
} from '@credroam/roaming';
import { type CliIo } from '../cli-io';
import { type AdminDirectoryConfig } from '../directory/admin-directory.config';
import { withGateway } from '../user/user.command';
import { describeSource } from './policy-source';
import { planPolicyChange, type PolicyPlan, type PolicyRequest } from './policy-change';
import { PolicyObjectsRepository } from './policy-objects.repository';

export interface PolicyObjectsReport {
  dn: string;
  /** false: no container, the gateway applies its bootstrap policy (file or built-in). */
  present: boolean;
  /** Why the gateway sets the directory policy aside, when it does. */
  problem: string | null;
  policy: DirectoryPolicy | null;
}

async function withPolicyObjects<T>(
  config: AdminDirectoryConfig,
  work: (objects: PolicyObjectsRepository) => Promise<T>,
): Promise<T> {
  const objects = await PolicyObjectsRepository.open(config);
  try {
    return await work(objects);
  } finally {
    await objects.close();
  }
}

export async function showPolicyObjects(
  config: AdminDirectoryConfig,
  containerDn: string,
  json: boolean,
  io: CliIo,
): Promise<number> {
  const entries = await withPolicyObjects(config, (objects) => objects.read(containerDn));
  const parsed = entries === null ? null : parseDirectoryPolicy(containerDn, entries);
  const report: PolicyObjectsReport = {
    dn: containerDn,
    present: entries !== null,
    problem: parsed !== null && !parsed.ok ? parsed.error.message : null,
    policy: parsed?.ok === true ? parsed.value : null,
  };
  io.stdout(json ? `${JSON.stringify(report, null, 2)}\n` : `${formatPolicyObjects(report)}\n`);
  return report.problem === null ? 0 : 1;
}

function settingLines(settings: PolicySettings, indent: string): string[] {
  const entries = Object.entries(settings);
  if (entries.length === 0) return [`${indent}(no settings)`];
  return entries.map(([knob, value]) => `${indent}${knob} = ${String(value)}`);
}

export function formatPolicyObjects(report: PolicyObjectsReport): string {
  if (!report.present) {
    return `no policy container at ${report.dn}: the gateway applies its bootstrap policy (CREDROAM_POLICY_FILE, or the built-in defaults)`;
  }
  if (report.policy === null) {
    return `the policy at ${report.dn} is INVALID and the gateway does not apply it (its bootstrap policy applies):\n  ${report.problem ?? ''}`;
  }
  const { policy } = report;
  const ous = policy.overrides.filter((override) => override.scope.kind === 'subtree');
  const groups = policy.overrides.filter((override) => override.scope.kind === 'group');
  const lines = [
    `directory policy ${policy.dn}`,
    '',
    'defaults (over the bootstrap policy):',
    ...settingLines(policy.defaults, '  '),
    '',
    'linked to OUs (the closest OU above the user wins):',
  ];
  if (ous.length === 0) lines.push('  none');
  for (const override of ous)
    lines.push(`  ${override.scope.dn}`, ...settingLines(override.settings, '    '));
  lines.push('', 'linked to groups (over any OU; the higher priority wins):');
  if (groups.length === 0) lines.push('  none');
  for (const override of groups) {
    lines.push(
      `  ${override.scope.dn}  priority ${override.priority}`,
      ...settingLines(override.settings, '    '),
    );
  }
  return lines.join('\n');
}

export async function showUserPolicy(login: string, json: boolean, io: CliIo): Promise<number> {
  const { user, effective } = await withGateway(async (gateway) => {
    const correlationId = randomUUID();
    const found = (await gateway.call('directory.lookup-user', { login }, { correlationId })).user;
    const resolved = await gateway.call(
      'directory.resolve-policy',
      { userDn: found.dn, groups: found.groups },
      { correlationId },
    );
    return { user: found, effective: resolved };
  });
  if (json) {
    const report = { user: user.login, dn: user.dn, groups: user.groups, ...effective };
    io.stdout(`${JSON.stringify(report, null, 2)}\n`);
    return 0;
  }
  const lines = [`effective policy of ${user.login} (${user.dn}):`];
  for (const [knob, value] of Object.entries(effective.policy)) {
    const source = effective.sources[knob as keyof typeof effective.sources];
    lines.push(`  ${knob} = ${String(value)}  (${describeSource(source)})`);
  }
  io.stdout(`${lines.join('\n')}\n`);
  return 0;
}

export interface SetPolicyOptions {
  request: PolicyRequest;
  yes: boolean;
  json: boolean;
  /** Asks the operator to agree; false for anything but yes. */
  confirm?: (question: string) => Promise<boolean>;
}

function describePlan(plan: PolicyPlan): string[] {
  const lines = plan.changes.map(
    (change) => `  ${change.knob}: ${change.from ?? '(not set here)'} -> ${change.to ?? '(not set here)'}`,
  );
  if (plan.priority !== null) {
    lines.push(`  priority: ${plan.priority.from ?? '(none)'} -> ${plan.priority.to ?? '(none)'}`);
  }
  return lines;
}

export async function setPolicy(
  config: AdminDirectoryConfig,
  containerDn: string,
  options: SetPolicyOptions,
  io: CliIo,
): Promise<number> {
  return withPolicyObjects(config, async (objects) => {
    const { target } = options.request;
    if (target.kind !== 'defaults' && !(await objects.exists(target.dn))) {
      throw new RoamingError(
        'USER_NOT_FOUND',
        `no entry ${target.dn} in the directory to link the policy to`,
      );
    }
    const planned = planPolicyChange(containerDn, await objects.read(containerDn), options.request);
    if (!planned.ok) throw RoamingError.fromInfo(planned.error);
    const plan = planned.value;
    const summary = {
      entryDn: plan.entryDn,
      target,
      changes: plan.changes,
      priority: plan.priority,
      written: plan.writes.length > 0,
    };
    if (plan.writes.length === 0) {
      io.stdout(
        options.json ? `${JSON.stringify(summary, null, 2)}\n` : `nothing to change in ${plan.entryDn}\n`,
      );
      return 0;
    }
    if (!options.yes) {
      const confirm = options.confirm ?? confirmOnTerminal;
      const question = [`Change the policy in ${plan.entryDn}:`, ...describePlan(plan), 'Apply? [y/N] '];
      if (!(await confirm(question.join('\n')))) {
        io.stderr('credroam policy set: not confirmed, nothing written\n');
        return 1;
      }
    }
    await objects.apply(plan.writes);
    const done = [
      `changed ${plan.entryDn}:`,
      ...describePlan(plan),
      'Syncs see it within the CREDROAM_POLICY_CACHE_SECONDS of the gateway and of logon-events (60 s each by default).',
    ];
    io.stdout(options.json ? `${JSON.stringify(summary, null, 2)}\n` : `${done.join('\n')}\n`);
    return 0;
  });
}

async function confirmOnTerminal(question: string): Promise<boolean> {
  if (!process.stdin.isTTY) {
    throw new RoamingError(
      'INVALID_INPUT',
      'not on a terminal: pass --yes to change the policy without a confirmation',
    );
  }
  const terminal = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await terminal.question(question)).trim());
  } finally {
    terminal.close();
  }
}
