import { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { type LogSink } from '../repositories/logon.repositories';
import { type LogonFailureThresholds } from '../sessions/logon-failure.monitor';
import { type LimitName, type RateSettings } from './request-limiter';

export interface RateLimitStoreConfig {
  /** Redis shared by every replica (CREDROAM_RATE_LIMIT_REDIS_URL); null: counted in memory, per replica. */
  redisUrl: string | null;
  /** Keeps the counters of two deployments (or test runs) on one Redis apart. */
  namespace: string;
}

type StoreLog = Pick<LogSink, 'info' | 'warn'>;

/** The window a rate allows its burst in: a burst of 30 at 2/s is 30 requests per 15 s. */
function windowOf(rate: RateSettings): { points: number; duration: number } {
  return { points: rate.burst, duration: Math.max(1, Math.ceil(rate.burst / rate.perSecond)) };
}

/**
 * Where the rate limits count: in Redis, so that N replicas allow what one would, or in memory. While Redis is
 * unreachable each replica counts in memory instead (rate-limiter-flexible's insurance limiter): limits loosen to
 * per replica, logons go on.
 */
export class RateLimitStore {
  private readonly redis: Redis | null;

  constructor(
    private readonly config: RateLimitStoreConfig,
    log: StoreLog,
  ) {
    this.redis = config.redisUrl === null ? null : connect(config.redisUrl, log);
  }

  get shared(): boolean {
    return this.redis !== null;
  }

  limiter(limit: LimitName, rate: RateSettings): RateLimiterAbstract {
    return this.counter(`rate:${limit}`, windowOf(rate));
  }

  /** Counts failed logons: `threshold` of them per window pass, the one after is the alert. */
  failureCounter(thresholds: LogonFailureThresholds): RateLimiterAbstract {
    return this.counter('logon-failures', {
      points: thresholds.threshold,
      duration: Math.max(1, Math.ceil(thresholds.windowMs / 1000)),
    });
  }

  private counter(name: string, window: { points: number; duration: number }): RateLimiterAbstract {
    const keyPrefix = `credroam:${this.config.namespace}:${name}`;
    const insuranceLimiter = new RateLimiterMemory({ ...window, keyPrefix });
    if (this.redis === null) return insuranceLimiter;
    return new RateLimiterRedis({
      ...window,
      keyPrefix,
      storeClient: this.redis,
      rejectIfRedisNotReady: true,
      insuranceLimiter,
    });
  }

  async close(): Promise<void> {
    if (this.redis === null) return;
    await this.redis.quit().catch(() => this.redis?.disconnect());
  }
}

function connect(url: string, log: StoreLog): Redis {
  // No offline queue: while Redis is away a request is counted by the insurance limiter at once, not held.
  const redis = new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 2_000 });
  let reachable = true;
  redis.on('ready', () => {
    if (!reachable) log.info({ redis: redactedUrl(url) }, 'rate limits shared through Redis again');
    reachable = true;
  });
  redis.on('error', (error: Error) => {
    if (reachable)
      log.warn(
        { redis: redactedUrl(url), err: error.message },
        'Redis unreachable: rate limits counted per replica until it is back',
      );
    reachable = false;
  });
  return redis;
}

/** The URL without its password, for logs. */
function redactedUrl(url: string): string {
  const parsed = new URL(url);
  if (parsed.password !== '') parsed.password = '***';
  return parsed.toString();
}
