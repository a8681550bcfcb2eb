import { type ErrorCode } from '@credroam/roaming';

/** The one mapping of error codes to HTTP statuses; adding an ErrorCode does not compile until it is placed here. */
export function httpStatusFor(code: ErrorCode): number {
  switch (code) {
    case 'INVALID_INPUT':
    case 'INVALID_TOKEN_TYPE':
    case 'INVALID_TOKEN_ID':
    case 'INVALID_TOKEN_HASH':
    case 'INVALID_TIMESTAMP':
    case 'INVALID_POLICY':
    case 'CONTRACT_VIOLATION':
      return 400;
    case 'UNAUTHENTICATED':
    case 'INVALID_CREDENTIALS':
    case 'SESSION_EXPIRED':
      return 401;
    case 'FORBIDDEN':
      return 403;
    case 'USER_NOT_FOUND':
      return 404;
    case 'RATE_LIMITED':
      return 429;
    case 'SERVICE_UNAVAILABLE':
    case 'DIRECTORY_UNAVAILABLE':
    case 'KEY_UNAVAILABLE':
      return 503;
    case 'TIMEOUT':
      return 504;
    case 'VALUE_TRUNCATED':
    case 'VALUE_MALFORMED':
    case 'VALUE_LENGTH_MISMATCH':
    case 'VALUE_TOO_LARGE':
    case 'UNSAFE_IDENTIFIER':
    case 'DN_BINARY_MALFORMED':
    case 'DN_BINARY_DN_MISMATCH':
    case 'STAMP_MALFORMED':
    case 'FILETIME_OUT_OF_RANGE':
    case 'TOKEN_LIMIT_EXCEEDED':
    case 'TOKEN_SIZE_EXCEEDED':
    case 'TOTAL_SIZE_EXCEEDED':
    case 'POLICY_FILTERED':
    case 'POSSIBLY_PURGED_DELETION':
    case 'ROAMING_DISABLED':
    case 'DIRECTORY_STAMP_CHANGED':
    case 'DIRECTORY_ACCESS_DENIED':
    case 'DIRECTORY_SCHEMA_MISSING':
    case 'INTEGRITY_CHECK_FAILED':
    case 'CRYPTO_PARSE_FAILED':
    case 'KEY_MISMATCH':
    case 'THUMBPRINT_MISMATCH':
    case 'INTERNAL':
      return 500;
    default: {
      const unmapped: never = code;
      return unmapped;
    }
  }
}
