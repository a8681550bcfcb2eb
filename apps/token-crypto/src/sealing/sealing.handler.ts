import { Controller } from '@nestjs/common';
import { Ctx, MessagePattern, Payload, type RmqContext } from '@nestjs/microservices';
import { RPC_PATTERNS, unwrap } from '@credroam/roaming';
import { RpcHandlerRunner } from '@credroam/messaging';
import { SealForStorageService } from './seal-for-storage.service';
import { SealForDeviceService } from './seal-for-device.service';
import { ResealService } from './reseal.service';

@Controller()
export class SealingHandler {
  constructor(
    private readonly rpc: RpcHandlerRunner,
    private readonly sealForStorageService: SealForStorageService,
    private readonly sealForDeviceService: SealForDeviceService,
    private readonly resealService: ResealService,
  ) {}

  @MessagePattern(RPC_PATTERNS.sealForStorage)
  sealForStorage(@Payload() message: unknown, @Ctx() ctx: RmqContext) {
    return this.rpc.run(RPC_PATTERNS.sealForStorage, message, ctx, async (request) =>
      unwrap(await this.sealForStorageService.seal(request)),
    );
  }

  @MessagePattern(RPC_PATTERNS.sealForDevice)
  sealForDevice(@Payload() message: unknown, @Ctx() ctx: RmqContext) {
    return this.rpc.run(RPC_PATTERNS.sealForDevice, message, ctx, async (request) =>
      unwrap(await this.sealForDeviceService.seal(request)),
    );
  }

  @MessagePattern(RPC_PATTERNS.reseal)
  reseal(@Payload() message: unknown, @Ctx() ctx: RmqContext) {
    return this.rpc.run(RPC_PATTERNS.reseal, message, ctx, async (request) =>
      unwrap(await this.resealService.reseal(request)),
    );
  }
}
