import { type WorkstationFailureCode } from '@credroam/roaming';

/**
 * A failure of this workstation's own files, tagged with its Windows code (1003 store write, 1007 state file
 * write) so the sync can report it to the audit before it fails the command.
 */
export class LocalFailure extends Error {
  override readonly name = 'LocalFailure';

  constructor(
    readonly code: WorkstationFailureCode,
    message: string,
  ) {
    super(message);
  }
}

/** Runs a local write; a file system error comes out as a LocalFailure with `code`, anything else unchanged. */
export function localWrite<T>(code: WorkstationFailureCode, what: string, write: () => T): T {
  try {
    return write();
  } catch (error) {
    const fsCode = (error as NodeJS.ErrnoException).code;
    if (typeof fsCode !== 'string' || !/^E[A-Z]+$/.test(fsCode)) throw error;
    throw new LocalFailure(code, `${what} failed: ${(error as Error).message}`);
  }
}
