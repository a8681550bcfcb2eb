import { type GrantIssuer, type Grantee } from '@credroam/grants';
import { type RpcClient } from '@credroam/messaging';
import { type GrantedPattern, type RpcRequest, type RpcResponse } from '@credroam/roaming';

/** An RPC client whose calls for a user's secrets carry a grant for `grantee`, signed over the request as sent. */
export class GrantedRpcClient {
  constructor(
    readonly rpc: RpcClient,
    private readonly grants: GrantIssuer,
  ) {}

  call<P extends GrantedPattern>(
    pattern: P,
    request: RpcRequest<P>,
    grantee: Grantee,
    correlationId: string,
  ): Promise<RpcResponse<P>> {
    return this.rpc.call(pattern, request, {
      correlationId,
      grant: (payload) => this.grants.issue(pattern, payload, grantee),
    });
  }
}
