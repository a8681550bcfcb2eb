import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { useTempStoreLayout } from '../testing/agent-fixtures';
import { waitFor } from '../../../../test/helpers/wait-for';
import { snapshotOf, StoreWatcher, watchedPaths } from './store-watcher';

describe('store watcher', () => {
  const scratch = useTempStoreLayout();

  it('watches every token type directory, and the paths another module adds', () => {
    const extra = join(scratch.dir, 'nssdb');
    const dirs = watchedPaths(scratch.layout, () => [extra]);
    expect(dirs).toContain(scratch.layout.tokenTypeDir('private-key'));
    expect(dirs[dirs.length - 1]).toBe(extra);
  });

  it('takes snapshots that change with a token file, not with a temp file', () => {
    const dirs = watchedPaths(scratch.layout, () => []);
    const before = snapshotOf(dirs);
    writeFileSync(join(scratch.layout.tokenTypeDir('certificate'), '.x.token.abc.tmp'), 'partial');
    expect(snapshotOf(dirs)).toBe(before);
    writeFileSync(join(scratch.layout.tokenTypeDir('certificate'), 'x.token'), 'whole');
    expect(snapshotOf(dirs)).not.toBe(before);
  });

  it('takes snapshots of a watched file, absent or present', () => {
    const file = join(scratch.dir, 'cert9.db');
    const absent = snapshotOf([file]);
    writeFileSync(file, 'sqlite');
    const present = snapshotOf([file]);
    expect(present).not.toBe(absent);
    writeFileSync(file, 'sqlite, rewritten');
    expect(snapshotOf([file])).not.toBe(present);
  });

  it('reports an atomic write into a type directory', async () => {
    let changes = 0;
    const watcher = new StoreWatcher(
      () => watchedPaths(scratch.layout, () => []),
      () => (changes += 1),
      () => undefined,
    );
    watcher.rearm();
    try {
      const temp = join(scratch.layout.tokenTypeDir('certificate'), '.x.token.abc.tmp');
      writeFileSync(temp, 'content');
      renameSync(temp, join(scratch.layout.tokenTypeDir('certificate'), 'x.token'));
      await waitFor(() => changes > 0, { description: 'a change event' });
    } finally {
      watcher.close();
    }
  });
});
