import { Controller, Get, Inject, Res } from '@nestjs/common';
import { HealthCheckService, type HealthIndicatorFunction } from '@nestjs/terminus';
import { answerHealthCheck } from '@credroam/platform';
import { BrokerHealthIndicator } from './broker.health';

/** The checks of a broker-only service beside the broker: its directory, its key material. */
export const SERVICE_HEALTH_CHECKS = Symbol('credroam.messaging.service-health-checks');

interface StatusResponse {
  status(code: number): unknown;
}

/**
 * `/health/live` and `/health/ready` of a service that otherwise only talks to the broker (directory-gateway,
 * token-crypto), for orchestrators' probes: live is the process answering, ready the broker and the service's own
 * checks, as terminus reports them (200, or 503 naming what is down).
 */
@Controller('health')
export class ServiceHealthController {
  constructor(
    private readonly healthChecks: HealthCheckService,
    private readonly broker: BrokerHealthIndicator,
    @Inject(SERVICE_HEALTH_CHECKS) private readonly checks: HealthIndicatorFunction[],
  ) {}

  @Get('live')
  live(@Res({ passthrough: true }) response: StatusResponse) {
    return answerHealthCheck(response, this.healthChecks.check([]));
  }

  @Get('ready')
  ready(@Res({ passthrough: true }) response: StatusResponse) {
    return answerHealthCheck(
      response,
      this.healthChecks.check([() => this.broker.isHealthy(), ...this.checks]),
    );
  }
}
