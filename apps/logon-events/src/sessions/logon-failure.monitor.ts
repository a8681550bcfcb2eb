import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { type RateLimitStore } from '../rate-limit/rate-limit.store';

export interface LogonFailureThresholds {
  /** More failures than this within the window raise an alert. */
  threshold: number;
  windowMs: number;
}

/**
 * Counts failed logons per key (a user, a source) in a window and says when a key goes over the threshold: once
 * per window, not on every later failure. The counter is a rate-limiter-flexible store, so with Redis
 * (CREDROAM_RATE_LIMIT_REDIS_URL) an attack spread over every replica is counted once.
 */
export class LogonFailureMonitor {
  private readonly counter: RateLimiterAbstract;

  constructor(
    readonly thresholds: LogonFailureThresholds,
    store: RateLimitStore,
  ) {
    this.counter = store.failureCounter(thresholds);
  }

  /** Records a failure; returns the failures counted when this one takes the key over the threshold, else null. */
  async record(key: string): Promise<number | null> {
    try {
      await this.counter.consume(key);
      return null;
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) throw rejection;
      return rejection.consumedPoints === this.thresholds.threshold + 1 ? rejection.consumedPoints : null;
    }
  }
}
