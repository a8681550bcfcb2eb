import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { RoamingError } from '@credroam/roaming';

export interface RateSettings {
  /** Requests allowed in one window. */
  burst: number;
  /** The sustained rate: the window lasts burst / perSecond seconds. */
  perSecond: number;
}

/**
 * The Retry-After of a refusal: what the window has left, at least a second, and never more than a whole window.
 * The memory store measures what is left with the wall clock while its windows end on (monotonic) timers, so after
 * this server's clock stepped back it reports the step on top (26 s of a 15 s window were seen): a window cannot
 * have more than its length left, and the agent would otherwise wait out the step too.
 */
export function retryAfterSeconds(msBeforeNext: number, windowSeconds: number): number {
  return Math.max(1, Math.min(Math.ceil(msBeforeNext / 1000), Math.ceil(windowSeconds)));
}

/** Which limit a request ran into: the names of the RATE_LIMITED message and of the security.rate-limited event. */
export type LimitName = 'client' | 'logon' | 'user';

/**
 * One rate limit (per client address, per login and source, per user) over a rate-limiter-flexible store: in
 * memory per replica, or in Redis and so shared by every replica.
 */
export class RequestLimiter {
  constructor(
    readonly limit: LimitName,
    private readonly store: RateLimiterAbstract,
  ) {}

  /**
   * Counts one request for `key`; throws RATE_LIMITED (with retryAfterSeconds) once the window's burst is spent.
   * `onFirstRefusal` hears of the window's first refusal only: worth one audit event, not one per request.
   */
  async take(key: string, onFirstRefusal: (retryAfterSeconds: number) => void): Promise<void> {
    try {
      await this.store.consume(key);
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) throw rejection;
      const retryAfter = retryAfterSeconds(rejection.msBeforeNext, this.store.duration);
      if (rejection.consumedPoints === this.store.points + 1) onFirstRefusal(retryAfter);
      throw new RoamingError('RATE_LIMITED', `too many requests (per ${this.limit}); retry later`, {
        retryAfterSeconds: retryAfter,
      });
    }
  }
}
