import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

  it('reports whether a removed file existed', () => {
    const writer = new AtomicFileWriter();
    writer.write(join(dir, 'a'), 'x');
    expect(writer.remove(join(dir, 'a'))).toBe(true);
    expect(writer.remove(join(dir, 'a'))).toBe(false);
  });
});
