// The default import is the module object itself (a namespace import would be a copy), so spies reach the writer.
import fs from 'node:fs';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RoamingError } from '@credroam/roaming';
import { AtomicFileWriter, isTempName } from './atomic-file.writer';

class SimulatedCrash extends Error {}

describe('AtomicFileWriter', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'credroam-atomic-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('replaces a file with mode 0600 and leaves no temp file', () => {
    const file = join(dir, 'state.json');
    const writer = new AtomicFileWriter();
    writer.write(file, 'old');
    writer.write(file, 'new');
    expect(readFileSync(file, 'utf8')).toBe('new');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir)).toEqual(['state.json']);
  });

  it('keeps the old content when the process dies between the temp write and the rename', () => {
    const file = join(dir, 'state.json');
    new AtomicFileWriter().write(file, 'old');
    let tempSeen = '';
    const crashing = new AtomicFileWriter({
      beforeRename: (temp) => {
        tempSeen = temp;
        expect(readFileSync(temp, 'utf8')).toBe('new');
        throw new SimulatedCrash('power lost');
      },
    });
    expect(() => crashing.write(file, 'new')).toThrow(SimulatedCrash);
    expect(readFileSync(file, 'utf8')).toBe('old');
    expect(isTempName(tempSeen.slice(dir.length + 1))).toBe(true);
  });

  it('sweeps temp files a crash left behind, and only those', () => {
    writeFileSync(join(dir, '.state.json.abc123.tmp'), 'half');
    writeFileSync(join(dir, 'state.json'), 'kept');
    expect(new AtomicFileWriter().sweep(dir)).toBe(1);
    expect(readdirSync(dir)).toEqual(['state.json']);
  });

  describe('writeAll', () => {
    afterEach(() => jest.restoreAllMocks());

    /** Counts fsyncs of files and of each directory, still doing them. */
    function countFsyncs(): { files: number; dirs: Map<string, number> } {
      const counts = { files: 0, dirs: new Map<string, number>() };
      const real = fs.fsyncSync;
      const byFd = new Map<number, string>();
      const realOpen = fs.openSync;
      jest.spyOn(fs, 'openSync').mockImplementation((path, flags, mode) => {
        const fd = realOpen(path, flags, mode);
        byFd.set(fd, String(path));
        return fd;
      });
      jest.spyOn(fs, 'fsyncSync').mockImplementation((fd) => {
        if (fs.fstatSync(fd).isDirectory()) {
          const path = byFd.get(fd) ?? '?';
          counts.dirs.set(path, (counts.dirs.get(path) ?? 0) + 1);
        } else {
          counts.files += 1;
        }
        real(fd);
      });
      return counts;
    }

    it('writes every file with its content and mode 0600, fsyncing each directory once', () => {
      mkdirSync(join(dir, 'a'));
      mkdirSync(join(dir, 'b'));
      const files = [
        { path: join(dir, 'a', 'one'), data: 'first' },
        { path: join(dir, 'b', 'two'), data: Buffer.from('second') },
        { path: join(dir, 'a', 'three'), data: 'third' },
      ];
      const fsyncs = countFsyncs();
      new AtomicFileWriter().writeAll(files);
      for (const file of files) {
        expect(readFileSync(file.path, 'utf8')).toBe(file.data.toString());
        expect(statSync(file.path).mode & 0o777).toBe(0o600);
      }
      expect(readdirSync(join(dir, 'a')).sort()).toEqual(['one', 'three']);
      expect(readdirSync(join(dir, 'b'))).toEqual(['two']);
      expect(fsyncs.files).toBe(3);
      expect(Object.fromEntries(fsyncs.dirs)).toEqual({ [join(dir, 'a')]: 1, [join(dir, 'b')]: 1 });
    });

    it('stops at a failure: earlier files replaced, later ones untouched, no temp file left', () => {
      const paths = ['one', 'two', 'three'].map((name) => join(dir, name));
      for (const path of paths) writeFileSync(path, 'old');
      let renames = 0;
      const failing = new AtomicFileWriter({
        beforeRename: () => {
          renames += 1;
          if (renames === 2) throw new SimulatedCrash('power lost');
        },
      });
      expect(() => failing.writeAll(paths.map((path) => ({ path, data: 'new' })))).toThrow(SimulatedCrash);
      expect(paths.map((path) => readFileSync(path, 'utf8'))).toEqual(['new', 'old', 'old']);
      expect(readdirSync(dir).sort()).toEqual(['one', 'three', 'two']);
    });

    it('maps a file system error as write does and still makes the earlier renames durable', () => {
      const paths = ['one', 'two', 'three'].map((name) => join(dir, name));
      let renames = 0;
      const full = new AtomicFileWriter({
        beforeRename: () => {
          renames += 1;
          if (renames === 2) throw Object.assign(new Error('ENOSPC: no space left'), { code: 'ENOSPC' });
        },
      });
      const fsyncs = countFsyncs();
      let thrown: unknown;
      try {
        full.writeAll(paths.map((path) => ({ path, data: 'new' })));
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(RoamingError);
      expect(thrown).toMatchObject({ code: 'STORE_UNWRITABLE' });
      expect((thrown as Error).message).toContain(paths[1]);
      expect(readdirSync(dir)).toEqual(['one']);
      expect(Object.fromEntries(fsyncs.dirs)).toEqual({ [dir]: 1 });
    });

    it('does nothing for an empty batch', () => {
      const fsyncs = countFsyncs();
      new AtomicFileWriter().writeAll([]);
      expect(readdirSync(dir)).toEqual([]);
      expect(fsyncs.files + fsyncs.dirs.size).toBe(0);
    });
  });

  it('reports whether a removed file existed', () => {
    const writer = new AtomicFileWriter();
    writer.write(join(dir, 'a'), 'x');
    expect(writer.remove(join(dir, 'a'))).toBe(true);
    expect(writer.remove(join(dir, 'a'))).toBe(false);
  });
});
