/** The newest change of a user's directory entry this replica has heard of, and which machine made it. */
interface LatestChange {
  modifiedAt: number;
  machine: string;
  heardAt: number;
}

export interface ChangeWait {
  /** Lower-cased login: the key changes are filed under. */
  user: string;
  /** The waiting workstation: its own changes do not wake it. */
  machine: string;
  /** Only changes whose stamp is newer than this (ms) count; null: any. */
  after: number | null;
  timeoutMs: number;
  /** Aborted when the caller goes away (the HTTP request closed). */
  signal?: AbortSignal;
}

export type ChangeOutcome = { changed: true; modifiedAt: number } | { changed: false };

export interface ChangeNotifierSettings {
  /**
   * How long a change is remembered for a wait that starts after it: a workstation's wait begins a moment after its
   * own sync, and a change made in that moment must still wake it.
   */
  rememberMs: number;
  /** The most users remembered at once; the oldest are forgotten first. */
  maxUsers: number;
  now: () => number;
}

interface Waiter {
  wait: ChangeWait;
  resolve: (outcome: ChangeOutcome) => void;
}

/**
 * Long polls for directory changes on one replica: every replica hears every `directory.changed` event (a queue of
 * its own on the events exchange) and wakes the waits of that user's other workstations. The stamp's modified time
 * only grows (the gateway makes each one newer than the last), so "newer than what the workstation holds" is exact
 * whatever order the events arrive in.
 */
export class ChangeNotifier {
  private readonly latest = new Map<string, LatestChange>();
  private readonly waiters = new Map<string, Set<Waiter>>();

  constructor(private readonly settings: ChangeNotifierSettings) {}

  /** A change of `user`'s entry by `machine`, stamped `modifiedAt` (ms). */
  record(user: string, machine: string, modifiedAt: number): void {
    const key = user.toLowerCase();
    const known = this.latest.get(key);
    if (!known || modifiedAt > known.modifiedAt) {
      // Re-inserted so that the map's order stays the order changes were heard in (the oldest first).
      this.latest.delete(key);
      this.latest.set(key, { modifiedAt, machine, heardAt: this.settings.now() });
      this.forgetOld();
    }
    for (const waiter of this.waiters.get(key) ?? []) {
      if (wakes(waiter.wait, machine, modifiedAt)) this.settle(waiter, { changed: true, modifiedAt });
    }
  }

  /** Resolves at the first change that concerns the wait, or with `changed: false` at its timeout or abort. */
  wait(wait: ChangeWait): Promise<ChangeOutcome> {
    const key = wait.user.toLowerCase();
    const known = this.latest.get(key);
    if (known && wakes(wait, known.machine, known.modifiedAt)) {
      return Promise.resolve({ changed: true, modifiedAt: known.modifiedAt });
    }
    return new Promise((resolve) => {
      const waiter: Waiter = { wait: { ...wait, user: key }, resolve };
      const timer = setTimeout(() => this.settle(waiter, { changed: false }), wait.timeoutMs);
      const aborted = () => this.settle(waiter, { changed: false });
      waiter.resolve = (outcome) => {
        clearTimeout(timer);
        wait.signal?.removeEventListener('abort', aborted);
        resolve(outcome);
      };
      if (wait.signal?.aborted) return waiter.resolve({ changed: false });
      wait.signal?.addEventListener('abort', aborted, { once: true });
      const set = this.waiters.get(key) ?? new Set<Waiter>();
      set.add(waiter);
      this.waiters.set(key, set);
    });
  }

  /** Waits open now (a gauge). */
  waiting(): number {
    let count = 0;
    for (const set of this.waiters.values()) count += set.size;
    return count;
  }

  /** Ends every wait with `changed: false` (shutdown: the workstations simply wait again elsewhere). */
  releaseAll(): void {
    for (const set of [...this.waiters.values()]) {
      for (const waiter of [...set]) this.settle(waiter, { changed: false });
    }
  }

  private settle(waiter: Waiter, outcome: ChangeOutcome): void {
    const set = this.waiters.get(waiter.wait.user);
    if (set?.delete(waiter) && set.size === 0) this.waiters.delete(waiter.wait.user);
    waiter.resolve(outcome);
  }

  private forgetOld(): void {
    const horizon = this.settings.now() - this.settings.rememberMs;
    for (const [key, change] of this.latest) {
      if (change.heardAt >= horizon && this.latest.size <= this.settings.maxUsers) break;
      this.latest.delete(key);
    }
  }
}

function wakes(wait: ChangeWait, machine: string, modifiedAt: number): boolean {
  return machine !== wait.machine && (wait.after === null || modifiedAt > wait.after);
}
