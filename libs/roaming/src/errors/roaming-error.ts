/**
 * Every failure in credroam carries a string code, because `instanceof` does not survive a hop over the broker.
 * Codes are grouped by the layer that raises them; transports map them to HTTP status, ack/nack or dead-letter
 * with one exhaustive switch each.
 */
export const ERROR_CODES = [
  // input validation (any boundary)
  'INVALID_INPUT',
  'INVALID_TOKEN_TYPE',
  'INVALID_TOKEN_ID',
  'INVALID_TOKEN_HASH',
  'INVALID_TIMESTAMP',
  'INVALID_POLICY',
  'CONTRACT_VIOLATION',
  // value codec
  'VALUE_TRUNCATED',
  'VALUE_MALFORMED',
  'VALUE_LENGTH_MISMATCH',
  'VALUE_TOO_LARGE',
  'UNSAFE_IDENTIFIER',
  'DN_BINARY_MALFORMED',
  'DN_BINARY_DN_MISMATCH',
  'STAMP_MALFORMED',
  'FILETIME_OUT_OF_RANGE',
  // reconcile and limits
  'TOKEN_LIMIT_EXCEEDED',
  'TOKEN_SIZE_EXCEEDED',
  'TOTAL_SIZE_EXCEEDED',
  'POLICY_FILTERED',
  'POSSIBLY_PURGED_DELETION',
  'ROAMING_DISABLED',
  // directory
  'DIRECTORY_STAMP_CHANGED',
  'DIRECTORY_UNAVAILABLE',
  'DIRECTORY_ACCESS_DENIED',
  'DIRECTORY_SCHEMA_MISSING',
  'USER_NOT_FOUND',
  'INVALID_CREDENTIALS',
  // Kerberos logon (SPNEGO): a ticket the keytab does not accept (invalid, expired, replayed, for another service),
  // a client of another realm than the configured one, a service with no keytab configured
  'KERBEROS_REFUSED',
  'KERBEROS_FOREIGN_REALM',
  'KERBEROS_NOT_CONFIGURED',
  // crypto
  'INTEGRITY_CHECK_FAILED',
  'CRYPTO_PARSE_FAILED',
  'KEY_MISMATCH',
  'THUMBPRINT_MISMATCH',
  'KEY_UNAVAILABLE',
  // edge
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'RATE_LIMITED',
  'SESSION_EXPIRED',
  // something the workstation dated (a device proof, a sealed logon password) is too far from the server's clock:
  // the refusal names the server's time, by which the agent dates its next attempt (contracts/sync.ts)
  'CLOCK_SKEW',
  'NOT_FOUND',
  'UNSUPPORTED_MEDIA_TYPE',
  // internal RPCs: the grant logon-events signs for a request that touches a user's secrets
  'GRANT_REQUIRED',
  'GRANT_INVALID',
  'GRANT_EXPIRED',
  'GRANT_MISMATCH',
  // the agent's local store: a file it cannot write (disk full, read-only, I/O error); nothing was half-written
  'STORE_UNWRITABLE',
  // anything else
  'TIMEOUT',
  'SERVICE_UNAVAILABLE',
  'INTERNAL',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** Failures a caller may retry after a backoff; everything else is final for the same input. */
const RETRYABLE: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'DIRECTORY_STAMP_CHANGED',
  'DIRECTORY_UNAVAILABLE',
  'TIMEOUT',
  'SERVICE_UNAVAILABLE',
  'RATE_LIMITED',
  'CLOCK_SKEW',
]);

export function isRetryable(code: ErrorCode): boolean {
  return RETRYABLE.has(code);
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && (ERROR_CODES as readonly string[]).includes(value);
}

/** The serialisable shape of an error, as it travels in RPC replies and HTTP bodies. */
export interface ErrorInfo {
  code: ErrorCode;
  message: string;
  retryable: boolean;
  details?: Record<string, string | number | boolean | null>;
}

export class RoamingError extends Error {
  readonly retryable: boolean;

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: ErrorInfo['details'],
  ) {
    super(message);
    this.name = 'RoamingError';
    this.retryable = isRetryable(code);
  }

  toInfo(): ErrorInfo {
    return {
      code: this.code,
      message: this.message,
      retryable: this.retryable,
      ...(this.details ? { details: this.details } : {}),
    };
  }

  static fromInfo(info: ErrorInfo): RoamingError {
    return new RoamingError(info.code, info.message, info.details);
  }
}
