import { type SyncTrigger } from '@credroam/roaming';
import { backoffMs } from '../sync/retry';

/**
 * How one attempt ended, as far as scheduling cares: `ok` (synced, up to date or blocked: a known answer),
 * `retry` (server unreachable or the store busy: back off and try again alone), `wait` (not logged in or the
 * session expired: nothing to retry until a new logon writes a session; the refresh timer tries again).
 */
export type AttemptVerdict = 'ok' | 'retry' | 'wait';

export interface SchedulerOptions {
  /** Quiet time after the last store change before the sync runs: a burst of writes is one sync. */
  debounceMs: number;
  /** The policy's refreshMinutes in ms, read at each arming (a new logon may change it); null: no timer. */
  refreshMs: () => number | null;
  backoff: { baseMs: number; maxMs: number };
  run: (trigger: SyncTrigger) => Promise<AttemptVerdict>;
  /** Told of each retry scheduled: the consecutive failures so far and the delay chosen. */
  onRetry?: (failures: number, delayMs: number) => void;
  random?: () => number;
}

/**
 * When the watch daemon syncs: one sync at a time, requests made meanwhile coalesced into one more sync, store
 * changes debounced, failures retried with exponential backoff (jittered, capped, reset by a success) and the
 * policy's periodic refresh re-armed after each sync. Only a pulse (an explicit demand) cuts a backoff short.
 * Pure scheduling: the clock is the global timer functions, so specs drive it with fake timers.
 */
export class SyncScheduler {
  private pending: SyncTrigger | null = null;
  private running: Promise<void> | null = null;
  private failures = 0;
  private debounceTimer: NodeJS.Timeout | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private refreshTimer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(private readonly options: SchedulerOptions) {}

  request(trigger: SyncTrigger): void {
    if (this.stopped) return;
    if (trigger === 'store-change') {
      if (this.debounceTimer) clearTimeout(this.debounceTimer);
      this.debounceTimer = setTimeout(() => {
        this.debounceTimer = null;
        this.enqueue('store-change');
      }, this.options.debounceMs);
      return;
    }
    this.enqueue(trigger);
  }

  /** Stops every timer and resolves once the sync under way (if any) has finished. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of [this.debounceTimer, this.retryTimer, this.refreshTimer]) {
      if (timer) clearTimeout(timer);
    }
    this.debounceTimer = this.retryTimer = this.refreshTimer = null;
    await this.running;
  }

  private enqueue(trigger: SyncTrigger): void {
    if (this.stopped) return;
    this.pending = coalesce(this.pending, trigger);
    if (this.retryTimer) {
      if (trigger !== 'pulse') return;
      clearTimeout(this.retryTimer);
      this.retryTimer = null;
    }
    this.drain();
  }

  private drain(): void {
    if (this.stopped || this.running || this.pending === null || this.retryTimer) return;
    const trigger = this.pending;
    this.pending = null;
    this.running = this.attempt(trigger).finally(() => {
      this.running = null;
      this.drain();
    });
  }

  private async attempt(trigger: SyncTrigger): Promise<void> {
    let verdict: AttemptVerdict;
    try {
      verdict = await this.options.run(trigger);
    } catch {
      verdict = 'retry';
    }
    if (this.stopped) return;
    if (verdict === 'retry') {
      this.failures += 1;
      this.pending = coalesce(this.pending, trigger);
      const delayMs = backoffMs(this.options.backoff, this.failures, this.options.random);
      this.options.onRetry?.(this.failures, delayMs);
      this.retryTimer = setTimeout(() => {
        this.retryTimer = null;
        this.drain();
      }, delayMs);
      return;
    }
    this.failures = 0;
    this.armRefresh();
  }

  private armRefresh(): void {
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    this.refreshTimer = null;
    const ms = this.options.refreshMs();
    if (ms === null) return;
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = null;
      this.enqueue('refresh');
    }, ms);
  }
}

/** The trigger a coalesced sync reports: the latest explicit one, a store change only when nothing else asked. */
function coalesce(current: SyncTrigger | null, next: SyncTrigger): SyncTrigger {
  return next === 'store-change' && current !== null ? current : next;
}
