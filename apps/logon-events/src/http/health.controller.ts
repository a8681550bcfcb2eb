import { Controller, Get, Res } from '@nestjs/common';
import { HealthCheckService } from '@nestjs/terminus';
import { BrokerHealthIndicator, RpcServiceHealthIndicator } from '@credroam/messaging';
import { answerHealthCheck } from '@credroam/platform';
import { type Response } from 'express';

/** terminus' health: 200 with every indicator up, 503 with terminus' result naming the one that is not. */
@Controller('health')
export class HealthController {
  constructor(
    private readonly healthChecks: HealthCheckService,
    private readonly broker: BrokerHealthIndicator,
    private readonly services: RpcServiceHealthIndicator,
  ) {}

  /** Nothing but a running process: a dependency that is down must not get this replica restarted. */
  @Get('live')
  live(@Res({ passthrough: true }) response: Response) {
    return answerHealthCheck(response, this.healthChecks.check([]));
  }

  /** The broker, and directory-gateway and token-crypto answering their health RPC. */
  @Get('ready')
  ready(@Res({ passthrough: true }) response: Response) {
    return answerHealthCheck(
      response,
      this.healthChecks.check([
        () => this.broker.isHealthy(),
        () => this.services.isHealthy('directory-gateway'),
        () => this.services.isHealthy('token-crypto'),
      ]),
    );
  }
}
