import { Controller, Get } from '@nestjs/common';
import { METRICS_OPENAPI_PATH } from '@credroam/observability';

/** The OpenAPI document of a broker-only service's HTTP listener: probes and metrics, nothing else. */
export function serviceListenerOpenApi(): Record<string, unknown> {
  return {
    openapi: '3.0.3',
    info: {
      title: 'credroam service listener (directory-gateway, token-crypto)',
      version: '1',
      description:
        'Health and metrics of a service that otherwise only talks to the broker (docs/asyncapi.yaml).',
    },
    paths: {
      '/health/live': { get: { summary: 'Liveness', responses: { '200': { description: 'Alive' } } } },
      '/health/ready': {
        get: {
          summary: "Readiness (@nestjs/terminus' result): the broker and the service's own checks",
          responses: {
            '200': { description: 'Ready' },
            '503': { description: 'Not ready, naming what is down' },
          },
        },
      },
      '/metrics': METRICS_OPENAPI_PATH,
      '/docs': { get: { summary: 'This document', responses: { '200': { description: 'OpenAPI 3' } } } },
    },
  };
}

@Controller()
export class ServiceDocsController {
  @Get('docs')
  docs(): Record<string, unknown> {
    return serviceListenerOpenApi();
  }
}
