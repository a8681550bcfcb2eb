// `credroam scan`: walks every user entry and reports planted or dangerous roaming values (entry-findings.ts).
import { POLICY_DEFAULTS } from '@credroam/roaming';
import { dialectFor } from '../../../directory-gateway/src/ldap/attribute-dialect';
import { type AdminDirectoryConfig } from '../directory/admin-directory.config';
import { type CliIo } from '../cli-io';
import { entryFindings, FINDING_KINDS, type Finding, type FindingKind } from './entry-findings';
import { userEntries } from './user-entries';

export interface ScanOptions {
  directory: AdminDirectoryConfig;
  baseDn: string;
  json: boolean;
  /** Progress on stderr, for a terminal. */
  progress: boolean;
  now?: () => number;
}

export interface ScanReport {
  baseDn: string;
  users: number;
  values: number;
  findings: Finding[];
  counts: Record<FindingKind, number>;
}

const PROGRESS_EVERY = 200;

export async function scanDirectory(options: ScanOptions, io: CliIo): Promise<ScanReport> {
  const rules = {
    dialect: dialectFor(options.directory.dialect),
    policy: POLICY_DEFAULTS,
    now: (options.now ?? Date.now)(),
  };
  const findings: Finding[] = [];
  let users = 0;
  let values = 0;
  for await (const entry of userEntries(options.directory, options.baseDn)) {
    users++;
    values += entry.values.length;
    findings.push(...entryFindings(entry, rules));
    if (options.progress && users % PROGRESS_EVERY === 0) {
      io.stderr(`\rscanned ${users} users, ${findings.length} findings`);
    }
  }
  if (options.progress && users >= PROGRESS_EVERY) io.stderr('\n');
  const counts = Object.fromEntries(FINDING_KINDS.map((kind) => [kind, 0])) as Record<FindingKind, number>;
  for (const finding of findings) counts[finding.kind]++;
  return { baseDn: options.baseDn, users, values, findings, counts };
}

export function formatScanReport(report: ScanReport): string {
  const lines = report.findings.map(
    (finding) =>
      `${finding.kind}  ${finding.dn}${finding.attribute ? `  ${finding.attribute}` : ''}  ${finding.detail}`,
  );
  const summary = `${report.users} users, ${report.values} roaming values under ${report.baseDn}: ${
    report.findings.length === 0 ? 'nothing found' : `${report.findings.length} findings`
  }`;
  return [...lines, summary].join('\n');
}

/** Exit code: 1 when anything was found. */
export async function runScan(options: ScanOptions, io: CliIo): Promise<number> {
  const report = await scanDirectory(options, io);
  io.stdout(options.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatScanReport(report)}\n`);
  return report.findings.length === 0 ? 0 : 1;
}
