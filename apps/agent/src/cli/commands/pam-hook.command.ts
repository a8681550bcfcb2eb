import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { agentConfigPath, loadAgentConfig } from '../../config/agent-config';
import { lookupLocalAccount, type LocalAccount } from '../../pam/local-account';
import { runLogonWork, type RunAgent } from '../../pam/logon-worker';
import { logonWorkSchema, pamPassword, pamRequestFromEnv, type LogonWork } from '../../pam/pam-request';
import { syslog } from '../../pam/syslog';
import { stringOption } from '../arguments';
import { type CliContext } from '../cli-context';
import { runCli } from '../cli';
import { type Command } from '../command';
import { describeFailure, EXIT } from '../exit-codes';

export const pamHookCommand: Command = {
  name: 'pam-hook',
  summary: 'run by pam_exec at logon and logoff; never fails or holds up a logon',
  usage: `usage: credroam-agent pam-hook [--config FILE] [--kerberos]

Run by pam_exec(8), never by hand. In the auth phase (pam_exec expose_authtok) it logs the user on with the
password from standard input and runs the logon sync; at session open and close it counts the user's sessions
and runs the logoff sync. It works as the user PAM names (it drops root's privileges) in the store in that user's
home, ~/.local/share/credroam. It always exits 0: past logonBudgetSeconds the logon proceeds and the sync
finishes in the background. What happens goes to the system log (authpriv, tag credroam-agent).
  --config FILE   the agent configuration (default $CREDROAM_AGENT_CONFIG, else /etc/credroam/agent.json)
  --kerberos      Kerberos single sign-on: no password; at session open, after pam_krb5 or pam_sss have put the
                  user's ticket cache in the PAM environment (KRB5CCNAME), log on with the ticket, then sync
  --worker        internal: the hook's own background process, which reads its work from the hook's pipe

  auth     optional  pam_exec.so expose_authtok quiet /usr/bin/credroam-agent pam-hook
  session  optional  pam_exec.so quiet /usr/bin/credroam-agent pam-hook

  or, with Kerberos (no auth line; after the session lines of pam_krb5 or pam_sss):
  session  optional  pam_exec.so quiet /usr/bin/credroam-agent pam-hook --kerberos`,
  options: { config: { type: 'string' }, worker: { type: 'boolean' }, kerberos: { type: 'boolean' } },
  positionals: { min: 0, max: 0, names: '' },
  async run(context, { values }) {
    if (values.worker === true) return runWorker(context);
    try {
      await startLogonWork(context, stringOption(values, 'config'), values.kerberos === true);
    } catch (error) {
      syslog('err', `pam-hook: ${describeFailure(error)}`);
    }
    return EXIT.ok;
  },
};

/**
 * The part pam_exec waits for: checks what PAM and the configuration say, hands the work to a worker running as
 * the user, and waits for it at most logonBudgetSeconds.
 */
async function startLogonWork(
  context: CliContext,
  configOption: string | undefined,
  kerberos: boolean,
): Promise<void> {
  const { env } = context.environment;
  const request = pamRequestFromEnv(env);
  if (request === null) return;
  // Kerberos mode has no password to read: the auth phase (if configured at all) is left to pam_krb5/pam_sss.
  if (kerberos && request.phase === 'auth') return;
  const ticketCache = kerberos && request.phase === 'open_session' ? env.KRB5CCNAME?.trim() : undefined;
  if (kerberos && request.phase === 'open_session' && !ticketCache) {
    syslog(
      'notice',
      `pam-hook: no Kerberos ticket cache for ${request.user} (KRB5CCNAME is not in the PAM environment); ` +
        'put the hook after pam_krb5 or pam_sss',
    );
  }
  const config = loadAgentConfig(agentConfigPath(configOption, env));
  const account = lookupLocalAccount(request.user);
  if (account === null) {
    syslog('notice', `pam-hook: ${request.user} has no local account; nothing to do`);
    return;
  }
  const self = process.getuid?.();
  if (self !== 0 && self !== account.uid) {
    syslog(
      'err',
      `pam-hook: running as uid ${self}, cannot act for ${request.user}; run it from PAM as root`,
    );
    return;
  }
  let password: string | undefined;
  if (request.phase === 'auth') {
    password = pamPassword(await context.io.readStdin());
    if (password.length === 0) {
      syslog(
        'err',
        `pam-hook: no password for ${request.user}; the auth line needs pam_exec's expose_authtok`,
      );
      return;
    }
  }
  const work: LogonWork = {
    ...request,
    sessionPid: process.ppid,
    store: join(account.home, '.local', 'share', 'credroam'),
    config,
    ...(password === undefined ? {} : { password }),
    ...(ticketCache
      ? { kerberos: { ticketCache, ...(env.KRB5_CONFIG ? { krb5Config: env.KRB5_CONFIG } : {}) } }
      : {}),
  };
  const finished = await startWorker(work, account, self === 0, config.logonBudgetSeconds * 1000);
  if (!finished) {
    syslog('info', `pam-hook: ${request.phase} for ${request.user} continues in the background`);
  }
}

/**
 * Starts the worker detached (its own session, so the end of the logon process does not end it) with the user's
 * identity and a clean environment whose HOME is the user's, and sends it the work over a pipe. Resolves true when
 * it finished within the budget, false when the logon goes on without it.
 */
function startWorker(
  work: LogonWork,
  account: LocalAccount,
  asRoot: boolean,
  budgetMs: number,
): Promise<boolean> {
  const script = process.argv[1];
  if (script === undefined) throw new Error('cannot tell which script runs the agent');
  const child = spawn(process.execPath, [script, 'pam-hook', '--worker'], {
    detached: true,
    stdio: ['pipe', 'ignore', 'ignore'],
    cwd: existsSync(account.home) ? account.home : '/',
    env: {
      HOME: account.home,
      USER: account.name,
      LOGNAME: account.name,
      PATH: '/usr/local/bin:/usr/bin:/bin',
      LANG: 'C.UTF-8',
    },
    // Node sets the groups to none, then the gid, then the uid: the worker has nothing of root's.
    ...(asRoot ? { uid: account.uid, gid: account.gid } : {}),
  });
  child.stdin?.end(JSON.stringify(work));
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.unref();
      resolve(false);
    }, budgetMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
    child.once('error', (error) => {
      clearTimeout(timer);
      syslog('err', `pam-hook: could not start the worker for ${work.user}: ${error.message}`);
      resolve(true);
    });
  });
}

/** The worker: as the user, runs the work the hook sent on standard input, and logs what came of it. */
async function runWorker(context: CliContext): Promise<(typeof EXIT)[keyof typeof EXIT]> {
  let work: LogonWork;
  try {
    work = logonWorkSchema.parse(JSON.parse(await context.io.readStdin()));
  } catch {
    syslog('err', 'pam-hook worker: the hook sent no valid work (the worker is not for running by hand)');
    return EXIT.usage;
  }
  // libgssapi reads these from the process's environment: the worker's own is clean, so they come with the work.
  if (work.kerberos) {
    process.env.KRB5CCNAME = work.kerberos.ticketCache;
    if (work.kerberos.krb5Config) process.env.KRB5_CONFIG = work.kerberos.krb5Config;
  }
  const runAgent: RunAgent = async (argv, stdin = '') => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCli(argv, {
      ...context.environment,
      io: {
        stdout: (text) => out.push(text),
        stderr: (text) => err.push(text),
        readStdin: async () => stdin,
      },
    });
    return { code, stdout: out.join(''), stderr: err.join('') };
  };
  try {
    return await runLogonWork(work, runAgent, syslog);
  } catch (error) {
    syslog('err', `pam-hook ${work.phase} for ${work.user}: ${describeFailure(error)}`);
    return EXIT.failed;
  }
}
