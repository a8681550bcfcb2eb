import { Controller, Inject } from '@nestjs/common';
import { Ctx, MessagePattern, Payload, type RmqContext } from '@nestjs/microservices';
import { RoamingError, RPC_PATTERNS } from '@credroam/roaming';
import { RpcHandlerRunner } from '@credroam/messaging';
import { GATEWAY_CONFIG, GATEWAY_SERVICES } from '../gateway.tokens';
import { type GatewayConfig } from '../config/gateway.config';
import { type GatewayServices } from '../gateway-services';

/** Answering at all proves the broker path; the check proves the directory answers the service account. */
@Controller()
export class HealthHandler {
  constructor(
    private readonly rpc: RpcHandlerRunner,
    @Inject(GATEWAY_SERVICES) private readonly services: GatewayServices,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {}

  @MessagePattern(RPC_PATTERNS.directoryHealth)
  health(@Payload() message: unknown, @Ctx() ctx: RmqContext) {
    return this.rpc.run(RPC_PATTERNS.directoryHealth, message, ctx, async () => {
      const ldap = await this.services.pool
        .search(
          this.config.baseDn,
          { scope: 'base', filter: '(objectClass=*)', attributes: ['1.1'] },
          'the health check',
        )
        .then(
          () => ({ ok: true }),
          (error: unknown) => ({
            ok: false,
            detail: error instanceof RoamingError ? error.message : 'directory check failed',
          }),
        );
      return { status: ldap.ok ? ('ok' as const) : ('degraded' as const), checks: { ldap } };
    });
  }
}
