import { Controller, Inject } from '@nestjs/common';
import { Ctx, MessagePattern, Payload, type RmqContext } from '@nestjs/microservices';
import { RPC_PATTERNS, unwrap } from '@credroam/roaming';
import { RpcHandlerRunner } from '@credroam/messaging';
import { type TokenCryptoServices } from '../token-crypto-services';
import { TOKEN_CRYPTO_SERVICES } from '../token-crypto.tokens';

@Controller()
export class ResealPasswordHandler {
  constructor(
    private readonly rpc: RpcHandlerRunner,
    @Inject(TOKEN_CRYPTO_SERVICES) private readonly services: TokenCryptoServices,
  ) {}

  @MessagePattern(RPC_PATTERNS.resealPassword)
  resealPassword(@Payload() message: unknown, @Ctx() ctx: RmqContext) {
    return this.rpc.run(RPC_PATTERNS.resealPassword, message, ctx, async (request) =>
      unwrap(this.services.resealPassword.reseal(request)),
    );
  }
}
