import { type Grantee } from '@credroam/grants';
import { RPC_PATTERNS } from '@credroam/roaming';
import { type GrantedRpcClient } from './granted-rpc.client';
import { type CryptoRepository } from './logon.repositories';

/** The crypto repository over token-crypto's RPC queue; every call for a user's secrets carries a grant for them. */
export class RpcCryptoRepository implements CryptoRepository {
  constructor(private readonly client: GrantedRpcClient) {}

  transportCertificate(correlationId: string) {
    return this.client.rpc.call(RPC_PATTERNS.transportCertificate, {}, { correlationId });
  }

  sealForStorage(
    request: Parameters<CryptoRepository['sealForStorage']>[0],
    grantee: Grantee,
    correlationId: string,
  ) {
    return this.client.call(RPC_PATTERNS.sealForStorage, request, grantee, correlationId);
  }

  sealForDevice(
    request: Parameters<CryptoRepository['sealForDevice']>[0],
    grantee: Grantee,
    correlationId: string,
  ) {
    return this.client.call(RPC_PATTERNS.sealForDevice, request, grantee, correlationId);
  }

  resealPassword(
    request: Parameters<CryptoRepository['resealPassword']>[0],
    grantee: Grantee,
    correlationId: string,
  ) {
    return this.client.call(RPC_PATTERNS.resealPassword, request, grantee, correlationId);
  }
}
