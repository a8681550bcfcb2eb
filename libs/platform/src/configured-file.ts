import { readFileSync } from 'node:fs';
import { RoamingError } from '@credroam/roaming';

/**
 * The text of a key, password or CA file that the configuration names, or KEY_UNAVAILABLE saying which file and
 * what it was for: a service or CLI that cannot read it must stop with that, not with a bare ENOENT.
 */
export function readConfiguredFile(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new RoamingError(
      'KEY_UNAVAILABLE',
      `cannot read ${what} from ${path}: ${(error as Error).message}`,
    );
  }
}
