import { Controller, Inject } from '@nestjs/common';
import { Ctx, MessagePattern, Payload, type RmqContext } from '@nestjs/microservices';
import { RPC_PATTERNS } from '@credroam/roaming';
import { RpcHandlerRunner } from '@credroam/messaging';
import { type TokenCryptoServices } from '../token-crypto-services';
import { TOKEN_CRYPTO_SERVICES } from '../token-crypto.tokens';

/** Answering at all proves the broker path; the checks report the keys. */
@Controller()
export class HealthHandler {
  constructor(
    private readonly rpc: RpcHandlerRunner,
    @Inject(TOKEN_CRYPTO_SERVICES) private readonly services: TokenCryptoServices,
  ) {}

  @MessagePattern(RPC_PATTERNS.cryptoHealth)
  health(@Payload() message: unknown, @Ctx() ctx: RmqContext) {
    return this.rpc.run(RPC_PATTERNS.cryptoHealth, message, ctx, async () => this.services.health.check());
  }
}
