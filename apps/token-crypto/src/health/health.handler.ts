import { Controller } from '@nestjs/common';
import { Ctx, MessagePattern, Payload, type RmqContext } from '@nestjs/microservices';
import { HealthCheckService } from '@nestjs/terminus';
import { RPC_PATTERNS } from '@credroam/roaming';
import { answerHealthRpc, RpcHandlerRunner } from '@credroam/messaging';
import { KeyMaterialHealthIndicator } from './key-material.health';

/** Answering at all proves the broker path; terminus' checks report the keys. */
@Controller()
export class HealthHandler {
  constructor(
    private readonly rpc: RpcHandlerRunner,
    private readonly healthChecks: HealthCheckService,
    private readonly keyMaterial: KeyMaterialHealthIndicator,
  ) {}

  @MessagePattern(RPC_PATTERNS.cryptoHealth)
  health(@Payload() message: unknown, @Ctx() ctx: RmqContext) {
    return this.rpc.run(RPC_PATTERNS.cryptoHealth, message, ctx, () =>
      answerHealthRpc(this.healthChecks, this.keyMaterial.all()),
    );
  }
}
