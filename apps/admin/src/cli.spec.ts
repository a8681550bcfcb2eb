import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runAdminCli } from './cli';

function io() {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    io: { stdout: (text: string) => void out.push(text), stderr: (text: string) => void err.push(text) },
  };
}

describe('credroam broker', () => {
  it('prints usage with exit code 2 for no command, an unknown one or a missing option', async () => {
    for (const args of [[], ['frobnicate'], ['definitions', '--vhost', 'v'], ['permissions', '--bogus']]) {
      const { err, io: cli } = io();
      expect(await runAdminCli(args, cli)).toBe(2);
      expect(err.join('')).toContain('usage: credroam broker');
    }
  });

  it('refuses a namespace that is not a broker name', async () => {
    const { err, io: cli } = io();
    expect(await runAdminCli(['permissions', '--namespace', 'Bad Name'], cli)).toBe(2);
    expect(err.join('')).toContain('--namespace');
  });

  it('prints the permissions as JSON for scripts', async () => {
    const { out, io: cli } = io();
    expect(await runAdminCli(['permissions', '--json', '--namespace', 'acme'], cli)).toBe(0);
    expect(JSON.parse(out.join(''))).toMatchObject({ hook: { write: '^(acme\\.ingress)$' } });
  });

  it('makes the passwords once (mode 0600) and prints definitions that carry only their hashes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'credroam-admin-'));
    try {
      const passwords = join(dir, 'broker');
      const first = io();
      expect(
        await runAdminCli(['definitions', '--vhost', 'prod', '--password-dir', passwords], first.io),
      ).toBe(0);
      const hookPassword = readFileSync(join(passwords, 'hook.password'), 'utf8').trim();
      expect(statSync(join(passwords, 'hook.password')).mode & 0o777).toBe(0o600);
      expect(first.out.join('')).not.toContain(hookPassword);
      const again = io();
      await runAdminCli(['definitions', '--vhost', 'prod', '--password-dir', passwords], again.io);
      expect(readFileSync(join(passwords, 'hook.password'), 'utf8').trim()).toBe(hookPassword);
      expect(JSON.parse(again.out.join('')).users.map((user: { name: string }) => user.name)).toContain(
        'credroam-hook',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
