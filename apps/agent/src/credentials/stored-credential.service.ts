import {
  describeUntrusted,
  isSafeTokenId,
  NO_FLAGS,
  NON_PRINTABLE,
  RoamingError,
  type TokenMeta,
} from '@credroam/roaming';
import { tokenHash } from '@credroam/sealing';
import { type AgentStore } from '../store/agent-store';
import { requireSession } from '../sync/credentials';

/** Windows' CRED_MAX_CREDENTIAL_BLOB_SIZE (5 * 512 bytes). */
export const MAX_SECRET_BYTES = 2560;
/** Windows' CRED_MAX_USERNAME_LENGTH. */
export const MAX_USER_NAME_LENGTH = 513;

/**
 * The content of a stored-credential token: UTF-8 JSON with the keys in this order, the secret in base64, the
 * user name absent when not given. Deterministic, so setting the same secret again changes nothing.
 */
export interface StoredCredentialContent {
  format: 1;
  userName?: string;
  secret: string;
}

export interface SetCredentialResult {
  type: 'stored-credential';
  id: string;
  status: 'added' | 'updated' | 'unchanged';
  modifiedAt: number;
}

export function encodeStoredCredential(secret: Buffer, userName?: string): Buffer {
  const content: StoredCredentialContent = {
    format: 1,
    ...(userName === undefined ? {} : { userName }),
    secret: secret.toString('base64'),
  };
  return Buffer.from(JSON.stringify(content), 'utf8');
}

/**
 * Creates or edits a stored credential (a Windows credential-manager entry): the id is its target name, the
 * content the secret and the optional user name. An edit gets a modifiedAt later than the one it replaces, so it
 * wins over the version it edited and is the side a conflict compares.
 */
export class StoredCredentialService {
  constructor(
    private readonly store: AgentStore,
    private readonly now: () => number,
  ) {}

  set(target: string, secret: Buffer, userName?: string): SetCredentialResult {
    if (!isSafeTokenId('stored-credential', target)) {
      throw new RoamingError(
        'INVALID_TOKEN_ID',
        `${describeUntrusted(target)} is not a valid stored-credential target (printable text of 1-93 UTF-8 bytes)`,
      );
    }
    if (secret.length === 0 || secret.length > MAX_SECRET_BYTES) {
      throw new RoamingError('INVALID_INPUT', `the secret must be 1-${MAX_SECRET_BYTES} bytes`);
    }
    if (
      userName !== undefined &&
      (userName.length === 0 || userName.length > MAX_USER_NAME_LENGTH || NON_PRINTABLE.test(userName))
    ) {
      throw new RoamingError(
        'INVALID_INPUT',
        `the user name must be printable text of 1-${MAX_USER_NAME_LENGTH} characters`,
      );
    }
    const { hashKey } = requireSession(this.store, this.now());
    const content = encodeStoredCredential(secret, userName);
    const hash = tokenHash(hashKey, content);
    const key = { type: 'stored-credential' as const, id: target };
    const existing = this.store.tokens.get(key);
    if (existing && existing.meta.hash === hash) {
      return { ...key, status: 'unchanged', modifiedAt: existing.meta.modifiedAt };
    }
    const modifiedAt = existing ? Math.max(this.now(), existing.meta.modifiedAt + 1) : this.now();
    const meta: TokenMeta = {
      ...key,
      modifiedAt,
      hash,
      size: content.length,
      flags: existing?.meta.flags ?? NO_FLAGS,
    };
    this.store.tokens.put({ meta, content });
    this.store.records.markImported([key]);
    return { ...key, status: existing ? 'updated' : 'added', modifiedAt };
  }
}
