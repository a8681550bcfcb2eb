import { DEAD_LETTER_REASONS, isErrorCode, type ErrorCode } from '@credroam/roaming';

export type DeadLetterReason = (typeof DEAD_LETTER_REASONS)[number];

/** What a consumer does with a message whose handling failed: a counted, explicit decision. */
export type FailureDecision =
  | { action: 'retry'; nextAttempt: number; delayMs: number; errorCode: ErrorCode | null }
  | { action: 'dead-letter'; reason: DeadLetterReason; errorCode: ErrorCode | null };

export interface RetryPolicy {
  /** Deliveries a message gets in all, the first one included. */
  maxAttempts: number;
  retryDelayMs: number;
}

/** Why an attempt failed: the handler threw, or the consumer before us died while holding the message. */
export type AttemptFailure = { kind: 'threw'; error: unknown } | { kind: 'redelivered' };

/**
 * The one place a consumer decides between retrying and giving up:
 * - a RoamingError that is not retryable (a contract violation, a missing user) would fail the same way again:
 *   dead-lettered at once as `rejected`;
 * - anything else (a retryable code, an unexpected exception, a consumer that died mid-handling) is retried
 *   after the delay until the message has had `maxAttempts` deliveries, then dead-lettered as
 *   `retries-exhausted`.
 */
export function decideFailure(
  failure: AttemptFailure,
  attempt: number,
  policy: RetryPolicy,
): FailureDecision {
  const code = failure.kind === 'threw' ? errorCodeOf(failure.error) : null;
  if (failure.kind === 'threw' && code !== null && !isRetryableError(failure.error)) {
    return { action: 'dead-letter', reason: 'rejected', errorCode: code };
  }
  const errorCode = failure.kind === 'threw' ? (code ?? 'INTERNAL') : null;
  if (attempt >= policy.maxAttempts) return { action: 'dead-letter', reason: 'retries-exhausted', errorCode };
  return { action: 'retry', nextAttempt: attempt + 1, delayMs: policy.retryDelayMs, errorCode };
}

/** A RoamingError's code, recognised by shape: instanceof does not hold across copies of the library. */
export function errorCodeOf(error: unknown): ErrorCode | null {
  const code = (error as { code?: unknown } | null)?.code;
  return error instanceof Error && error.name === 'RoamingError' && isErrorCode(code) ? code : null;
}

function isRetryableError(error: unknown): boolean {
  return (error as { retryable?: unknown }).retryable === true;
}
