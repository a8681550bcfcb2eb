import { RoamingError } from '@credroam/roaming';

export interface RetryPolicy {
  /** Attempts in all, first one included. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 4, baseDelayMs: 250, maxDelayMs: 8_000 };

/** One try: its result, or the transient error to retry after (the server may say how long to wait). */
export type Attempt<T> = { done: T } | { retry: RoamingError; afterMs?: number };

export interface Retrier {
  policy: RetryPolicy;
  sleep: (ms: number) => Promise<void>;
  random: () => number;
}

export function retrier(
  options: { retry?: RetryPolicy; sleep?: (ms: number) => Promise<void>; random?: () => number } = {},
): Retrier {
  return {
    policy: options.retry ?? DEFAULT_RETRY,
    sleep: options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
    random: options.random ?? Math.random,
  };
}

/**
 * Runs `attempt` until it is done or the attempts are used up, with bounded exponential backoff and full jitter:
 * workstations that failed together do not retry together. Anything `attempt` throws is final.
 */
export async function withRetries<T>(retrying: Retrier, attempt: () => Promise<Attempt<T>>): Promise<T> {
  const { policy } = retrying;
  let last: RoamingError | undefined;
  for (let attemptNumber = 1; attemptNumber <= policy.maxAttempts; attemptNumber += 1) {
    const outcome = await attempt();
    if ('done' in outcome) return outcome.done;
    last = outcome.retry;
    if (attemptNumber === policy.maxAttempts) break;
    const delayMs = backoffMs(
      { baseMs: policy.baseDelayMs, maxMs: policy.maxDelayMs },
      attemptNumber,
      retrying.random,
    );
    await retrying.sleep(outcome.afterMs ?? delayMs);
  }
  throw last ?? new RoamingError('SERVICE_UNAVAILABLE', 'server unreachable');
}

/**
 * The delay after `failures` consecutive failures: doubling from `baseMs`, capped at `maxMs`, with full jitter over
 * the upper half, so workstations that failed together do not come back together.
 */
export function backoffMs(
  { baseMs, maxMs }: { baseMs: number; maxMs: number },
  failures: number,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(Math.max(failures, 1) - 1, 30));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
