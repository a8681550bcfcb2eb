import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { RoamingError } from '@credroam/roaming';
import { storeWriteError } from './atomic-file.writer';

const LOCK_POLL_MS = 100;
const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The store is locked by another live process: try again when it has finished. */
export class StoreBusyError extends RoamingError {
  constructor(readonly owner: number) {
    super(
      'FORBIDDEN',
      `another credroam-agent (pid ${owner}) is using this store; try again when it has finished`,
    );
  }
}

/**
 * One writer per store: a logon hook's sync and a manual import must not interleave their writes, or a sync could
 * record a base that misses a token imported meanwhile. An exclusive lock file holding the owner's pid; a lock
 * whose process is gone (a crash) is taken over.
 */
export class StoreLock {
  constructor(private readonly path: string) {}

  acquire(): () => void {
    for (let attempt = 0; attempt < 2; attempt += 1) {
      try {
        this.create();
        return () => this.release();
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw storeWriteError(this.path, error);
        const owner = this.owner();
        if (owner !== null && owner !== process.pid && isAlive(owner)) {
          throw new StoreBusyError(owner);
        }
        this.release();
      }
    }
    throw new RoamingError('FORBIDDEN', 'could not lock the store');
  }

  /**
   * acquire(), waiting while another live process holds the lock (a sync takes seconds at most) for up to
   * `timeoutMs`; then its StoreBusyError. Polls: a lock file cannot be waited on.
   */
  async acquireWaiting(timeoutMs: number, sleep: (ms: number) => Promise<void> = delay): Promise<() => void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        return this.acquire();
      } catch (error) {
        if (!(error instanceof StoreBusyError) || Date.now() >= deadline) throw error;
        await sleep(LOCK_POLL_MS);
      }
    }
  }

  /** The lock file with this process's pid; none left behind when the pid cannot be written (a full disk). */
  private create(): void {
    const fd = openSync(this.path, 'wx', 0o600);
    try {
      writeSync(fd, String(process.pid));
    } catch (error) {
      closeSync(fd);
      this.release();
      throw error;
    }
    closeSync(fd);
  }

  private owner(): number | null {
    try {
      const pid = Number(readFileSync(this.path, 'utf8').trim());
      return Number.isInteger(pid) && pid > 0 ? pid : null;
    } catch {
      return null;
    }
  }

  private release(): void {
    try {
      unlinkSync(this.path);
    } catch {
      // already released
    }
  }
}

/** Whether a process exists (one of another user counts: signalling it is merely not permitted). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
