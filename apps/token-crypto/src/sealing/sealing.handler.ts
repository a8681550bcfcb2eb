import { Controller, Inject } from '@nestjs/common';
import { Ctx, MessagePattern, Payload, type RmqContext } from '@nestjs/microservices';
import { RPC_PATTERNS, unwrap } from '@credroam/roaming';
import { RpcHandlerRunner } from '@credroam/messaging';
import { type TokenCryptoServices } from '../token-crypto-services';
import { TOKEN_CRYPTO_SERVICES } from '../token-crypto.tokens';

@Controller()
export class SealingHandler {
  constructor(
    private readonly rpc: RpcHandlerRunner,
    @Inject(TOKEN_CRYPTO_SERVICES) private readonly services: TokenCryptoServices,
  ) {}

  @MessagePattern(RPC_PATTERNS.sealForStorage)
  sealForStorage(@Payload() message: unknown, @Ctx() ctx: RmqContext) {
    return this.rpc.run(RPC_PATTERNS.sealForStorage, message, ctx, async (request) =>
      unwrap(await this.services.sealForStorage.seal(request)),
    );
  }

  @MessagePattern(RPC_PATTERNS.sealForDevice)
  sealForDevice(@Payload() message: unknown, @Ctx() ctx: RmqContext) {
    return this.rpc.run(RPC_PATTERNS.sealForDevice, message, ctx, async (request) =>
      unwrap(await this.services.sealForDevice.seal(request)),
    );
  }

  @MessagePattern(RPC_PATTERNS.reseal)
  reseal(@Payload() message: unknown, @Ctx() ctx: RmqContext) {
    return this.rpc.run(RPC_PATTERNS.reseal, message, ctx, async (request) =>
      unwrap(await this.services.reseal.reseal(request)),
    );
  }
}
