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

/**
 * Replaces a file so that a crash at any point leaves either the old or the new content: temp file in the same
 * directory (same file system, so rename is atomic), fsync, rename, fsync of the directory (so the rename itself
 * survives a power loss).
 */
export class AtomicFileWriter {
  constructor(private readonly hooks: AtomicWriteHooks = {}) {}

  write(path: string, data: Buffer | string, mode = 0o600): void {
    const dir = dirname(path);
    const temp = join(dir, `${TEMP_PREFIX}${basename(path)}.${randomBytes(6).toString('hex')}${TEMP_SUFFIX}`);
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
    syncDirectory(dir);
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
