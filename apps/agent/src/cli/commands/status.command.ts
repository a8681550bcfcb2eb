import { changedSinceBase } from '../../sync/sync.service';
import { displayName } from '../../export/certificate-bundle';
import { type Command } from '../command';
import { EXIT } from '../exit-codes';
import { displayServer } from '../../sync/logon-client';
import { describeLastSynced, describeOrigin, tokenStatuses, type TokenStatus } from '../token-status';

export const statusCommand: Command = {
  name: 'status',
  summary: 'show the session, the store, the last sync and each token',
  usage: `usage: credroam-agent status [--json]

Shows the session, the store and the last sync, then one line per token: its type and name, where it came
from (imported here / roamed from the directory), when it last synced, and what happened to it in a sync
(a conflict it lost or won, or why it was held back). Then what Windows clients roamed into the directory:
certificates, usable here read-only, and private keys and DPAPI master keys marked "Windows-only" (only Windows
can open them). --json prints the same, per token under "tokenDetails", Windows' values under
"windowsCertificates" and "windowsOnly".`,
  options: { json: { type: 'boolean' } },
  positionals: { min: 0, max: 0, names: '' },
  async run(context, { values }) {
    const store = context.store();
    const session = store.session.read();
    const state = store.state.read();
    const { tokens, problems } = store.tokens.list();
    const base = state.health === 'ok' && state.state.machine === session?.machine ? state.state.base : null;
    const report = {
      store: context.layout.root,
      loggedIn: session !== null && Date.parse(session.expiresAt) > context.now(),
      user: session?.user ?? null,
      server: session ? displayServer(session.server) : null,
      machine: session?.machine ?? null,
      sessionExpiresAt: session?.expiresAt ?? null,
      deviceKey: store.deviceKeys.load() !== null,
      tokens: tokens.length,
      pendingChanges: changedSinceBase(tokens, base).length,
      unusableFiles: problems.length,
      stateFile: state.health,
      lastSync: state.health === 'ok' ? state.state.lastSync : null,
      policy: session?.policy.policy ?? null,
      tokenDetails: tokenStatuses(
        tokens,
        store.records.read(),
        base && state.health === 'ok' && state.state.lastSync
          ? { at: state.state.lastSync.at, entries: base.entries }
          : null,
      ),
    };
    const windows = store.windows.read();
    const windowsReport = {
      windowsCertificates: windows.certificates.map((certificate) => ({
        thumbprint: certificate.thumbprint,
        name: displayName({
          thumbprint: certificate.thumbprint,
          certificate: Buffer.from(certificate.der, 'base64'),
        }),
        modifiedAt: certificate.modifiedAt,
        readOnly: true,
      })),
      windowsOnly: windows.windowsOnly.map((value) => ({
        type: value.tokenType,
        name: value.displayId,
        status: 'Windows-only' as const,
        ...value.windows,
        ...(value.reason === 'foreign' ? {} : { warning: value.reason }),
      })),
    };
    if (values.json === true) {
      context.io.stdout(`${JSON.stringify({ ...report, ...windowsReport })}\n`);
      return EXIT.ok;
    }
    const lines = [
      `store        ${report.store}`,
      report.loggedIn
        ? `session      ${report.user} on ${report.server} (machine ${report.machine}) until ${report.sessionExpiresAt}`
        : session
          ? `session      expired at ${session.expiresAt}: run "credroam-agent login"`
          : 'session      not logged in',
      `tokens       ${report.tokens} (${report.pendingChanges} changed since the last sync)`,
      `state file   ${report.stateFile === 'corrupt' ? 'corrupt: the next sync self-heals with a full resync' : report.stateFile}`,
      report.lastSync
        ? `last sync    ${new Date(report.lastSync.at).toISOString()} ${report.lastSync.status} (code ${report.lastSync.code}, ${report.lastSync.trigger})`
        : 'last sync    never',
    ];
    if (report.unusableFiles > 0) lines.push(`warning      ${report.unusableFiles} unusable token file(s)`);
    lines.push(...tokenTable(report.tokenDetails, context.now()));
    lines.push(...windowsTable(windowsReport));
    context.io.stdout(`${lines.join('\n')}\n`);
    return EXIT.ok;
  },
};

/** What Windows clients roamed: certificates usable here read-only, keys and master keys only Windows opens. */
function windowsTable(report: {
  windowsCertificates: { thumbprint: string; name: string; modifiedAt: number }[];
  windowsOnly: { type: string | null; name: string; kind?: string; masterKeys?: string[] }[];
}): string[] {
  const lines: string[] = [];
  for (const certificate of report.windowsCertificates) {
    lines.push(
      '',
      `${'certificate'.padEnd(18)} ${certificate.thumbprint}`,
      `    from         roamed by a Windows client (read-only here): ${certificate.name}`,
      `    modified     ${new Date(certificate.modifiedAt).toISOString()}`,
    );
  }
  for (const value of report.windowsOnly) {
    const needs =
      value.masterKeys && value.masterKeys.length > 0
        ? ` (DPAPI master key ${value.masterKeys.join(', ')})`
        : '';
    lines.push(
      '',
      `${(value.type ?? 'unknown').padEnd(18)} ${value.name}`,
      `    from         roamed by a Windows client: Windows-only${needs}`,
    );
  }
  return lines;
}

/** One block per token: a header line with type and name, then origin, last sync and any note, indented. */
function tokenTable(statuses: readonly TokenStatus[], now: number): string[] {
  if (statuses.length === 0) return [];
  return [
    '',
    ...statuses.flatMap((token) => [
      `${token.type.padEnd(18)} ${token.name}`,
      `    from         ${describeOrigin(token.origin)}`,
      `    last synced  ${describeLastSynced(token.lastSynced, now)}`,
      ...(token.note ? [`    note         ${token.note}`] : []),
    ]),
  ];
}
