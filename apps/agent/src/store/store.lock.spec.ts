import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StoreLock } from './store.lock';

describe('StoreLock', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'credroam-lock-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('is exclusive while held and free after release', () => {
    const lockFile = join(dir, 'lock');
    writeFileSync(lockFile, String(process.ppid));
    expect(() => new StoreLock(lockFile).acquire()).toThrow(/another credroam-agent/);
    rmSync(lockFile);
    const release = new StoreLock(lockFile).acquire();
    expect(existsSync(lockFile)).toBe(true);
    release();
    expect(existsSync(lockFile)).toBe(false);
  });

  it('takes over a lock whose process is gone', () => {
    const lockFile = join(dir, 'lock');
    writeFileSync(lockFile, '2147483646');
    const release = new StoreLock(lockFile).acquire();
    release();
    expect(existsSync(lockFile)).toBe(false);
  });
});
