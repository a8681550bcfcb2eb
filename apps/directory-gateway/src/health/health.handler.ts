import { Controller } from '@nestjs/common';
import { Ctx, MessagePattern, Payload, type RmqContext } from '@nestjs/microservices';
import { HealthCheckService } from '@nestjs/terminus';
import { RPC_PATTERNS } from '@credroam/roaming';
import { answerHealthRpc, RpcHandlerRunner } from '@credroam/messaging';
import { LdapHealthIndicator } from './ldap.health';

/** Answering at all proves the broker path; terminus' check proves the directory answers the service account. */
@Controller()
export class HealthHandler {
  constructor(
    private readonly rpc: RpcHandlerRunner,
    private readonly healthChecks: HealthCheckService,
    private readonly ldap: LdapHealthIndicator,
  ) {}

  @MessagePattern(RPC_PATTERNS.directoryHealth)
  health(@Payload() message: unknown, @Ctx() ctx: RmqContext) {
    return this.rpc.run(RPC_PATTERNS.directoryHealth, message, ctx, () =>
      answerHealthRpc(this.healthChecks, [() => this.ldap.isHealthy()]),
    );
  }
}
