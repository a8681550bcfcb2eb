import { RoamingError, type ErrorCode, type ErrorInfo } from './roaming-error';

/**
 * Decoders and validators return a Result instead of throwing, so that "any byte string either decodes or
 * yields a typed error" holds by construction.
 */
export type Result<T> = { ok: true; value: T } | { ok: false; error: ErrorInfo };

export const ok = <T>(value: T): Result<T> => ({ ok: true, value });

export const fail = <T = never>(
  code: ErrorCode,
  message: string,
  details?: ErrorInfo['details'],
): Result<T> => ({
  ok: false,
  error: new RoamingError(code, message, details).toInfo(),
});

/** For callers that prefer exceptions: turns a failed Result into a RoamingError. */
export function unwrap<T>(result: Result<T>): T {
  if (result.ok) return result.value;
  throw RoamingError.fromInfo(result.error);
}
