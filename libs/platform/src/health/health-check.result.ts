import { ServiceUnavailableException } from '@nestjs/common';
import { type HealthCheckResult } from '@nestjs/terminus';

/**
 * terminus' result of `HealthCheckService.check`, whether every indicator is up or not. terminus throws a
 * ServiceUnavailableException carrying the result when one is down; our callers want the result itself, because
 * each app's error filter would turn that exception into its own error body, and an RPC answers "degraded".
 */
export async function settleHealthCheck(check: Promise<HealthCheckResult>): Promise<HealthCheckResult> {
  try {
    return await check;
  } catch (error) {
    if (error instanceof ServiceUnavailableException) return error.getResponse() as HealthCheckResult;
    throw error;
  }
}

/**
 * Answers an HTTP health route with terminus' result: 200 when every indicator is up, 503 otherwise (a load
 * balancer or an orchestrator then stops routing to this replica).
 */
export async function answerHealthCheck(
  response: { status(code: number): unknown },
  check: Promise<HealthCheckResult>,
): Promise<HealthCheckResult> {
  const result = await settleHealthCheck(check);
  response.status(result.status === 'ok' ? 200 : 503);
  return result;
}
