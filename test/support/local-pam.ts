// A real local account and a real PAM service for one suite (root only): useradd, chpasswd, /etc/pam.d/<service>,
// pamtester. Everything made here is removed by dispose().
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor } from '../helpers/wait-for';

export interface LocalAccount {
  name: string;
  uid: number;
  home: string;
  /** Resolves once the account runs no process any more (the agent's background work has ended). */
  idle(): Promise<void>;
  dispose(): Promise<void>;
}

/** A unique, valid local account name (it must also be the directory's uid of the user). */
export function localAccountName(prefix = 'crpam'): string {
  return `${prefix}${randomBytes(4).toString('hex')}`;
}

export function createLocalAccount(name: string, password: string): LocalAccount {
  execFileSync('useradd', ['--create-home', '--shell', '/bin/sh', name]);
  execFileSync('chpasswd', [], { input: `${name}:${password}\n` });
  const uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8' }).trim());
  const home = join('/home', name);
  statSync(home);
  const idle = async (): Promise<void> => {
    await waitFor(() => !processesOf(uid), {
      description: `the processes of ${name} to end`,
      timeoutMs: 20_000,
    });
  };
  return {
    name,
    uid,
    home,
    idle,
    async dispose() {
      await idle();
      execFileSync('userdel', ['--remove', name], { stdio: 'ignore' });
    },
  };
}

function processesOf(uid: number): boolean {
  try {
    execFileSync('ps', ['-u', String(uid), '-o', 'pid='], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Installs /etc/pam.d/<service> with `lines`; returns a function that removes it. */
export function installPamService(service: string, lines: string[]): () => void {
  const file = join('/etc/pam.d', service);
  writeFileSync(file, `${lines.join('\n')}\n`, { mode: 0o644 });
  return () => rmSync(file, { force: true });
}

/** `pamtester SERVICE USER ...operations` with the password on standard input, as a logon would type it. */
export function pamtester(
  service: string,
  user: string,
  password: string,
  operations: string[],
): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      'pamtester',
      [service, user, ...operations],
      { timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error ? Number((error as { code?: unknown }).code ?? 1) : 0;
        resolve({ code: Number.isInteger(code) ? code : 1, output: `${stdout}${stderr}` });
      },
    );
    child.stdin?.end(`${password}\n`);
  });
}
