import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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

  it('waits for a live holder to release the lock, and gives up at the deadline', async () => {
    const lockFile = join(dir, 'lock');
    writeFileSync(lockFile, String(process.ppid));
    let polls = 0;
    const release = await new StoreLock(lockFile).acquireWaiting(60_000, async () => {
      polls += 1;
      if (polls === 3) rmSync(lockFile);
    });
    expect(polls).toBe(3);
    expect(readFileSync(lockFile, 'utf8')).toBe(String(process.pid));
    release();
    writeFileSync(lockFile, String(process.ppid));
    await expect(new StoreLock(lockFile).acquireWaiting(0)).rejects.toThrow(/another credroam-agent/);
  });
});
