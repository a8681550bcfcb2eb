import { Controller } from '@nestjs/common';
import { Ctx, MessagePattern, Payload, type RmqContext } from '@nestjs/microservices';
import { RPC_PATTERNS, unwrap } from '@credroam/roaming';
import { RpcHandlerRunner } from '@credroam/messaging';
import { ResealPasswordService } from './reseal-password.service';

@Controller()
export class ResealPasswordHandler {
  constructor(
    private readonly rpc: RpcHandlerRunner,
    private readonly resealPasswordService: ResealPasswordService,
  ) {}

  @MessagePattern(RPC_PATTERNS.resealPassword)
  resealPassword(@Payload() message: unknown, @Ctx() ctx: RmqContext) {
    return this.rpc.run(RPC_PATTERNS.resealPassword, message, ctx, async (request) =>
      unwrap(this.resealPasswordService.reseal(request)),
    );
  }
}
