import { Controller, Inject } from '@nestjs/common';
import { Ctx, MessagePattern, Payload, type RmqContext } from '@nestjs/microservices';
import { RPC_PATTERNS } from '@credroam/roaming';
import { RpcHandlerRunner } from '@credroam/messaging';
import { GATEWAY_SERVICES } from '../gateway.tokens';
import { type GatewayServices } from '../gateway-services';

@Controller()
export class PolicyHandler {
  constructor(
    private readonly rpc: RpcHandlerRunner,
    @Inject(GATEWAY_SERVICES) private readonly services: GatewayServices,
  ) {}

  @MessagePattern(RPC_PATTERNS.resolvePolicy)
  resolvePolicy(@Payload() message: unknown, @Ctx() ctx: RmqContext) {
    return this.rpc.run(RPC_PATTERNS.resolvePolicy, message, ctx, async ({ userDn, groups }) =>
      this.services.policy.resolve(userDn, groups),
    );
  }
}
