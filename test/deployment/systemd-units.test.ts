// The agent's systemd user units (deploy/systemd), checked offline by systemd-analyze: no systemd runs here.
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

const UNITS = resolve(__dirname, '..', '..', 'deploy', 'systemd');
const AGENT = resolve(__dirname, '..', '..', 'bin', 'credroam-agent');

describe('systemd user units of the agent', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'credroam-units-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const units = readdirSync(UNITS).filter((name) => name.endsWith('.service'));

  it('verify without a warning (the packaged /usr/bin/credroam-agent replaced by this checkout)', async () => {
    expect(units.sort()).toEqual(['credroam-agent-logon-sync.service', 'credroam-agent-watch.service']);
    for (const name of units) {
      const text = readFileSync(join(UNITS, name), 'utf8').replaceAll('/usr/bin/credroam-agent', AGENT);
      writeFileSync(join(dir, name), text);
    }
    const runtime = mkdtempSync(join(dir, 'runtime-'));
    const { stderr } = await promisify(execFile)(
      'systemd-analyze',
      ['verify', '--user', ...units.map((name) => join(dir, name))],
      { env: { ...process.env, XDG_RUNTIME_DIR: runtime } },
    );
    expect(stderr).toBe('');
  });

  it('order the logon sync before enrollment clients, after the daemon that may run it', () => {
    const logonSync = readFileSync(join(UNITS, 'credroam-agent-logon-sync.service'), 'utf8');
    expect(logonSync).toMatch(/^Before=.*\bcertmonger\.service\b/m);
    expect(logonSync).toMatch(/^After=credroam-agent-watch\.service$/m);
    expect(logonSync).toMatch(/^ExecStart=\/usr\/bin\/credroam-agent wait-synced --timeout \d+$/m);
    const dropIn = readFileSync(join(UNITS, 'enrollment-after-logon-sync.conf'), 'utf8');
    expect(dropIn).toMatch(/^After=credroam-agent-logon-sync\.service$/m);
  });
});
