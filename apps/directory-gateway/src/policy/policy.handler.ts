import { Controller } from '@nestjs/common';
import { Ctx, MessagePattern, Payload, type RmqContext } from '@nestjs/microservices';
import { RPC_PATTERNS } from '@credroam/roaming';
import { RpcHandlerRunner } from '@credroam/messaging';
import { PolicyService } from './policy.service';

@Controller()
export class PolicyHandler {
  constructor(
    private readonly rpc: RpcHandlerRunner,
    private readonly policy: PolicyService,
  ) {}

  @MessagePattern(RPC_PATTERNS.resolvePolicy)
  resolvePolicy(@Payload() message: unknown, @Ctx() ctx: RmqContext) {
    return this.rpc.run(RPC_PATTERNS.resolvePolicy, message, ctx, async ({ userDn, groups }) =>
      this.policy.resolve(userDn, groups),
    );
  }
}
