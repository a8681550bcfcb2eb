import { existsSync } from 'node:fs';
import { POLICY_DEFAULTS, stampModifiedAt } from '@credroam/roaming';
import { agentConfigPath, loadAgentConfig } from '../../config/agent-config';
import { nssWatchPaths, resolveNssDatabase } from '../../nss/nss-database';
import { nssApplicationStore } from '../../nss/nss-sync.service';
import { requireSession } from '../../sync/credentials';
import { SessionRenewal } from '../../sync/session-renewal';
import { SyncService } from '../../sync/sync.service';
import { securityOf } from '../../sync/transport-security';
import { type AgentStore } from '../../store/agent-store';
import { CHANGE_WAIT_SECONDS } from '../../watch/change-listener';
import { WatchDaemon } from '../../watch/watch-daemon';
import { stringOption } from '../arguments';
import { type Command } from '../command';
import { EXIT, UsageError } from '../exit-codes';

const DEFAULT_DEBOUNCE_MS = 2_000;
const DEFAULT_BACKOFF_MS = 5_000;
const DEFAULT_BACKOFF_MAX_MS = 300_000;

export const watchCommand: Command = {
  name: 'watch',
  summary: 'run the per-user daemon that syncs at every trigger',
  usage: `usage: credroam-agent watch [--debounce-ms MS] [--refresh-ms MS] [--nssdb DIR]

Runs until SIGTERM (systemd user unit: /usr/lib/systemd/user/credroam-agent-watch.service). Syncs at start (as a
logon), when the store's tokens change (after MS of quiet), when the server announces a change made on another
of the user's workstations (a long poll to an http(s) server), every refreshMinutes of the session's policy, when
systemd-logind reports a screen unlock of one of the user's sessions, and on demand: "credroam-agent sync"
(whose pulse it runs and answers over the store's control socket, watch.sock) or SIGUSR1. One sync at a time;
requests made meanwhile are one more sync; an unreachable server is retried with exponential backoff, alone.
Logs JSON lines on stderr (CREDROAM_LOG_LEVEL, default info).
  --debounce-ms MS   quiet time after a store change (default $CREDROAM_WATCH_DEBOUNCE_MS, else ${DEFAULT_DEBOUNCE_MS})
  --refresh-ms MS    period of refresh syncs instead of the policy's refreshMinutes (default
                     $CREDROAM_WATCH_REFRESH_MS): the safety net for changes no announcement reached (an
                     amqp(s) server, which announces none, or a server restarted meanwhile)
  --nssdb DIR        keep this NSS database in step at each sync, and sync when it changes (default
                     $CREDROAM_NSSDB, else the default database when the agent configuration, as pam-hook
                     reads it, has nssdb: true)
Environment: CREDROAM_WATCH_BACKOFF_MS (first retry, default ${DEFAULT_BACKOFF_MS}), CREDROAM_WATCH_BACKOFF_MAX_MS
(cap, default ${DEFAULT_BACKOFF_MAX_MS}).`,
  options: { 'debounce-ms': { type: 'string' }, 'refresh-ms': { type: 'string' }, nssdb: { type: 'string' } },
  positionals: { min: 0, max: 0, names: '' },
  async run(context, { values }) {
    const env = context.environment.env;
    const debounceMs = milliseconds(
      '--debounce-ms',
      stringOption(values, 'debounce-ms') ?? env.CREDROAM_WATCH_DEBOUNCE_MS,
      DEFAULT_DEBOUNCE_MS,
    );
    const refreshText = stringOption(values, 'refresh-ms') ?? env.CREDROAM_WATCH_REFRESH_MS;
    const refreshMs = refreshText ? milliseconds('--refresh-ms', refreshText, 0) || null : null;
    const baseMs = milliseconds(
      'CREDROAM_WATCH_BACKOFF_MS',
      env.CREDROAM_WATCH_BACKOFF_MS,
      DEFAULT_BACKOFF_MS,
    );
    const maxMs = milliseconds(
      'CREDROAM_WATCH_BACKOFF_MAX_MS',
      env.CREDROAM_WATCH_BACKOFF_MAX_MS,
      DEFAULT_BACKOFF_MAX_MS,
    );
    const nssdb = resolveNssDatabase(stringOption(values, 'nssdb'), env, configuredNssdb(env));
    const logger = context.logger('info');
    const store = context.store();
    const daemon = new WatchDaemon(
      {
        debounceMs,
        backoff: { baseMs, maxMs: Math.max(baseMs, maxMs) },
        // What a sync keeps in step besides the store: a change there calls for a sync too.
        extraPaths: () => (nssdb ? nssWatchPaths(nssdb) : []),
      },
      {
        layout: context.layout,
        env,
        logger,
        refreshMs: () =>
          refreshMs ??
          (store.session.read()?.policy.policy.refreshMinutes ?? POLICY_DEFAULTS.refreshMinutes) * 60_000,
        heldStamp: () => heldStamp(store),
        waitForChange: async (after, stop) => {
          // Renewed under the store lock, as a sync renews: two renewals at once would race for session.json.
          const session = await context.exclusive(async (locked) => {
            await new SessionRenewal(locked, context.clientFor, context.now, logger).ensureFresh();
            return requireSession(locked, context.now()).session;
          });
          const client = context.clientFor(session.server, { security: securityOf(session) });
          if (!client.waitForChange) return 'unsupported';
          return client.waitForChange(
            session.sessionToken,
            { after, waitSeconds: CHANGE_WAIT_SECONDS },
            stop,
          );
        },
        sync: (trigger, whileLocked) =>
          context.exclusive(async (locked) => {
            const outcome = await new SyncService(locked, context.clientFor, context.now, logger).sync(
              trigger,
              nssdb ? [nssApplicationStore(locked, nssdb, context.now)] : [],
            );
            whileLocked();
            return outcome;
          }),
      },
    );
    await daemon.start();
    const pulse = () => daemon.request('pulse');
    const stop = () => void daemon.stop();
    process.on('SIGUSR1', pulse);
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
    try {
      await daemon.finished;
    } finally {
      process.off('SIGUSR1', pulse);
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
    }
    return EXIT.ok;
  },
};

/** The modified time of the directory stamp of the store's last sync, or null. */
function heldStamp(store: AgentStore): string | null {
  const read = store.state.read();
  const stamp = read.health === 'ok' ? read.state.lastStamp : null;
  return stamp === null ? null : stampModifiedAt(stamp);
}

function milliseconds(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0 || value > 86_400_000) {
    throw new UsageError(`${name} must be a whole number of milliseconds (0-86400000)`);
  }
  return value;
}

/** The agent configuration's nssdb (pam-hook's), when the machine has a configuration; a broken one is an error. */
function configuredNssdb(env: NodeJS.ProcessEnv): boolean | undefined {
  const path = agentConfigPath(undefined, env);
  return existsSync(path) ? loadAgentConfig(path).nssdb : undefined;
}
