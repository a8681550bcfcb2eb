import { type ErrorCode } from '../errors/roaming-error';

/**
 * Windows credential roaming's event IDs (provider Microsoft-Windows-CertificateServicesClient-CredentialRoaming),
 * which every credroam event carries as `code` so that operators can reuse their alert rules. Informational
 * events without a Windows counterpart (a session opened, a token uploaded) carry 1, the success family. A failed
 * logon carries the Windows Security log's 4625 ("An account failed to log on"), which SIEM rules already watch.
 */
export const EVENT_CODES = Object.freeze({
  ROAMING_PERFORMED: 1,
  SELF_HEALING_PERFORMED: 2,
  TOKEN_CONFLICT: 501,
  SELF_HEALING_NEEDED: 502,
  ROAMING_FAILED: 1001,
  LOCAL_STORE_READ_FAILED: 1002,
  LOCAL_STORE_WRITE_FAILED: 1003,
  DIRECTORY_READ_FAILED: 1004,
  DIRECTORY_WRITE_FAILED: 1005,
  STATE_FILE_READ_FAILED: 1006,
  STATE_FILE_WRITE_FAILED: 1007,
  TOO_MANY_TOKENS: 1008,
  PRECONDITION_FAILED: 1009,
  DIRECTORY_ACCESS_FAILED: 1010,
  SIZE_LIMIT_EXCEEDED: 1011,
  ATTRIBUTE_MISSING: 1012,
  LOGON_FAILED: 4625,
} as const);

export type EventCodeName = keyof typeof EVENT_CODES;
export type EventCode = (typeof EVENT_CODES)[EventCodeName];

export type EventLevel = 'information' | 'warning' | 'error';

export interface EventCodeInfo {
  name: EventCodeName;
  level: EventLevel;
  description: string;
}

/** What each code means, for dashboards, the AsyncAPI document and alert rules. */
export const EVENT_CODE_INFO: Readonly<Record<EventCode, EventCodeInfo>> = Object.freeze({
  1: { name: 'ROAMING_PERFORMED', level: 'information', description: 'Roaming performed.' },
  2: {
    name: 'SELF_HEALING_PERFORMED',
    level: 'information',
    description: "Self-healing performed: the machine's state was rebuilt from the directory.",
  },
  501: {
    name: 'TOKEN_CONFLICT',
    level: 'warning',
    description: 'Token conflict: the same token changed on two sides; the newer version won.',
  },
  502: {
    name: 'SELF_HEALING_NEEDED',
    level: 'warning',
    description:
      "Self-healing needed: the machine's sync state is missing, stale or no longer matches the directory.",
  },
  1001: { name: 'ROAMING_FAILED', level: 'error', description: 'Roaming failed.' },
  1002: { name: 'LOCAL_STORE_READ_FAILED', level: 'error', description: 'Reading the local store failed.' },
  1003: { name: 'LOCAL_STORE_WRITE_FAILED', level: 'error', description: 'Writing the local store failed.' },
  1004: {
    name: 'DIRECTORY_READ_FAILED',
    level: 'error',
    description:
      'Reading the roaming attributes from the directory failed, or a value read could not be decoded.',
  },
  1005: {
    name: 'DIRECTORY_WRITE_FAILED',
    level: 'error',
    description:
      'Writing the roaming attributes failed (including a write race still lost after every retry).',
  },
  1006: { name: 'STATE_FILE_READ_FAILED', level: 'error', description: 'Reading the state file failed.' },
  1007: { name: 'STATE_FILE_WRITE_FAILED', level: 'error', description: 'Writing the state file failed.' },
  1008: {
    name: 'TOO_MANY_TOKENS',
    level: 'error',
    description: 'Roaming not performed: the user has more tokens than policy allows.',
  },
  1009: {
    name: 'PRECONDITION_FAILED',
    level: 'error',
    description: 'Roaming not performed: a precondition failed (roaming disabled or filtered by policy).',
  },
  1010: {
    name: 'DIRECTORY_ACCESS_FAILED',
    level: 'error',
    description: 'The directory could not be accessed (unreachable, or access denied).',
  },
  1011: {
    name: 'SIZE_LIMIT_EXCEEDED',
    level: 'error',
    description: 'Roaming failed: a size limit was exceeded.',
  },
  1012: {
    name: 'ATTRIBUTE_MISSING',
    level: 'error',
    description: 'Roaming failed: a roaming attribute is missing from the directory schema.',
  },
  4625: {
    name: 'LOGON_FAILED',
    level: 'warning',
    description:
      'A logon failed (Windows Security event 4625): wrong password, unknown user or refused Kerberos ticket.',
  },
});

export const ALL_EVENT_CODES = Object.freeze(Object.values(EVENT_CODES) as [EventCode, ...EventCode[]]);

export const FAILURE_EVENT_CODES = [
  1001, 1002, 1003, 1004, 1005, 1006, 1007, 1008, 1009, 1010, 1011, 1012,
] as const satisfies readonly EventCode[];
export type FailureEventCode = (typeof FAILURE_EVENT_CODES)[number];

/**
 * The Windows code for a failure, for `sync.failed` and `token.rejected`. A Record, so that adding an ErrorCode
 * does not compile until it is mapped here. 1002/1003/1006/1007 (local store and state file) happen on the
 * workstation and no server-side code maps to them.
 */
export const FAILURE_EVENT_CODE_BY_ERROR: Readonly<Record<ErrorCode, FailureEventCode>> = Object.freeze({
  // Invalid input is a failed sync, not a directory problem.
  INVALID_INPUT: 1001,
  INVALID_TOKEN_TYPE: 1001,
  INVALID_TOKEN_ID: 1001,
  INVALID_TOKEN_HASH: 1001,
  INVALID_TIMESTAMP: 1001,
  // A policy that cannot be resolved stops roaming before it starts, like a disabled one.
  INVALID_POLICY: 1009,
  CONTRACT_VIOLATION: 1001,
  // The codec raises these on what it read from the directory.
  VALUE_TRUNCATED: 1004,
  VALUE_MALFORMED: 1004,
  VALUE_LENGTH_MISMATCH: 1004,
  VALUE_TOO_LARGE: 1011,
  UNSAFE_IDENTIFIER: 1004,
  DN_BINARY_MALFORMED: 1004,
  DN_BINARY_DN_MISMATCH: 1004,
  STAMP_MALFORMED: 1004,
  FILETIME_OUT_OF_RANGE: 1004,
  TOKEN_LIMIT_EXCEEDED: 1008,
  TOKEN_SIZE_EXCEEDED: 1011,
  TOTAL_SIZE_EXCEEDED: 1011,
  POLICY_FILTERED: 1009,
  POSSIBLY_PURGED_DELETION: 1001,
  ROAMING_DISABLED: 1009,
  // Reported only once the saga's retries are spent; each lost race before that is directory.write-retried.
  DIRECTORY_STAMP_CHANGED: 1005,
  DIRECTORY_UNAVAILABLE: 1010,
  DIRECTORY_ACCESS_DENIED: 1010,
  DIRECTORY_SCHEMA_MISSING: 1012,
  USER_NOT_FOUND: 1001,
  INVALID_CREDENTIALS: 1001,
  KERBEROS_REFUSED: 1001,
  KERBEROS_FOREIGN_REALM: 1001,
  KERBEROS_NOT_CONFIGURED: 1001,
  INTEGRITY_CHECK_FAILED: 1001,
  CRYPTO_PARSE_FAILED: 1001,
  KEY_MISMATCH: 1001,
  THUMBPRINT_MISMATCH: 1001,
  KEY_UNAVAILABLE: 1001,
  UNAUTHENTICATED: 1001,
  FORBIDDEN: 1001,
  RATE_LIMITED: 1001,
  SESSION_EXPIRED: 1001,
  CLOCK_SKEW: 1001,
  NOT_FOUND: 1001,
  UNSUPPORTED_MEDIA_TYPE: 1001,
  // A refused internal request is an access failure, as Windows reports a denied directory access.
  GRANT_REQUIRED: 1010,
  GRANT_INVALID: 1010,
  GRANT_EXPIRED: 1010,
  GRANT_MISMATCH: 1010,
  STORE_UNWRITABLE: 1001,
  TIMEOUT: 1001,
  SERVICE_UNAVAILABLE: 1001,
  INTERNAL: 1001,
});

export function failureEventCode(code: ErrorCode): FailureEventCode {
  return FAILURE_EVENT_CODE_BY_ERROR[code];
}
