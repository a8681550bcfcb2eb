import { AgentStore } from '../store/agent-store';
import { type Session } from '../store/session.file';
import { StoreLayout } from '../store/store-layout';
import { StoreLock } from '../store/store.lock';
import { EXIT, type ExitCode } from '../cli/exit-codes';
import { type LogonWork } from './pam-request';
import { OpenSessions } from './open-sessions';
import { type PamLog } from './syslog';

/** One agent command line run in this process, its output kept (under PAM nobody reads a terminal). */
export type RunAgent = (
  argv: string[],
  stdin?: string,
) => Promise<{ code: ExitCode; stdout: string; stderr: string }>;

/**
 * What the hook does for one PAM phase, as the user, in the background worker: at auth, log on with the password
 * and run the logon sync; at session open, count the session; at session close, run the logoff sync and, after
 * the last session, what the policy's purgeOnLogoff asks. Everything it has to say goes to the system log.
 */
export async function runLogonWork(work: LogonWork, runAgent: RunAgent, log: PamLog): Promise<ExitCode> {
  const who = `${work.user} (${work.service})`;
  const store = ['--store', work.store];
  const report = (what: string, run: { code: ExitCode; stdout: string; stderr: string }): void => {
    const text = [run.stdout, run.stderr].join(' ').replace(/\s+/g, ' ').trim();
    log(run.code === EXIT.ok ? 'info' : 'err', `${what} for ${who}: ${text || `exit ${run.code}`}`);
  };
  /** login (with the password, or the ticket in Kerberos mode), then the logon sync and what follows it. */
  const logOn = async (credential: string[], stdin?: string): Promise<ExitCode> => {
    const { config } = work;
    const login = await runAgent(
      [
        ...store,
        'login',
        '--server',
        config.server,
        '--user',
        work.user,
        ...credential,
        ...(config.caFile === undefined ? [] : ['--ca-file', config.caFile]),
        ...(config.insecure ? ['--insecure'] : []),
      ],
      stdin,
    );
    report(credential.includes('--kerberos') ? 'Kerberos logon' : 'logon', login);
    if (login.code !== EXIT.ok) return login.code;
    const sync = await runAgent([...store, 'sync', '--trigger', 'logon']);
    report('logon sync', sync);
    if (sync.code === EXIT.ok && config.nssdb) await afterLogonSync(work, runAgent, report);
    return sync.code;
  };
  switch (work.phase) {
    case 'auth':
      return logOn(['--password-stdin'], `${work.password ?? ''}\n`);
    case 'open_session': {
      // Kerberos mode logs on here: pam_krb5 and pam_sss hand the ticket cache to the session (KRB5CCNAME).
      const code = work.kerberos === undefined ? EXIT.ok : await logOn(['--kerberos']);
      await withSessions(work, (sessions) => sessions.open(work.sessionPid));
      return code;
    }
    case 'close_session': {
      const { others, purge } = await withSessions(work, (sessions, session) => ({
        others: sessions.close(work.sessionPid),
        purge: session?.policy.policy.purgeOnLogoff === true,
      }));
      const sync = await runAgent([...store, 'sync', '--trigger', 'logoff']);
      // Not logged in (no password at this logon, or a session that expired) is no news at logoff.
      if (sync.code !== EXIT.notLoggedIn) report('logoff sync', sync);
      if (others === 0 && purge) await atLastLogoff(work, runAgent, log);
      return sync.code;
    }
  }
}

/** How long a session phase waits for the store while the logon sync still holds it (past the logon budget). */
const STORE_WAIT_MS = 120_000;

/** Uses the session list under the store lock, waiting for a logon sync that still holds it. */
async function withSessions<T>(
  work: LogonWork,
  use: (sessions: OpenSessions, session: Session | null) => T,
): Promise<T> {
  const layout = new StoreLayout(work.store);
  const store = AgentStore.open(layout);
  const release = await new StoreLock(layout.lockFile).acquireWaiting(STORE_WAIT_MS);
  try {
    return use(new OpenSessions(layout, store.writer), store.session.read());
  } finally {
    release();
  }
}

/**
 * The one place where the user's NSS database (nssdb: true) is brought in step with the store after the logon
 * sync: `nss sync` on ~/.pki/nssdb (the worker's HOME is the user's), so the roamed certificates and keys are there
 * for Chromium, Firefox, Evolution and NetworkManager when the session starts.
 */
async function afterLogonSync(
  work: LogonWork,
  runAgent: RunAgent,
  report: (what: string, run: Awaited<ReturnType<RunAgent>>) => void,
): Promise<void> {
  report('NSS database sync', await runAgent(['--store', work.store, 'nss', 'sync']));
}

/**
 * The one place where the policy's purgeOnLogoff removes the user's keys from this machine when their last session
 * closes: `purge-keys` (apps/agent/src/watch/purge-keys.ts) stops the user's watch daemon and removes the keys the
 * directory holds, so that the next logon brings them back.
 */
async function atLastLogoff(work: LogonWork, runAgent: RunAgent, log: PamLog): Promise<void> {
  const purge = await runAgent(['--store', work.store, 'purge-keys']);
  const text = [purge.stdout, purge.stderr].join(' ').replace(/\s+/g, ' ').trim();
  log(
    purge.code === EXIT.ok ? 'info' : 'err',
    `purgeOnLogoff for ${work.user}: ${text || `exit ${purge.code}`}`,
  );
}
