import {
  InsufficientAccessError,
  InvalidCredentialsError,
  NoSuchObjectError,
  ObjectClassViolationError,
  ResultCodeError,
  UndefinedTypeError,
} from 'ldapts';
import { RoamingError } from '@credroam/roaming';

/**
 * How an LDAP failure reaches callers. Result codes are the server's verdict on the request; anything without
 * one (refused connection, reset socket, timeout) means the directory is unreachable right now: retryable.
 */
export function toRoamingError(error: unknown, operation: string): RoamingError {
  if (error instanceof RoamingError) return error;
  if (error instanceof InvalidCredentialsError)
    return new RoamingError('INVALID_CREDENTIALS', 'the user name or password is wrong');
  if (error instanceof InsufficientAccessError) {
    return new RoamingError(
      'DIRECTORY_ACCESS_DENIED',
      `the directory refused ${operation} (insufficient access)`,
    );
  }
  if (error instanceof NoSuchObjectError)
    return new RoamingError('USER_NOT_FOUND', `no such entry for ${operation}`);
  if (error instanceof UndefinedTypeError || error instanceof ObjectClassViolationError) {
    return new RoamingError(
      'DIRECTORY_SCHEMA_MISSING',
      `the directory lacks the roaming schema for ${operation} (${(error as Error).message}); load deploy/openldap/credroam.schema`,
    );
  }
  if (error instanceof ResultCodeError) {
    return new RoamingError(
      'DIRECTORY_UNAVAILABLE',
      `${operation} failed with LDAP result ${error.code}: ${error.message}`,
      { ldapResultCode: error.code },
    );
  }
  const message = error instanceof Error ? error.message : String(error);
  return new RoamingError(
    'DIRECTORY_UNAVAILABLE',
    `the directory is unreachable during ${operation}: ${message}`,
  );
}

/** LDAP results of a compare-and-swap modify that lost its race: noSuchAttribute, constraintViolation (a second
 * stamp), attributeOrValueExists. */
const LOST_RACE_RESULT_CODES: ReadonlySet<unknown> = new Set([16, 19, 20]);

export function isLostRace(error: RoamingError): boolean {
  return LOST_RACE_RESULT_CODES.has(error.details?.ldapResultCode);
}

/** Failures after which the connection itself can no longer be trusted (and may have lost its bind). */
export function isConnectionFailure(error: unknown): boolean {
  return !(error instanceof ResultCodeError);
}
