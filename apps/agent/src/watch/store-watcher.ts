import { mkdirSync, readdirSync, statSync, watch, type FSWatcher } from 'node:fs';
import { join } from 'node:path';
import { TOKEN_TYPES } from '@credroam/roaming';
import { isTempName } from '../store/atomic-file.writer';
import { type StoreLayout } from '../store/store-layout';

/**
 * The paths whose changes call for a sync: the store's token directories (every type's, created here so they can
 * be watched before the first token of a type arrives), then the `extra` ones (files or directories) a module
 * adds, such as the NSS database a sync keeps in step.
 */
export function watchedPaths(layout: StoreLayout, extra: () => readonly string[]): string[] {
  const tokenDirs = TOKEN_TYPES.map((type) => layout.tokenTypeDir(type));
  for (const dir of tokenDirs) mkdirSync(dir, { recursive: true, mode: 0o700 });
  return [layout.tokensDir, ...tokenDirs, ...extra()];
}

/**
 * What the watched paths hold (size and modification time of each file, of a directory's files, temp files left
 * out): equal snapshots mean nothing changed. The daemon takes one right after each of its syncs, so the events its own
 * writes cause (which may arrive after the sync) lead to no further sync.
 */
export function snapshotOf(paths: readonly string[]): string {
  const lines: string[] = [];
  for (const path of paths) {
    const stat = statOrNull(path);
    if (stat === null) lines.push(`${path}\0absent`);
    else if (!stat.isDirectory()) lines.push(`${path}\0${stat.size}\0${stat.mtimeNs}`);
    else {
      for (const name of namesIn(path)) {
        if (isTempName(name)) continue;
        const entry = statOrNull(join(path, name));
        // A directory's times change with every temp file made in it: only its presence counts.
        if (entry?.isDirectory()) lines.push(`${path}\0${name}\0dir`);
        else if (entry) lines.push(`${path}\0${name}\0${entry.size}\0${entry.mtimeNs}`);
      }
    }
  }
  return lines.join('\n');
}

function namesIn(dir: string): string[] {
  try {
    return readdirSync(dir).sort();
  } catch {
    return [];
  }
}

/** Gone (or never there) is null: removed between a listing and its stat, the next event covers it. */
function statOrNull(path: string) {
  try {
    return statSync(path, { bigint: true });
  } catch {
    return null;
  }
}

/**
 * Watches each path, a directory or a file (directories not recursively: Node's recursive watch is not dependable on Linux, and the store is
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
