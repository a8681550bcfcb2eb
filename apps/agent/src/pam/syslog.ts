import { spawn } from 'node:child_process';

export type SyslogPriority = 'info' | 'notice' | 'err';
export type PamLog = (priority: SyslogPriority, message: string) => void;

/**
 * One line to the system log (journal or syslog) through logger(1), in the authpriv facility where PAM modules
 * log. Under PAM nobody reads the agent's standard output; a machine without a log daemon loses the line, never
 * the logon. Callers never pass a password or a session token.
 */
export const syslog: PamLog = (priority, message) => {
  const child = spawn(
    'logger',
    ['-t', 'credroam-agent', `--id=${process.pid}`, '-p', `authpriv.${priority}`, '--', message],
    { stdio: 'ignore' },
  );
  child.on('error', () => undefined);
};
