import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, readdirSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { RoamingError } from '@credroam/roaming';

/** Temp files are hidden and suffixed, so readers skip them and a store open can sweep what a crash left. */
export const TEMP_PREFIX = '.';
export const TEMP_SUFFIX = '.tmp';

export interface AtomicWriteHooks {
  /** Runs after the temp file is durable and before the rename; specs throw here to simulate a crash. */
  beforeRename?: (tempPath: string, finalPath: string) => void;
}

export interface AtomicWrite {
  path: string;
  data: Buffer | string;
  /** 0600 unless given. */
  mode?: number;
}

/**
 * Replaces a file so that a crash at any point leaves either the old or the new content: temp file in the same
 * directory (same file system, so rename is atomic), fsync, rename, fsync of the directory (so the rename itself
 * survives a power loss).
 *
 * A batch fsyncs each directory once, after all its renames, not once per file: a crash before that fsync may
 * lose some of the renames, which is the same as a crash before they were written, since the caller writes its
 * state file (the record of what the store holds) only after the batch returns.
 */
export class AtomicFileWriter {
  constructor(private readonly hooks: AtomicWriteHooks = {}) {}

  write(path: string, data: Buffer | string, mode = 0o600): void {
    this.writeAll([{ path, data, mode }]);
  }

  /** Replaces every file in order; stops at the first failure, with the files before it replaced. */
  writeAll(files: readonly AtomicWrite[]): void {
    const dirs = new Set<string>();
    try {
      for (const file of files) {
        this.replace(file.path, file.data, file.mode ?? 0o600);
        dirs.add(dirname(file.path));
      }
    } catch (error) {
      // The renames already done are what this process now reads; they must not vanish at a power loss after the
      // caller has gone on (a one-file write had made each durable before the next).
      for (const dir of dirs) syncDirectoryQuietly(dir);
      throw error;
    }
    for (const dir of dirs) syncDirectory(dir);
  }

  /** Removes a file (absent is fine) and makes the removal durable. Returns whether it existed. */
  remove(path: string): boolean {
    try {
      unlinkSync(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw error;
    }
    syncDirectory(dirname(path));
    return true;
  }

  /** Deletes temp files a crash left behind in `dir`. */
  sweep(dir: string): number {
    let removed = 0;
    for (const name of safeReaddir(dir)) {
      if (isTempName(name)) {
        removeQuietly(join(dir, name));
        removed += 1;
      }
    }
    return removed;
  }

  /** Temp file, fsync, rename; the directory fsync is the caller's. */
  private replace(path: string, data: Buffer | string, mode: number): void {
    const temp = join(
      dirname(path),
      `${TEMP_PREFIX}${basename(path)}.${randomBytes(6).toString('hex')}${TEMP_SUFFIX}`,
    );
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    try {
      const fd = openSync(temp, 'wx', mode);
      try {
        let written = 0;
        while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      this.hooks.beforeRename?.(temp, path);
      renameSync(temp, path);
    } catch (error) {
      // A temp file cut short by a full disk is removed at once: it would hold the space the next attempt needs.
      removeQuietly(temp);
      throw storeWriteError(path, error);
    }
  }
}

/** Errors of the file system that say the store cannot take a write now; the file kept its old content. */
const UNWRITABLE = new Set(['ENOSPC', 'EDQUOT', 'EROFS', 'EIO', 'EACCES', 'EPERM', 'EMFILE', 'ENFILE']);

/** A file system error as STORE_UNWRITABLE when it says the store cannot take a write; else the error itself. */
export function storeWriteError(path: string, error: unknown): unknown {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === undefined || !UNWRITABLE.has(code)) return error;
  const why = code === 'ENOSPC' || code === 'EDQUOT' ? 'the disk is full' : code;
  return new RoamingError('STORE_UNWRITABLE', `cannot write ${path} (${why}); it keeps its previous content`);
}

export function isTempName(name: string): boolean {
  return name.startsWith(TEMP_PREFIX) && name.endsWith(TEMP_SUFFIX);
}

export function syncDirectory(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** On a failure path: the error being reported matters more than a second one from the same disk. */
function syncDirectoryQuietly(dir: string): void {
  try {
    syncDirectory(dir);
  } catch {
    // the write's own error is thrown instead
  }
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone, or never created
  }
}
