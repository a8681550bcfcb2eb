// libs/observability: what every service exposes about itself: Prometheus metrics (RED per RPC pattern and HTTP
// route, broker and LDAP gauges) and OpenTelemetry traces carried over HTTP and AMQP headers.
export * from './metrics/service-metrics';
export * from './metrics/metrics.controller';
export * from './tracing/tracing';
export * from './http/http-observability.middleware';
export * from './observability.module';
export { type SpanRecord } from './tracing/span-file.exporter';
