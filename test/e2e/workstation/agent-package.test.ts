// The Debian package a fleet installs: built by `npm run package:agent`, installed with dpkg on this machine (the
// suites run as root), run without the repository, and removed cleanly.
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { parseAgentConfig } from '../../../apps/agent/src/config/agent-config';

const ROOT = resolve(__dirname, '..', '..', '..');
const PACKAGE = 'credroam-agent';
const FILES = [
  '/usr/bin/credroam-agent',
  '/usr/lib/credroam-agent/agent.cjs',
  '/usr/share/doc/credroam-agent/pam.example',
  '/usr/share/man/man1/credroam-agent.1.gz',
  '/usr/lib/systemd/user/credroam-agent-watch.service',
  '/usr/lib/systemd/user/credroam-agent-logon-sync.service',
];

function run(
  command: string,
  args: string[],
  cwd = '/',
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    // A clean environment and cwd: nothing of the repository (node_modules, NODE_PATH) helps the installed agent.
    execFile(
      command,
      args,
      { cwd, env: { PATH: '/usr/bin:/bin:/usr/sbin:/sbin' }, timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error ? Number((error as { code?: unknown }).code ?? 1) : 0;
        done({ code: Number.isInteger(code) ? code : 1, stdout, stderr });
      },
    );
  });
}

function packageStatus(): string {
  try {
    return execFileSync('dpkg-query', ['-W', '-f=${db:Status-Abbrev}', PACKAGE], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return 'not known';
  }
}

describe('the credroam-agent Debian package', () => {
  let deb: string;

  beforeAll(async () => {
    if (packageStatus() !== 'not known') execFileSync('dpkg', ['--purge', PACKAGE], { stdio: 'ignore' });
    const built = await run(process.execPath, [join(ROOT, 'scripts', 'package-agent.mjs')], ROOT);
    expect(built).toMatchObject({ code: 0 });
    deb = built.stdout.trim().split('\n').pop() ?? '';
  }, 120_000);

  afterAll(() => {
    if (packageStatus() !== 'not known') execFileSync('dpkg', ['--purge', PACKAGE], { stdio: 'ignore' });
  });

  it('is named credroam-agent_<version>_<arch>.deb and holds the agent, its man page, PAM example and configuration', async () => {
    const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(deb).toBe(join(ROOT, 'dist', 'packages', `${PACKAGE}_${version}_all.deb`));
    const info = await run('dpkg-deb', ['--info', deb]);
    expect(info.stdout).toMatch(/Package: credroam-agent\n/);
    expect(info.stdout).toMatch(/Depends: nodejs \(>= 20\)\n/);
    expect(info.stdout).toMatch(/conffiles/);
    const contents = (await run('dpkg-deb', ['--contents', deb])).stdout;
    for (const file of [...FILES, '/etc/credroam/agent.json']) expect(contents).toContain(`.${file}`);
  });

  it('installs with dpkg -i, runs without the repository, and removes cleanly (purge removes the configuration)', async () => {
    expect(await run('dpkg', ['-i', deb])).toMatchObject({ code: 0 });
    const help = await run('credroam-agent', ['--help']);
    expect(help).toMatchObject({ code: 0, stdout: expect.stringContaining('pam-hook') });
    // Run outside PAM, the hook says so in the system log and still never fails.
    expect(await run('credroam-agent', ['pam-hook'])).toEqual({ code: 0, stdout: '', stderr: '' });
    expect(() =>
      parseAgentConfig(JSON.parse(readFileSync('/etc/credroam/agent.json', 'utf8')), 'agent.json'),
    ).not.toThrow();
    const manPage = gunzipSync(readFileSync('/usr/share/man/man1/credroam-agent.1.gz')).toString();
    expect(manPage).toMatch(/^\.TH CREDROAM-AGENT 1/);

    expect(await run('dpkg', ['-r', PACKAGE])).toMatchObject({ code: 0 });
    for (const file of FILES) expect({ file, exists: existsSync(file) }).toEqual({ file, exists: false });
    // dpkg keeps a removed package's conffiles until it is purged.
    expect(packageStatus()).toBe('rc');
    expect(existsSync('/etc/credroam/agent.json')).toBe(true);
    expect(await run('dpkg', ['--purge', PACKAGE])).toMatchObject({ code: 0 });
    expect(existsSync('/etc/credroam/agent.json')).toBe(false);
    expect(packageStatus()).toBe('not known');
  }, 60_000);
});
