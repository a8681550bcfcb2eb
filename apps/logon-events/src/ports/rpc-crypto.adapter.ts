import { type RpcClient } from '@credroam/messaging';
import { RPC_PATTERNS } from '@credroam/roaming';
import { type CryptoPort } from './logon.ports';

/** The crypto port over token-crypto's RPC queue. */
export class RpcCryptoAdapter implements CryptoPort {
  constructor(private readonly rpc: RpcClient) {}

  transportCertificate(correlationId: string) {
    return this.rpc.call(RPC_PATTERNS.transportCertificate, {}, { correlationId });
  }

  sealForStorage(request: Parameters<CryptoPort['sealForStorage']>[0], correlationId: string) {
    return this.rpc.call(RPC_PATTERNS.sealForStorage, request, { correlationId });
  }

  sealForDevice(request: Parameters<CryptoPort['sealForDevice']>[0], correlationId: string) {
    return this.rpc.call(RPC_PATTERNS.sealForDevice, request, { correlationId });
  }

  resealPassword(request: Parameters<CryptoPort['resealPassword']>[0], correlationId: string) {
    return this.rpc.call(RPC_PATTERNS.resealPassword, request, { correlationId });
  }

  health(correlationId: string) {
    return this.rpc.call(RPC_PATTERNS.cryptoHealth, {}, { correlationId, timeoutMs: 3_000 });
  }
}
