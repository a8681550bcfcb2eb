import {
  Module,
  RequestMethod,
  type DynamicModule,
  type MiddlewareConsumer,
  type NestModule,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { type Registry } from 'prom-client';
import { httpObservability } from './http/http-observability.middleware';
import { APP_METRICS_REGISTRY, MetricsController } from './metrics/metrics.controller';
import { collectProcessMetrics } from './metrics/service-metrics';
import { stopTracing } from './tracing/tracing';

/**
 * Import it in every service's root module: `/metrics` (with Node's process metrics), and the HTTP middleware that
 * continues the caller's trace and counts each request by route, for every route of the application; at shutdown it
 * flushes the spans not yet exported. An app with
 * metrics of its own (audit) passes its registry, served beside the shared one.
 */
@Module({})
export class ObservabilityModule implements NestModule, OnApplicationShutdown {
  static forRoot(appRegistry?: Registry): DynamicModule {
    return {
      module: ObservabilityModule,
      controllers: [MetricsController],
      providers: appRegistry ? [{ provide: APP_METRICS_REGISTRY, useValue: appRegistry }] : [],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    collectProcessMetrics();
    consumer.apply(httpObservability()).forRoutes({ path: '{*path}', method: RequestMethod.ALL });
  }

  /** Spans still batched for OTLP would be lost with the process. */
  async onApplicationShutdown(): Promise<void> {
    await stopTracing();
  }
}
