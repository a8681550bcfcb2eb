import { Controller, Get, Res } from '@nestjs/common';
import type { Response } from 'express';
import { AuditMetrics } from './audit-metrics';

/**
 * Prometheus exposition, open like /health: metric labels are bounded enumerations (codes, kinds, queues),
 * never a user, a machine or a token, so there is nothing to protect beyond the network policy.
 */
@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: AuditMetrics) {}

  @Get()
  async scrape(@Res() response: Response): Promise<void> {
    const { contentType, body } = await this.metrics.render();
    response.setHeader('Content-Type', contentType);
    response.send(body);
  }
}
