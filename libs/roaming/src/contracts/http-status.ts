import { type ErrorCode } from '../errors/roaming-error';

/**
 * The one mapping from an error code to an HTTP status, for every HTTP API of credroam. Exhaustive: a new code does
 * not compile until mapped.
 */
export function httpStatusOf(code: ErrorCode): number {
  switch (code) {
    case 'INVALID_INPUT':
    case 'INVALID_TOKEN_TYPE':
    case 'INVALID_TOKEN_ID':
    case 'INVALID_TOKEN_HASH':
    case 'INVALID_TIMESTAMP':
    case 'VALUE_TRUNCATED':
    case 'VALUE_MALFORMED':
    case 'VALUE_LENGTH_MISMATCH':
    case 'UNSAFE_IDENTIFIER':
    case 'DN_BINARY_MALFORMED':
    case 'DN_BINARY_DN_MISMATCH':
    case 'STAMP_MALFORMED':
    case 'FILETIME_OUT_OF_RANGE':
    case 'CRYPTO_PARSE_FAILED':
    case 'KEY_MISMATCH':
    case 'THUMBPRINT_MISMATCH':
    case 'INTEGRITY_CHECK_FAILED':
      return 400;
    case 'UNAUTHENTICATED':
    case 'SESSION_EXPIRED':
    case 'INVALID_CREDENTIALS':
    case 'KERBEROS_REFUSED':
    case 'KERBEROS_FOREIGN_REALM':
    case 'CLOCK_SKEW':
      return 401;
    case 'KERBEROS_NOT_CONFIGURED':
      return 501;
    case 'FORBIDDEN':
    case 'GRANT_REQUIRED':
    case 'GRANT_INVALID':
    case 'GRANT_EXPIRED':
    case 'GRANT_MISMATCH':
    case 'ROAMING_DISABLED':
    case 'POLICY_FILTERED':
    case 'DIRECTORY_ACCESS_DENIED':
      return 403;
    case 'USER_NOT_FOUND':
      // Indistinguishable from a wrong password, so a caller cannot probe which logins exist.
      return 401;
    case 'DIRECTORY_STAMP_CHANGED':
      return 409;
    case 'VALUE_TOO_LARGE':
    case 'TOKEN_SIZE_EXCEEDED':
    case 'TOTAL_SIZE_EXCEEDED':
      return 413;
    case 'TOKEN_LIMIT_EXCEEDED':
    case 'POSSIBLY_PURGED_DELETION':
      return 422;
    case 'RATE_LIMITED':
      return 429;
    case 'NOT_FOUND':
      return 404;
    case 'UNSUPPORTED_MEDIA_TYPE':
      return 415;
    case 'INVALID_POLICY':
    case 'CONTRACT_VIOLATION':
    case 'DIRECTORY_SCHEMA_MISSING':
    case 'KEY_UNAVAILABLE':
    case 'STORE_UNWRITABLE':
    case 'INTERNAL':
      return 500;
    case 'DIRECTORY_UNAVAILABLE':
    case 'SERVICE_UNAVAILABLE':
      return 503;
    case 'TIMEOUT':
      return 504;
  }
}
