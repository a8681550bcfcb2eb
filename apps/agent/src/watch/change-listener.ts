import { type ChangeNotice } from '@credroam/roaming';
import { type Logger } from '@credroam/platform';
import { describeFailure } from '../cli/exit-codes';
import { backoffMs } from '../sync/retry';

/** How long each wait is held by the server: well below the idle timeouts of proxies in between. */
export const CHANGE_WAIT_SECONDS = 25;

export interface ChangeListenerDependencies {
  /**
   * One long poll with the current session (renewed when due): answers at another workstation's change newer than
   * `after`, or with no change when the wait ends; `unsupported` where the transport cannot wait (AMQP).
   */
  wait(after: string | null, stop: AbortSignal): Promise<ChangeNotice | 'unsupported'>;
  /** The modified time of the directory stamp this store holds (its last sync), or null. */
  heldStamp(): string | null;
  /** Another workstation changed the directory: sync. */
  changed(modifiedAt: string): void;
  backoff: { baseMs: number; maxMs: number };
  logger: Logger;
  random?: () => number;
}

/**
 * The watch daemon's ear for other workstations: a long poll to logon-events after another, so a change made
 * elsewhere reaches this store one sync after it reached the directory, not at the next refresh. A change is asked
 * for after both what the store holds and what was last announced: an announced change whose sync failed is left
 * to the scheduler's retries, not announced again.
 */
export class ChangeListener {
  private readonly stopping = new AbortController();
  private running: Promise<void> | null = null;
  private announced: string | null = null;

  constructor(private readonly deps: ChangeListenerDependencies) {}

  start(): void {
    this.running ??= this.listen();
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    await this.running;
  }

  private async listen(): Promise<void> {
    let failures = 0;
    while (!this.stopping.signal.aborted) {
      try {
        const notice = await this.deps.wait(this.after(), this.stopping.signal);
        if (notice === 'unsupported') {
          this.deps.logger.info(
            "this server's transport cannot announce changes: other machines' changes arrive at the refresh",
          );
          return;
        }
        failures = 0;
        if (notice.changed && notice.modifiedAt !== null) {
          this.announced = notice.modifiedAt;
          this.deps.logger.info({ modifiedAt: notice.modifiedAt }, 'changed on another workstation');
          this.deps.changed(notice.modifiedAt);
        }
      } catch (error) {
        if (this.stopping.signal.aborted) return;
        failures += 1;
        const delayMs = backoffMs(this.deps.backoff, failures, this.deps.random);
        // Named apart from the scheduler's sync retries (failures, delayMs), which logs are read for.
        this.deps.logger.warn(
          { waitFailures: failures, waitAgainInMs: delayMs, err: describeFailure(error) },
          `waiting for changes failed; again in ${delayMs} ms`,
        );
        await this.pause(delayMs);
      }
    }
  }

  private after(): string | null {
    const held = this.deps.heldStamp();
    if (held === null || this.announced === null) return held ?? this.announced;
    return Date.parse(held) >= Date.parse(this.announced) ? held : this.announced;
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      const signal = this.stopping.signal;
      signal.addEventListener('abort', done, { once: true });
      function done() {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      }
    });
  }
}
