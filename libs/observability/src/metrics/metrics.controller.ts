import { Controller, Get, Inject, Optional, Res } from '@nestjs/common';
import type { Response } from 'express';
import { type Registry } from 'prom-client';
import { renderMetrics } from './service-metrics';

/** An app's own registry (audit's event-derived metrics), served beside the shared service metrics. */
export const APP_METRICS_REGISTRY = Symbol('credroam.observability.app-metrics-registry');

/**
 * Prometheus exposition, open like /health: metric labels are bounded enumerations (patterns, routes, codes),
 * never a user, a machine or a token, so there is nothing to protect beyond the network policy.
 */
@Controller('metrics')
export class MetricsController {
  constructor(@Optional() @Inject(APP_METRICS_REGISTRY) private readonly appRegistry?: Registry) {}

  @Get()
  async scrape(@Res() response: Response): Promise<void> {
    const { contentType, body } = await renderMetrics(this.appRegistry ? [this.appRegistry] : []);
    response.setHeader('Content-Type', contentType);
    response.send(body);
  }
}

/** `/metrics` as an OpenAPI 3 path item, for the document of every HTTP service. */
export const METRICS_OPENAPI_PATH = Object.freeze({
  get: {
    summary: 'Prometheus metrics: process, RED per RPC pattern and HTTP route, broker and service gauges',
    responses: {
      '200': {
        description: 'Prometheus text exposition',
        content: { 'text/plain': { schema: { type: 'string' } } },
      },
    },
  },
});
