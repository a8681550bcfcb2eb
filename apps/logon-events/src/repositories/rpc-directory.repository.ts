import { type Grantee } from '@credroam/grants';
import { RPC_PATTERNS, tokenKeyString, type StoredValue, type TokenKey } from '@credroam/roaming';
import { type GrantedRpcClient } from './granted-rpc.client';
import { type DirectoryRepository } from './logon.repositories';

/**
 * The directory repository over directory-gateway's RPC queue. Password and account checks, reads of sealed values
 * and writes carry a grant for the user they concern; metadata reads (lookup, state, stamp, policy) need none.
 */
export class RpcDirectoryRepository implements DirectoryRepository {
  constructor(private readonly client: GrantedRpcClient) {}

  lookupUser(login: string, correlationId: string) {
    return this.client.rpc.call(RPC_PATTERNS.lookupUser, { login }, { correlationId });
  }

  verifyPassword(
    request: { login: string; sealedPassword: string },
    grantee: Grantee,
    correlationId: string,
  ) {
    return this.client.call(RPC_PATTERNS.verifyPassword, request, grantee, correlationId);
  }

  checkAccount(
    request: Parameters<DirectoryRepository['checkAccount']>[0],
    grantee: Grantee,
    correlationId: string,
  ) {
    return this.client.call(RPC_PATTERNS.checkAccount, request, grantee, correlationId);
  }

  readState(userDn: string, correlationId: string) {
    return this.client.rpc.call(RPC_PATTERNS.readState, { userDn }, { correlationId });
  }

  readStamp(userDn: string, correlationId: string) {
    return this.client.rpc.call(RPC_PATTERNS.readStamp, { userDn }, { correlationId });
  }

  applyChanges(
    request: Parameters<DirectoryRepository['applyChanges']>[0],
    grantee: Grantee,
    correlationId: string,
  ) {
    return this.client.call(RPC_PATTERNS.applyChanges, request, grantee, correlationId);
  }

  resolvePolicy(request: { userDn: string; groups: string[] }, correlationId: string) {
    return this.client.rpc.call(RPC_PATTERNS.resolvePolicy, request, { correlationId });
  }

  /** The stored values of `keys`, by token key string. */
  async readStoredValues(
    userDn: string,
    keys: TokenKey[],
    grantee: Grantee,
    correlationId: string,
  ): Promise<Map<string, StoredValue>> {
    if (keys.length === 0) return new Map();
    const request = { userDn, keys };
    const { values } = await this.client.call(RPC_PATTERNS.readValues, request, grantee, correlationId);
    return new Map(values.map((value) => [tokenKeyString(value.token), value]));
  }
}
