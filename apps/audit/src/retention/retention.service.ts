import { type Logger } from '@credroam/platform';

export interface EventPurger {
  purgeOlderThan(cutoff: number): Promise<number>;
  /** Refreshes planner statistics, which a purge (and the growth since the last run) may have made stale. */
  optimize(): Promise<void>;
}

export interface RetentionSettings {
  retentionDays: number;
  intervalMs: number;
  /** Delay of the first purge after start, so boot is not slowed by it. Default 10 s. */
  firstRunDelayMs?: number;
  clock?: () => number;
  onPurged?(count: number): void;
}

const DAY_MS = 86_400_000;

/**
 * Deletes events older than the retention period on a schedule, then refreshes the planner's statistics. Every
 * replica runs it; deleting what another replica already deleted is a no-op, so no coordination is needed. A
 * failed run (database down) is logged and simply retried at the next interval.
 */
export class RetentionService {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | null = null;
  private readonly clock: () => number;

  constructor(
    private readonly events: EventPurger,
    private readonly logger: Logger,
    private readonly settings: RetentionSettings,
  ) {
    this.clock = settings.clock ?? Date.now;
  }

  start(): void {
    const schedule = (delay: number) => {
      this.timer = setTimeout(() => {
        void this.purgeNow()
          .catch(() => undefined)
          .finally(() => {
            if (this.timer) schedule(this.settings.intervalMs);
          });
      }, delay);
      this.timer.unref();
    };
    schedule(this.settings.firstRunDelayMs ?? 10_000);
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => undefined);
  }

  /** Runs one purge (or joins the one running); resolves with the number of events deleted. */
  purgeNow(): Promise<number> {
    this.running ??= this.purge().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async purge(): Promise<number> {
    const cutoff = this.clock() - this.settings.retentionDays * DAY_MS;
    const started = performance.now();
    try {
      const deleted = await this.events.purgeOlderThan(cutoff);
      this.settings.onPurged?.(deleted);
      await this.events.optimize();
      this.logger.info(
        {
          deleted,
          cutoff: new Date(cutoff).toISOString(),
          durationMs: Math.round(performance.now() - started),
        },
        'retention purge done',
      );
      return deleted;
    } catch (error) {
      this.logger.warn(
        { errorMessage: (error as Error)?.message },
        'retention purge failed; retrying at the next run',
      );
      throw error;
    }
  }
}
