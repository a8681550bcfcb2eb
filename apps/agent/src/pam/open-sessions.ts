import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { type AtomicFileWriter } from '../store/atomic-file.writer';
import { isAlive } from '../store/store.lock';
import { type StoreLayout } from '../store/store-layout';

const sessionsSchema = z.array(z.number().int().positive()).max(1024);

/**
 * The user's sessions open on this machine, as PAM opened them: the process of each PAM application (login,
 * sshd, the display manager) holding one. A session whose process died without closing (a crash) no longer
 * counts, so the last close is recognised even then. Callers hold the store lock.
 */
export class OpenSessions {
  private readonly file: string;

  constructor(
    layout: StoreLayout,
    private readonly writer: AtomicFileWriter,
  ) {
    this.file = join(layout.root, 'pam-sessions.json');
  }

  open(pid: number): void {
    this.write([...this.live().filter((known) => known !== pid), pid]);
  }

  /** Closes the session of `pid`; returns how many others are still open. */
  close(pid: number): number {
    const remaining = this.live().filter((known) => known !== pid);
    this.write(remaining);
    return remaining.length;
  }

  private live(): number[] {
    try {
      const parsed = sessionsSchema.safeParse(JSON.parse(readFileSync(this.file, 'utf8')));
      return parsed.success ? parsed.data.filter(isAlive) : [];
    } catch {
      return [];
    }
  }

  private write(pids: number[]): void {
    this.writer.write(this.file, `${JSON.stringify(pids)}\n`);
  }
}
