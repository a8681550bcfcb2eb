/** Where a command writes: the process's streams, or a recorder in tests. */
export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** stderr is a terminal: progress lines are worth printing. */
  interactive?: boolean;
}

export const processIo: CliIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  interactive: process.stderr.isTTY === true,
};

/** A wrong command line: exit code 2 with the usage line. */
export class UsageError extends Error {}

/** A wrong command line: ours, or node:util parseArgs' (its errors carry an ERR_PARSE_ARGS_* code). */
export function isUsageError(error: unknown): error is Error {
  const code = (error as { code?: unknown } | null)?.code;
  return error instanceof UsageError || (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS'));
}
