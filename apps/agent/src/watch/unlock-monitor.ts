import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';

const LOGIN1 = 'org.freedesktop.login1';
const SESSION_PATH = /^(\/org\/freedesktop\/login1\/session\/[A-Za-z0-9_]+): /;

/**
 * The session object path a line of `gdbus monitor` reports an unlock for, or null. systemd-logind emits the
 * session's `Unlock` signal when something asks the session to unlock (loginctl unlock-session), and screen
 * lockers report an unlock by clearing the session's `LockedHint` property: either one counts.
 */
export function unlockedSession(line: string): string | null {
  const path = SESSION_PATH.exec(line)?.[1];
  if (!path) return null;
  const rest = line.slice(path.length + 2);
  if (rest.startsWith(`${LOGIN1}.Session.Unlock `)) return path;
  if (
    rest.startsWith('org.freedesktop.DBus.Properties.PropertiesChanged ') &&
    /'LockedHint': <false>/.test(rest)
  ) {
    return path;
  }
  return null;
}

/** logind's object path of a session id (sd_bus_path_encode: anything but [A-Za-z0-9], and a leading digit, as _xx). */
export function sessionObjectPath(id: string): string {
  const encoded = [...Buffer.from(id, 'utf8')]
    .map((byte, index) => {
      const char = String.fromCharCode(byte);
      const plain = /[A-Za-z]/.test(char) || (index > 0 && /[0-9]/.test(char));
      return plain ? char : `_${byte.toString(16).padStart(2, '0')}`;
    })
    .join('');
  return `/org/freedesktop/login1/session/${encoded}`;
}

export function systemBusAvailable(env: NodeJS.ProcessEnv): boolean {
  const address = env.DBUS_SYSTEM_BUS_ADDRESS;
  // Only a unix:path address can be checked here; any other kind is for gdbus to try.
  const socket = address ? /^unix:path=([^,;]+)/.exec(address)?.[1] : '/run/dbus/system_bus_socket';
  return socket === undefined || existsSync(socket);
}

/**
 * Screen unlock as a trigger: `gdbus monitor` on the system bus as a child process (no D-Bus binding to build),
 * each unlock of one of this user's sessions (asked of `loginctl`, as logind's signals go to every listener)
 * calls `unlocked`. Without a system bus or gdbus the trigger is simply off, said once.
 */
export class UnlockMonitor {
  private child: ChildProcess | null = null;
  private stopping = false;

  constructor(
    private readonly unlocked: () => void,
    private readonly info: (message: string) => void,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  start(): void {
    if (!systemBusAvailable(this.env)) {
      this.info('no system bus: screen unlock does not trigger syncs');
      return;
    }
    const child = spawn('gdbus', ['monitor', '--system', '--dest', LOGIN1], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const { stdout } = child;
    this.child = child;
    child.once('error', (error: NodeJS.ErrnoException) => {
      this.info(`screen unlock does not trigger syncs: cannot run gdbus (${error.code ?? error.message})`);
    });
    child.once('exit', () => {
      this.child = null;
      if (!this.stopping) this.info('gdbus monitor ended: screen unlock no longer triggers syncs');
    });
    createInterface({ input: stdout }).on('line', (line) => {
      const session = unlockedSession(line);
      if (session) void this.ownSession(session).then((own) => own && this.unlocked());
    });
  }

  stop(): void {
    this.stopping = true;
    this.child?.kill('SIGTERM');
  }

  /** Whether a session belongs to this user; when loginctl cannot tell, an extra sync is the cheap mistake. */
  private ownSession(path: string): Promise<boolean> {
    return new Promise((resolve) => {
      const uid = String(process.getuid?.() ?? '');
      execFile('loginctl', ['show-user', uid, '-p', 'Sessions', '--value'], (error, stdout) => {
        if (error) return resolve(true);
        resolve(stdout.trim().split(/\s+/).filter(Boolean).map(sessionObjectPath).includes(path));
      });
    });
  }
}
