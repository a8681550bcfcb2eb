import { type CliIo } from '../cli/cli-context';

/** Reports how far a long operation got, one short line at a time. */
export type Progress = (line: string) => void;

export const NO_PROGRESS: Progress = () => undefined;

/**
 * A single updating line on stderr, drawn only when stderr is a terminal: piped output, scripts and the PAM hook's
 * worker (whose io has no terminal) see nothing. `done` clears the line before the command prints its result.
 */
export function terminalProgress(io: CliIo): { update: Progress; done: () => void } {
  if (io.stderrIsTerminal !== true) return { update: NO_PROGRESS, done: () => undefined };
  let drawn = false;
  return {
    update: (line) => {
      drawn = true;
      io.stderr(`\r\x1b[2K${line}`);
    },
    done: () => {
      if (drawn) io.stderr('\r\x1b[2K');
      drawn = false;
    },
  };
}
