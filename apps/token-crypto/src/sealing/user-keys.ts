import { type Result, type TokenMeta } from '@credroam/roaming';
import { wipe, wipeStorageKeys, type StorageContext, type StorageKeys } from '@credroam/sealing';
import { type KeyRepository } from '../keys/key.repository';

/**
 * One user's derived keys for the length of one request: each is derived once per batch (HKDF is cheap, but not
 * free at thousands of items) and all are wiped when the request is done.
 */
export class UserKeys {
  private readonly storage = new Map<number, Result<StorageKeys>>();
  private hash: Buffer | undefined;

  constructor(
    private readonly keys: KeyRepository,
    readonly stableId: string,
  ) {}

  get hashKey(): Buffer {
    this.hash ??= this.keys.hashKey(this.stableId);
    return this.hash;
  }

  storageKeys(version: number): Result<StorageKeys> {
    let derived = this.storage.get(version);
    if (!derived) {
      derived = this.keys.storageKeys(version, this.stableId);
      this.storage.set(version, derived);
    }
    return derived;
  }

  /** What a stored value of `token` is bound to: sealing and opening must name exactly the same. */
  storageContext(token: TokenMeta, keyVersion: number): StorageContext {
    return {
      stableId: this.stableId,
      type: token.type,
      id: token.id,
      keyVersion,
      hash: token.hash,
      size: token.size,
    };
  }

  dispose(): void {
    wipe(this.hash);
    for (const derived of this.storage.values()) if (derived.ok) wipeStorageKeys(derived.value);
    this.storage.clear();
  }
}

/** Runs `work` with the user's keys and wipes them afterwards, whatever happens. */
export async function withUserKeys<T>(
  keys: KeyRepository,
  stableId: string,
  work: (user: UserKeys) => Promise<T>,
): Promise<T> {
  const user = new UserKeys(keys, stableId);
  try {
    return await work(user);
  } finally {
    user.dispose();
  }
}
