import { RoamingError } from '@credroam/roaming';

export interface BucketSettings {
  /** Requests allowed in a burst. */
  capacity: number;
  /** Tokens added back per second. */
  refillPerSecond: number;
}

interface Bucket {
  tokens: number;
  updatedAt: number;
}

// Bounds the memory an attacker can make us spend by cycling keys (client addresses, logins).
const MAX_KEYS = 100_000;

/** In-memory token buckets per key (a login, a client address). Per replica: N replicas allow N times as much. */
export class TokenBucketLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    readonly name: string,
    private readonly settings: BucketSettings,
  ) {}

  /** Takes one token for `key`; throws RATE_LIMITED (with retryAfterSeconds) when the bucket is empty. */
  take(key: string, now: number): void {
    const { capacity, refillPerSecond } = this.settings;
    const bucket = this.buckets.get(key) ?? { tokens: capacity, updatedAt: now };
    const refilled = Math.min(capacity, bucket.tokens + ((now - bucket.updatedAt) / 1000) * refillPerSecond);
    if (refilled < 1) {
      const retryAfterSeconds = Math.max(1, Math.ceil((1 - refilled) / refillPerSecond));
      this.buckets.set(key, { tokens: refilled, updatedAt: now });
      throw new RoamingError('RATE_LIMITED', `too many requests (${this.name}); retry later`, {
        retryAfterSeconds,
      });
    }
    if (!this.buckets.has(key) && this.buckets.size >= MAX_KEYS) this.evictFull(now);
    this.buckets.set(key, { tokens: refilled - 1, updatedAt: now });
  }

  get size(): number {
    return this.buckets.size;
  }

  /** Drops buckets that have refilled completely: forgetting them changes nothing. */
  private evictFull(now: number): void {
    const { capacity, refillPerSecond } = this.settings;
    for (const [key, bucket] of this.buckets) {
      if (bucket.tokens + ((now - bucket.updatedAt) / 1000) * refillPerSecond >= capacity)
        this.buckets.delete(key);
    }
    if (this.buckets.size >= MAX_KEYS) this.buckets.clear();
  }
}
