import { mkdirSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { RoamingError, type TokenType } from '@credroam/roaming';

/**
 * Where the agent keeps everything of one user on this machine. Every path is built here from fixed names;
 * token files are named by tokenFileName (a hash), never by an identifier.
 */
export class StoreLayout {
  readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  /** `--store DIR`, else CREDROAM_STORE, else $XDG_DATA_HOME/credroam, else ~/.local/share/credroam. */
  static resolve(explicit: string | undefined, env: NodeJS.ProcessEnv): StoreLayout {
    if (explicit) return new StoreLayout(explicit);
    if (env.CREDROAM_STORE) return new StoreLayout(env.CREDROAM_STORE);
    const xdg = env.XDG_DATA_HOME;
    // The XDG spec says a relative XDG_DATA_HOME is invalid and must be ignored.
    const base = xdg && isAbsolute(xdg) ? xdg : join(homedir(), '.local', 'share');
    return new StoreLayout(join(base, 'credroam'));
  }

  get tokensDir(): string {
    return join(this.root, 'tokens');
  }

  tokenTypeDir(type: TokenType): string {
    return join(this.tokensDir, type);
  }

  get stateFile(): string {
    return join(this.root, 'state.json');
  }

  /** The previous state file, as Windows keeps state.da~ beside state.dat. */
  get stateBackupFile(): string {
    return join(this.root, 'state.json~');
  }

  /** Per token: origin, last sync, last conflict or rejection (what `status` shows). */
  get tokenRecordsFile(): string {
    return join(this.root, 'token-records.json');
  }

  /** What Windows clients roamed: certificates offered read-only, keys only Windows can open (windows-roamed.file). */
  get windowsRoamedFile(): string {
    return join(this.root, 'windows-roamed.json');
  }

  get sessionFile(): string {
    return join(this.root, 'session.json');
  }

  /** How far the server's clock is from this workstation's (clock-offset.file). */
  get clockFile(): string {
    return join(this.root, 'clock.json');
  }

  get lockFile(): string {
    return join(this.root, 'lock');
  }

  /** The watch daemon's control socket: `sync --trigger pulse` and `purge-keys` reach the daemon through it. */
  get watchSocket(): string {
    return join(this.root, 'watch.sock');
  }

  get deviceKeyFile(): string {
    return join(this.root, 'device-key.pem');
  }

  /**
   * Creates the store (mode 0700) where it is missing. An existing one is left as it is: whether it is private
   * enough is for assertStoreIsPrivate to say, not to be fixed silently.
   */
  ensure(): void {
    for (const dir of [this.root, this.tokensDir]) {
      try {
        mkdirSync(dir, { recursive: true, mode: 0o700 });
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code !== 'EEXIST' && code !== 'ENOTDIR') throw error;
        throw new RoamingError('FORBIDDEN', `refusing the store: ${dir} is not a directory; remove it`);
      }
    }
  }

  exists(): boolean {
    try {
      return statSync(this.root).isDirectory();
    } catch {
      return false;
    }
  }
}
