import { lstatSync, realpathSync, statSync, type Stats } from 'node:fs';
import { relative, isAbsolute } from 'node:path';
import { RoamingError } from '@credroam/roaming';
import { type StoreLayout } from './store-layout';

/** Group and others: none of their bits may be set on the store or on the files that hold its secrets. */
const OTHERS = 0o077;

/**
 * Refuses a store that is not private to the user running the agent, before anything is read from it: the
 * directory must belong to this user and be closed to others, and the state, session and device key files must be
 * closed to others and must not be symlinks leading out of the store (someone could point them at a file they
 * read, or make the agent overwrite one). Says which file and why, and what to run.
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
  for (const [label, file] of [
    ['state file', layout.stateFile],
    ['state backup', layout.stateBackupFile],
    ['session file', layout.sessionFile],
    ['device key file', layout.deviceKeyFile],
  ] as const) {
    assertFileIsPrivate(label, file, realRoot);
  }
}

function assertFileIsPrivate(label: string, file: string, realRoot: string): void {
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
