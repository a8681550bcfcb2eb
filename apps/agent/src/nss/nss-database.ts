import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';

/** The shared NSS database of a user on Linux: what Chromium, Firefox (shared db), Evolution, NetworkManager read. */
export function defaultNssDatabase(home: string = homedir()): string {
  return join(home, '.pki', 'nssdb');
}

/**
 * The NSS database to mirror into, or null when the NSS sync is off: `--nssdb DIR`, else CREDROAM_NSSDB, else the
 * configuration's `nssdb` (true: the default database; a string: that directory). A relative path is taken from
 * the working directory.
 */
export function resolveNssDatabase(
  option: string | undefined,
  env: NodeJS.ProcessEnv,
  configured: boolean | string | undefined = undefined,
  home: string = homedir(),
): string | null {
  const chosen = option ?? (env.CREDROAM_NSSDB || undefined) ?? configured;
  if (chosen === undefined || chosen === false) return null;
  if (chosen === true) return defaultNssDatabase(home);
  return isAbsolute(chosen) ? chosen : resolve(chosen);
}

/**
 * The files whose change means the user (or an application) changed the database: what the store-change trigger
 * watches. cert9.db holds the certificates, key4.db the keys; SQLite rewrites them in place (and a -journal
 * beside them while it writes), so watch these paths, or the directory filtered to them.
 */
export function nssWatchPaths(directory: string): string[] {
  return [join(directory, 'cert9.db'), join(directory, 'key4.db')];
}
