import { collectProcessMetrics } from './metrics/service-metrics';
import { startTracing, type TracingSetup } from './tracing/tracing';

/** First thing a service's main() does: process metrics on, tracing set up (throws on invalid variables). */
export function observeService(service: string, env: NodeJS.ProcessEnv = process.env): TracingSetup {
  const tracing = startTracing(service, env);
  collectProcessMetrics();
  return tracing;
}
