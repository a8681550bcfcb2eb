import { Controller, Get, Res } from '@nestjs/common';
import { HealthCheckService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { BrokerHealthIndicator } from '@credroam/messaging';
import { answerHealthCheck } from '@credroam/platform';
import type { Response } from 'express';
import { IngestHealthIndicator } from './ingest.health';

/** Same probe budget as the broker's: a database that needs longer is not ready to take a batch. */
const DATABASE_TIMEOUT_MS = 3_000;

/** terminus' health: 200 with every indicator up, 503 with terminus' result naming the one that is not. */
@Controller('health')
export class HealthController {
  constructor(
    private readonly healthChecks: HealthCheckService,
    private readonly database: TypeOrmHealthIndicator,
    private readonly broker: BrokerHealthIndicator,
    private readonly ingest: IngestHealthIndicator,
  ) {}

  /** Nothing but a running process: a database outage must not get this replica restarted. */
  @Get('live')
  live(@Res({ passthrough: true }) response: Response) {
    return answerHealthCheck(response, this.healthChecks.check([]));
  }

  /**
   * The database and the broker answer and ingest's writes succeed (a load balancer stops routing here otherwise,
   * and an operator sees which of the three is down).
   */
  @Get('ready')
  ready(@Res({ passthrough: true }) response: Response) {
    return answerHealthCheck(
      response,
      this.healthChecks.check([
        () => this.database.pingCheck('database', { timeout: DATABASE_TIMEOUT_MS }),
        () => this.broker.isHealthy(),
        () => this.ingest.isHealthy(),
      ]),
    );
  }
}
