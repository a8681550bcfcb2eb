import { type GrantIssuer, type Grantee } from '@credroam/grants';
import { type RpcClient } from '@credroam/messaging';
import { RPC_PATTERNS } from '@credroam/roaming';
import { type CryptoPort } from './logon.ports';

/** The crypto port over token-crypto's RPC queue; every call for a user's secrets carries a grant for them. */
export class RpcCryptoAdapter implements CryptoPort {
  constructor(
    private readonly rpc: RpcClient,
    private readonly grants: GrantIssuer,
  ) {}

  transportCertificate(correlationId: string) {
    return this.rpc.call(RPC_PATTERNS.transportCertificate, {}, { correlationId });
  }

  sealForStorage(
    request: Parameters<CryptoPort['sealForStorage']>[0],
    grantee: Grantee,
    correlationId: string,
  ) {
    return this.rpc.call(RPC_PATTERNS.sealForStorage, request, {
      correlationId,
      grant: (payload) => this.grants.issue(RPC_PATTERNS.sealForStorage, payload, grantee),
    });
  }

  sealForDevice(
    request: Parameters<CryptoPort['sealForDevice']>[0],
    grantee: Grantee,
    correlationId: string,
  ) {
    return this.rpc.call(RPC_PATTERNS.sealForDevice, request, {
      correlationId,
      grant: (payload) => this.grants.issue(RPC_PATTERNS.sealForDevice, payload, grantee),
    });
  }

  resealPassword(
    request: Parameters<CryptoPort['resealPassword']>[0],
    grantee: Grantee,
    correlationId: string,
  ) {
    return this.rpc.call(RPC_PATTERNS.resealPassword, request, {
      correlationId,
      grant: (payload) => this.grants.issue(RPC_PATTERNS.resealPassword, payload, grantee),
    });
  }
}
