import { type GrantIssuer, type Grantee } from '@credroam/grants';
import { type RpcClient } from '@credroam/messaging';
import { RPC_PATTERNS, tokenKeyString, type StoredValue, type TokenKey } from '@credroam/roaming';
import { type DirectoryPort } from './logon.ports';

/**
 * The directory port over directory-gateway's RPC queue. Password checks, reads of sealed values and writes carry a
 * grant for the user they concern; metadata reads (lookup, state, policy) need none.
 */
export class RpcDirectoryAdapter implements DirectoryPort {
  constructor(
    private readonly rpc: RpcClient,
    private readonly grants: GrantIssuer,
  ) {}

  lookupUser(login: string, correlationId: string) {
    return this.rpc.call(RPC_PATTERNS.lookupUser, { login }, { correlationId });
  }

  verifyPassword(
    request: { login: string; sealedPassword: string },
    grantee: Grantee,
    correlationId: string,
  ) {
    return this.rpc.call(RPC_PATTERNS.verifyPassword, request, {
      correlationId,
      grant: (payload) => this.grants.issue(RPC_PATTERNS.verifyPassword, payload, grantee),
    });
  }

  readState(userDn: string, correlationId: string) {
    return this.rpc.call(RPC_PATTERNS.readState, { userDn }, { correlationId });
  }

  applyChanges(
    request: Parameters<DirectoryPort['applyChanges']>[0],
    grantee: Grantee,
    correlationId: string,
  ) {
    return this.rpc.call(RPC_PATTERNS.applyChanges, request, {
      correlationId,
      grant: (payload) => this.grants.issue(RPC_PATTERNS.applyChanges, payload, grantee),
    });
  }

  resolvePolicy(request: { userDn: string; groups: string[] }, correlationId: string) {
    return this.rpc.call(RPC_PATTERNS.resolvePolicy, request, { correlationId });
  }

  /** The stored values of `keys`, by token key string. */
  async readStoredValues(
    userDn: string,
    keys: TokenKey[],
    grantee: Grantee,
    correlationId: string,
  ): Promise<Map<string, StoredValue>> {
    if (keys.length === 0) return new Map();
    const { values } = await this.rpc.call(
      RPC_PATTERNS.readValues,
      { userDn, keys },
      {
        correlationId,
        grant: (payload) => this.grants.issue(RPC_PATTERNS.readValues, payload, grantee),
      },
    );
    return new Map(values.map((value) => [tokenKeyString(value.token), value]));
  }
}
