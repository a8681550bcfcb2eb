import { Controller } from '@nestjs/common';
import { Ctx, MessagePattern, Payload, type RmqContext } from '@nestjs/microservices';
import { RPC_PATTERNS, unwrap } from '@credroam/roaming';
import { RpcHandlerRunner } from '@credroam/messaging';
import { TransportCertificateService } from './transport-certificate.service';

@Controller()
export class TransportCertificateHandler {
  constructor(
    private readonly rpc: RpcHandlerRunner,
    private readonly transportCertificateService: TransportCertificateService,
  ) {}

  @MessagePattern(RPC_PATTERNS.transportCertificate)
  transportCertificate(@Payload() message: unknown, @Ctx() ctx: RmqContext) {
    return this.rpc.run(RPC_PATTERNS.transportCertificate, message, ctx, async () =>
      unwrap(this.transportCertificateService.get()),
    );
  }
}
