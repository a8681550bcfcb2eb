import { mkdirSync, readdirSync, statSync, watch, type FSWatcher } from 'node:fs';
import { join } from 'node:path';
import { TOKEN_TYPES } from '@credroam/roaming';
import { isTempName } from '../store/atomic-file.writer';
import { type StoreLayout } from '../store/store-layout';

/**
 * The directories whose changes call for a sync: the store's token directories (every type's, created here so
 * they can be watched before the first token of a type arrives), then whatever else a module adds to
 * `extraWatchedPaths` (e.g. a database that is synced into the store before each sync).
 */
export function watchedDirectories(layout: StoreLayout, extra: () => readonly string[]): string[] {
  const tokenDirs = TOKEN_TYPES.map((type) => layout.tokenTypeDir(type));
  for (const dir of tokenDirs) mkdirSync(dir, { recursive: true, mode: 0o700 });
  return [layout.tokensDir, ...tokenDirs, ...extra()];
}

/**
 * What the watched directories hold (name, size, modification time of each file, temp files left out): equal
 * snapshots mean nothing changed. The daemon takes one right after each of its syncs, so the events its own
 * writes cause (which may arrive after the sync) lead to no further sync.
 */
export function snapshotOf(dirs: readonly string[]): string {
  const lines: string[] = [];
  for (const dir of dirs) {
    let names: string[];
    try {
      names = readdirSync(dir).sort();
    } catch {
      lines.push(`${dir}\0absent`);
      continue;
    }
    for (const name of names) {
      if (isTempName(name)) continue;
      try {
        const stat = statSync(join(dir, name), { bigint: true });
        // A directory's times change with every temp file made in it: only its presence counts.
        lines.push(
          stat.isDirectory() ? `${dir}\0${name}\0dir` : `${dir}\0${name}\0${stat.size}\0${stat.mtimeNs}`,
        );
      } catch {
        // removed between readdir and stat: the next event covers it
      }
    }
  }
  return lines.join('\n');
}

/**
 * Watches each directory (not recursively: Node's recursive watch is not dependable on Linux, and the store is
 * flat per type) and calls `changed` on any event. A watch that fails (its directory removed) is re-armed by
 * `rearm`, which the daemon calls after every sync.
 */
export class StoreWatcher {
  private readonly watchers = new Map<string, FSWatcher>();
  private readonly warned = new Set<string>();

  constructor(
    private readonly dirs: () => readonly string[],
    private readonly changed: () => void,
    private readonly warn: (message: string) => void,
  ) {}

  rearm(): void {
    for (const dir of this.dirs()) {
      if (this.watchers.has(dir)) continue;
      try {
        const watcher = watch(dir, { persistent: false }, (_event, name) => {
          if (name === null || !isTempName(name.toString())) this.changed();
        });
        watcher.on('error', () => {
          watcher.close();
          this.watchers.delete(dir);
          this.changed();
        });
        this.watchers.set(dir, watcher);
      } catch (error) {
        if (this.warned.has(dir)) continue;
        this.warned.add(dir);
        this.warn(`cannot watch ${dir} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
      }
    }
  }

  close(): void {
    for (const watcher of this.watchers.values()) watcher.close();
    this.watchers.clear();
  }
}
