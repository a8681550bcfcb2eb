import { Controller } from '@nestjs/common';
import { Ctx, MessagePattern, Payload, type RmqContext } from '@nestjs/microservices';
import { RPC_PATTERNS, unwrap } from '@credroam/roaming';
import { RpcHandlerRunner } from '@credroam/messaging';
import { InspectService } from './inspect.service';

@Controller()
export class InspectHandler {
  constructor(
    private readonly rpc: RpcHandlerRunner,
    private readonly inspectService: InspectService,
  ) {}

  @MessagePattern(RPC_PATTERNS.inspect)
  inspect(@Payload() message: unknown, @Ctx() ctx: RmqContext) {
    return this.rpc.run(RPC_PATTERNS.inspect, message, ctx, async (request) =>
      unwrap(this.inspectService.inspect(request)),
    );
  }
}
