import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { StoreLayout } from '../store/store-layout';
import { tempStoreDir } from '../testing/agent-fixtures';
import { waitFor } from '../../../../test/helpers/wait-for';
import { snapshotOf, StoreWatcher, watchedDirectories } from './store-watcher';

describe('store watcher', () => {
  let dir: string;
  let layout: StoreLayout;
  beforeEach(() => {
    dir = tempStoreDir();
    layout = new StoreLayout(join(dir, 'store'));
    layout.ensure();
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('watches every token type directory, and the paths another module adds', () => {
    const extra = join(dir, 'nssdb');
    const dirs = watchedDirectories(layout, () => [extra]);
    expect(dirs).toContain(layout.tokenTypeDir('private-key'));
    expect(dirs[dirs.length - 1]).toBe(extra);
  });

  it('takes snapshots that change with a token file, not with a temp file', () => {
    const dirs = watchedDirectories(layout, () => []);
    const before = snapshotOf(dirs);
    writeFileSync(join(layout.tokenTypeDir('certificate'), '.x.token.abc.tmp'), 'partial');
    expect(snapshotOf(dirs)).toBe(before);
    writeFileSync(join(layout.tokenTypeDir('certificate'), 'x.token'), 'whole');
    expect(snapshotOf(dirs)).not.toBe(before);
  });

  it('reports an atomic write into a type directory', async () => {
    let changes = 0;
    const watcher = new StoreWatcher(
      () => watchedDirectories(layout, () => []),
      () => (changes += 1),
      () => undefined,
    );
    watcher.rearm();
    try {
      const temp = join(layout.tokenTypeDir('certificate'), '.x.token.abc.tmp');
      writeFileSync(temp, 'content');
      renameSync(temp, join(layout.tokenTypeDir('certificate'), 'x.token'));
      await waitFor(() => changes > 0, { description: 'a change event' });
    } finally {
      watcher.close();
    }
  });
});
