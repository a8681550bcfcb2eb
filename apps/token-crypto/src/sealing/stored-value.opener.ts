import { fail, type Result, type StoredValue } from '@credroam/roaming';
import { openStoredValue, tokenHashMatches, wipe } from '@credroam/sealing';
import { type UserKeys } from './user-keys';

/**
 * Opens a value read from the directory: its storage envelope must authenticate against the user, the token
 * key, the key version and the hash of its clear header, and the plaintext must hash to that hash under the
 * user's hash key (a second, independent check of the same binding). The caller wipes the result.
 */
export function openStored(user: UserKeys, item: StoredValue): Result<Buffer> {
  const { token, keyVersion } = item;
  const storageKeys = user.storageKeys(keyVersion);
  if (!storageKeys.ok) return storageKeys;
  const opened = openStoredValue(
    Buffer.from(item.sealed, 'base64'),
    user.storageContext(token, keyVersion),
    storageKeys.value,
  );
  if (!opened.ok) return opened;
  if (!tokenHashMatches(user.hashKey, opened.value, token.hash)) {
    wipe(opened.value);
    return fail('INTEGRITY_CHECK_FAILED', 'the stored value does not match its hash');
  }
  return opened;
}
