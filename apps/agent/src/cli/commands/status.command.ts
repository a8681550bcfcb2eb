import { changedSinceBase } from '../../sync/sync.service';
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
(a conflict it lost or won, or why it was held back). --json prints the same, per token under "tokenDetails".`,
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
    if (values.json === true) {
      context.io.stdout(`${JSON.stringify(report)}\n`);
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
    context.io.stdout(`${lines.join('\n')}\n`);
    return EXIT.ok;
  },
};

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
