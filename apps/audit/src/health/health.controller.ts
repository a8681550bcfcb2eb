import { Controller, Get, Res } from '@nestjs/common';
import type { Response } from 'express';
import { type Health } from '../contract/audit-api.schemas';
import { HealthService } from './health.service';

@Controller('health')
export class HealthController {
  constructor(private readonly health: HealthService) {}

  @Get('live')
  live(): Health {
    return { status: 'ok' };
  }

  /** 200 when the database and the broker answer, 503 otherwise (a load balancer then stops routing here). */
  @Get('ready')
  async ready(@Res() response: Response): Promise<void> {
    const health = await this.health.ready();
    response.status(health.status === 'ok' ? 200 : 503).json(health);
  }
}
