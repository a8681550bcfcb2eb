import { RoamingError, type ErrorCode } from '@credroam/roaming';

export const EXIT = Object.freeze({
  ok: 0,
  failed: 1,
  usage: 2,
  notLoggedIn: 3,
  unreachable: 4,
});
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** A command line the agent cannot act on: wrong command, option or argument. */
export class UsageError extends Error {
  override readonly name = 'UsageError';

  /** `complete`: the message already says what to do, so no "run --help" line follows it. */
  constructor(
    message: string,
    readonly complete = false,
  ) {
    super(message);
  }
}

export function exitCodeForCode(code: ErrorCode): ExitCode {
  switch (code) {
    case 'UNAUTHENTICATED':
    case 'SESSION_EXPIRED':
    case 'INVALID_CREDENTIALS':
    case 'KERBEROS_REFUSED':
    case 'KERBEROS_FOREIGN_REALM':
      return EXIT.notLoggedIn;
    case 'SERVICE_UNAVAILABLE':
    case 'TIMEOUT':
      return EXIT.unreachable;
    default:
      return EXIT.failed;
  }
}

export function exitCodeFor(error: unknown): ExitCode {
  if (error instanceof UsageError) return EXIT.usage;
  if (error instanceof RoamingError) return exitCodeForCode(error.code);
  return EXIT.failed;
}

/** One line, whatever the error: no stack traces for users, nothing that could carry a secret. */
export function describeFailure(error: unknown): string {
  if (error instanceof UsageError) return error.message;
  if (error instanceof RoamingError) return `${error.message} [${error.code}]`;
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0] ?? 'unexpected error';
}
