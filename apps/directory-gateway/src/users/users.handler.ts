import { Controller, Inject } from '@nestjs/common';
import { Ctx, MessagePattern, Payload, type RmqContext } from '@nestjs/microservices';
import { RPC_PATTERNS } from '@credroam/roaming';
import { RpcHandlerRunner } from '@credroam/messaging';
import { GATEWAY_SERVICES } from '../gateway.tokens';
import { type GatewayServices } from '../gateway-services';

@Controller()
export class UsersHandler {
  constructor(
    private readonly rpc: RpcHandlerRunner,
    @Inject(GATEWAY_SERVICES) private readonly services: GatewayServices,
  ) {}

  @MessagePattern(RPC_PATTERNS.lookupUser)
  lookupUser(@Payload() message: unknown, @Ctx() ctx: RmqContext) {
    return this.rpc.run(RPC_PATTERNS.lookupUser, message, ctx, async ({ login }) => ({
      user: await this.services.users.lookup(login),
    }));
  }

  @MessagePattern(RPC_PATTERNS.verifyPassword)
  verifyPassword(@Payload() message: unknown, @Ctx() ctx: RmqContext) {
    return this.rpc.run(RPC_PATTERNS.verifyPassword, message, ctx, async ({ login, sealedPassword }) => ({
      user: await this.services.users.verifyPassword(login, Buffer.from(sealedPassword, 'base64')),
    }));
  }
}
