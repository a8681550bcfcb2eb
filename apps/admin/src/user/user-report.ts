// What `credroam user show` tells an operator about one user's roaming state: metadata only, never contents.
// Pure: the gateway's answers (lookup-user, read-state, resolve-policy) and audit's last syncs in, a report out.
import {
  TOKEN_TYPES,
  type DirectoryState,
  type DirectoryUser,
  type EffectivePolicy,
  type TokenType,
} from '@credroam/roaming';
import { describeSource } from '../policy/policy-source';

const DAY_MS = 86_400_000;

export interface MachineSync {
  machine: string;
  outcome: 'completed' | 'failed';
  code: number;
  at: string;
}

export interface TokenLine {
  id: string;
  size: number;
  modifiedAt: string;
  flags: string[];
  tombstone: boolean;
  /** Tombstones: days since the deletion, and days left before it is purged under the effective policy. */
  ageDays?: number;
  purgeInDays?: number;
}

export interface UserReport {
  user: { login: string; dn: string; stableId: string };
  stamp: { createdAt: string | null; modifiedAt: string | null };
  tokens: Partial<Record<TokenType, TokenLine[]>>;
  /** Values credroam reports and never uses: Windows' own, planted or undecodable. */
  reported: {
    origin: string;
    reason: string;
    tokenType: string | null;
    id: string;
    modifiedAt: string | null;
  }[];
  totals: {
    tokens: number;
    maxTokens: number;
    liveBytes: number;
    maxTotalBytes: number;
    overLimits: boolean;
  };
  policy: { knob: string; value: unknown; source: string }[];
  /** null: audit is not configured, so the last syncs are unknown. */
  machines: MachineSync[] | null;
}

export function userReport(
  user: DirectoryUser,
  state: DirectoryState,
  effective: EffectivePolicy,
  machines: MachineSync[] | null,
  now: number,
): UserReport {
  const { policy } = effective;
  const tokens: Partial<Record<TokenType, TokenLine[]>> = {};
  let liveBytes = 0;
  for (const type of TOKEN_TYPES) {
    const ofType = state.entries
      .filter((entry) => entry.type === type)
      .sort((a, b) => a.id.localeCompare(b.id));
    if (ofType.length === 0) continue;
    tokens[type] = ofType.map((entry) => {
      if (!entry.tombstone) liveBytes += entry.size;
      const ageDays = Math.floor((now - entry.modifiedAt) / DAY_MS);
      return {
        id: entry.id,
        size: entry.size,
        modifiedAt: iso(entry.modifiedAt),
        flags: Object.entries(entry.flags)
          .filter(([, on]) => on)
          .map(([flag]) => flag),
        tombstone: entry.tombstone,
        ...(entry.tombstone ? { ageDays, purgeInDays: Math.max(0, policy.tombstoneDays - ageDays) } : {}),
      };
    });
  }
  const count = state.entries.length;
  return {
    user: { login: user.login, dn: user.dn, stableId: user.stableId },
    stamp: {
      createdAt: state.createdAt === null ? null : iso(state.createdAt),
      modifiedAt: state.modifiedAt === null ? null : iso(state.modifiedAt),
    },
    tokens,
    reported: state.reported.map((value) => ({
      origin: value.origin,
      reason: value.reason,
      tokenType: value.tokenType,
      id: value.displayId,
      modifiedAt: value.modifiedAt === null ? null : iso(value.modifiedAt),
    })),
    totals: {
      tokens: count,
      maxTokens: policy.maxTokens,
      liveBytes,
      maxTotalBytes: policy.maxTotalBytes,
      overLimits: count > policy.maxTokens || liveBytes > policy.maxTotalBytes,
    },
    policy: Object.entries(policy).map(([knob, value]) => ({
      knob,
      value,
      source: effective.sources[knob as keyof typeof effective.sources],
    })),
    machines,
  };
}

export function formatUserReport(report: UserReport): string {
  const lines = [
    `user ${report.user.login}  ${report.user.dn}  (stable id ${report.user.stableId})`,
    `directory stamp: created ${report.stamp.createdAt ?? '-'}, modified ${report.stamp.modifiedAt ?? '-'}`,
    '',
    'tokens:',
  ];
  const types = Object.entries(report.tokens);
  if (types.length === 0) lines.push('  none');
  for (const [type, tokens] of types) {
    lines.push(`  ${type} (${tokens.length})`);
    for (const token of tokens) {
      const state = token.tombstone
        ? `tombstone, deleted ${token.ageDays} days ago, purged in ${token.purgeInDays} days`
        : `${token.size} bytes`;
      const flags = token.flags.length > 0 ? `  [${token.flags.join(', ')}]` : '';
      lines.push(`    ${token.id}  ${state}  modified ${token.modifiedAt}${flags}`);
    }
  }
  lines.push('', 'foreign and unsafe values (reported, never used):');
  if (report.reported.length === 0) lines.push('  none');
  for (const value of report.reported) {
    lines.push(
      `  ${value.reason}  ${value.tokenType ?? 'unknown type'}  ${value.id}  modified ${value.modifiedAt ?? '-'}`,
    );
  }
  const { totals } = report;
  lines.push(
    '',
    `totals: ${totals.tokens} of ${totals.maxTokens} tokens, ${totals.liveBytes} of ${totals.maxTotalBytes} bytes live${totals.overLimits ? '  OVER LIMITS' : ''}`,
    '',
    'effective policy:',
    ...report.policy.map(
      (knob) => `  ${knob.knob} = ${String(knob.value)}  (${describeSource(knob.source)})`,
    ),
    '',
    'last sync per machine:',
  );
  if (report.machines === null) lines.push('  unknown (audit is not configured)');
  else if (report.machines.length === 0) lines.push('  none recorded');
  else {
    for (const sync of report.machines) {
      lines.push(`  ${sync.machine}  ${sync.outcome} (code ${sync.code})  ${sync.at}`);
    }
  }
  return lines.join('\n');
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
