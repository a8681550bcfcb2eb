import { type HealthCheckService, type HealthIndicatorFunction } from '@nestjs/terminus';
import { settleHealthCheck } from '@credroam/platform';
import { type Health } from '@credroam/roaming';

const MAX_DETAIL = 1024;

/**
 * A service's answer to its health RPC, from terminus' checks: one check per indicator (`ok` when up, its message
 * as the detail), "degraded" unless every one is up. The contract (healthSchema) is what callers already parse,
 * so terminus' own result shape stays inside the service.
 */
export async function answerHealthRpc(
  health: HealthCheckService,
  indicators: HealthIndicatorFunction[],
): Promise<Health> {
  const result = await settleHealthCheck(health.check(indicators));
  const checks: Health['checks'] = {};
  for (const [name, { status, ...data }] of Object.entries(result.details)) {
    const detail = typeof data.message === 'string' ? data.message.slice(0, MAX_DETAIL) : undefined;
    checks[name] = { ok: status === 'up', ...(detail === undefined ? {} : { detail }) };
  }
  return { status: result.status === 'ok' ? 'ok' : 'degraded', checks };
}
