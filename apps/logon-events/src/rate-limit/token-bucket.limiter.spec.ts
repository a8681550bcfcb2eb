import { RoamingError } from '@credroam/roaming';
import { TokenBucketLimiter } from './token-bucket.limiter';

const T = 1_000_000;

function retryAfter(limiter: TokenBucketLimiter, key: string, now: number): number | undefined {
  try {
    limiter.take(key, now);
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(RoamingError);
    expect((error as RoamingError).code).toBe('RATE_LIMITED');
    return (error as RoamingError).details?.retryAfterSeconds as number;
  }
}

describe('TokenBucketLimiter', () => {
  it('allows a burst of capacity, then answers RATE_LIMITED with a Retry-After', () => {
    const limiter = new TokenBucketLimiter('test', { capacity: 3, refillPerSecond: 0.5 });
    for (let i = 0; i < 3; i++) expect(retryAfter(limiter, 'alice', T)).toBeUndefined();
    expect(retryAfter(limiter, 'alice', T)).toBe(2);
  });

  it('refills over time at the configured rate', () => {
    const limiter = new TokenBucketLimiter('test', { capacity: 2, refillPerSecond: 1 });
    limiter.take('alice', T);
    limiter.take('alice', T);
    expect(retryAfter(limiter, 'alice', T + 500)).toBe(1);
    expect(retryAfter(limiter, 'alice', T + 1_000)).toBeUndefined();
  });

  it('keeps one bucket per key', () => {
    const limiter = new TokenBucketLimiter('test', { capacity: 1, refillPerSecond: 1 });
    limiter.take('alice', T);
    expect(retryAfter(limiter, 'alice', T)).toBe(1);
    expect(retryAfter(limiter, 'bob', T)).toBeUndefined();
  });

  it('never grows a bucket above its capacity after a long pause', () => {
    const limiter = new TokenBucketLimiter('test', { capacity: 2, refillPerSecond: 10 });
    limiter.take('alice', T);
    const later = T + 3_600_000;
    limiter.take('alice', later);
    limiter.take('alice', later);
    expect(retryAfter(limiter, 'alice', later)).toBe(1);
  });
});
