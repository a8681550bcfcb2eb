import { type Grantee } from '@credroam/grants';
import { RPC_PATTERNS } from '@credroam/roaming';
import { type GrantedRpcClient } from './granted-rpc.client';
import { type CryptoPort } from './logon.ports';

/** The crypto port over token-crypto's RPC queue; every call for a user's secrets carries a grant for them. */
export class RpcCryptoAdapter implements CryptoPort {
  constructor(private readonly client: GrantedRpcClient) {}

  transportCertificate(correlationId: string) {
    return this.client.rpc.call(RPC_PATTERNS.transportCertificate, {}, { correlationId });
  }

  sealForStorage(
    request: Parameters<CryptoPort['sealForStorage']>[0],
    grantee: Grantee,
    correlationId: string,
  ) {
    return this.client.call(RPC_PATTERNS.sealForStorage, request, grantee, correlationId);
  }

  sealForDevice(
    request: Parameters<CryptoPort['sealForDevice']>[0],
    grantee: Grantee,
    correlationId: string,
  ) {
    return this.client.call(RPC_PATTERNS.sealForDevice, request, grantee, correlationId);
  }

  resealPassword(
    request: Parameters<CryptoPort['resealPassword']>[0],
    grantee: Grantee,
    correlationId: string,
  ) {
    return this.client.call(RPC_PATTERNS.resealPassword, request, grantee, correlationId);
  }
}
