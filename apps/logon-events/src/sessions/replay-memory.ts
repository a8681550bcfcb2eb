const MAX_REMEMBERED = 100_000;

/**
 * What this replica has seen of messages that are valid only within a time window (device proofs, sealed logon
 * passwords), for as long as they stay valid: a second sight within the window is a replay. Once the window is over,
 * the freshness check refuses the message everywhere, so it is forgotten. Per replica: a replay sent to another
 * replica is caught there only by freshness.
 */
export class ReplayMemory {
  private readonly seen = new Map<string, number>();

  /** `windowMs`: how far from `at` (either way) a message stays acceptable. */
  constructor(private readonly windowMs: number) {}

  /** Whether `key` was seen before; remembers it (made at `at`) when not. */
  seenBefore(key: string, at: number, now: number): boolean {
    this.forgetStale(now);
    if (this.seen.has(key)) return true;
    this.seen.set(key, at);
    return false;
  }

  private forgetStale(now: number): void {
    for (const [key, at] of this.seen) {
      if (Math.abs(now - at) <= this.windowMs && this.seen.size < MAX_REMEMBERED) break;
      this.seen.delete(key);
    }
  }
}
