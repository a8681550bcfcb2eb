import { lstatSync, realpathSync, statSync, type Stats } from 'node:fs';
import { relative, isAbsolute } from 'node:path';
import { RoamingError, TOKEN_TYPES } from '@credroam/roaming';
import { type StoreLayout } from './store-layout';

/** Group and others: none of their bits may be set on the store or on the files that hold its secrets. */
const OTHERS = 0o077;

/**
 * Refuses a store that is not private to the user running the agent, before anything is read from it: the
 * directory and the token directories must belong to this user, be closed to others and be real directories, and
 * every file of fixed name must belong to this user, be closed to others and not be a symlink leading out of the
 * store (someone could point it at a file they read, or make the agent overwrite one; a file of another owner
 * could be replaced under the agent by that owner). Says which file and why, and what to run.
 */
export function assertStoreIsPrivate(
  layout: StoreLayout,
  uid: number | undefined = process.getuid?.(),
): void {
  const root = statSync(layout.root);
  if (!root.isDirectory()) refuse(`store ${layout.root} is not a directory`);
  if (uid !== undefined && root.uid !== uid) {
    refuse(`store ${layout.root} belongs to uid ${root.uid}, not to this user (uid ${uid})`);
  }
  if ((root.mode & OTHERS) !== 0) {
    refuse(
      `store ${layout.root} is open to other users (mode ${octal(root.mode)}): run "chmod 700 ${layout.root}"`,
    );
  }
  const realRoot = realpathSync(layout.root);
  for (const dir of [layout.tokensDir, ...TOKEN_TYPES.map((type) => layout.tokenTypeDir(type))]) {
    assertDirectoryIsPrivate(dir, uid);
  }
  for (const [label, file] of [
    ['state file', layout.stateFile],
    ['state backup', layout.stateBackupFile],
    ['session file', layout.sessionFile],
    ['device key file', layout.deviceKeyFile],
    ['token records', layout.tokenRecordsFile],
    ['Windows roamed file', layout.windowsRoamedFile],
    ['lock file', layout.lockFile],
  ] as const) {
    assertFileIsPrivate(label, file, realRoot, uid);
  }
}

/** A directory of the store: absent, or a real directory (never a symlink) of this user, closed to others. */
function assertDirectoryIsPrivate(dir: string, uid: number | undefined): void {
  let stats: Stats;
  try {
    stats = lstatSync(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  if (!stats.isDirectory()) refuse(`${dir} is not a directory (a symlink?); remove it`);
  if (uid !== undefined && stats.uid !== uid) {
    refuse(`${dir} belongs to uid ${stats.uid}, not to this user (uid ${uid})`);
  }
  if ((stats.mode & OTHERS) !== 0) {
    refuse(`${dir} is open to other users (mode ${octal(stats.mode)}): run "chmod 700 ${dir}"`);
  }
}

function assertFileIsPrivate(label: string, file: string, realRoot: string, uid: number | undefined): void {
  let stats: Stats;
  try {
    stats = lstatSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  if (stats.isSymbolicLink()) {
    let target: string;
    try {
      target = realpathSync(file);
    } catch {
      refuse(`${label} ${file} is a symlink to nothing; remove it`);
    }
    const inside = relative(realRoot, target);
    if (inside === '' || inside.startsWith('..') || isAbsolute(inside)) {
      refuse(`${label} ${file} is a symlink to ${target}, outside the store; remove it`);
    }
    stats = statSync(file);
  }
  if (!stats.isFile()) refuse(`${label} ${file} is not a regular file`);
  if (uid !== undefined && stats.uid !== uid) {
    refuse(`${label} ${file} belongs to uid ${stats.uid}, not to this user (uid ${uid}); remove it`);
  }
  if ((stats.mode & OTHERS) !== 0) {
    refuse(`${label} ${file} is open to other users (mode ${octal(stats.mode)}): run "chmod 600 ${file}"`);
  }
}

function octal(mode: number): string {
  return `0${(mode & 0o777).toString(8)}`;
}

function refuse(message: string): never {
  throw new RoamingError('FORBIDDEN', `refusing the store: ${message}`);
}
