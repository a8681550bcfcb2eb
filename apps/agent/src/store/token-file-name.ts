import { createHash } from 'node:crypto';
import { type TokenKey } from '@credroam/roaming';

/**
 * A token's file name: SHA-256 of its key, in hex. Identifiers are untrusted (CVE-2022-30170: a roamed id
 * `..\..\Startup\x.bat` became a path), so no part of an id ever reaches the file system.
 */
export function tokenFileName(key: TokenKey): string {
  return `${createHash('sha256').update(`${key.type}\0${key.id}`, 'utf8').digest('hex')}.token`;
}

export const TOKEN_FILE_NAME = /^[0-9a-f]{64}\.token$/;
