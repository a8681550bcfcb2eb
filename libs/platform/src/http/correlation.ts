import { randomUUID } from 'node:crypto';
import { type IncomingMessage } from 'node:http';
import { correlationIdSchema } from '@credroam/roaming';

export const CORRELATION_HEADER = 'x-correlation-id';

/**
 * The caller's correlation id when it is well formed, else a fresh one; remembered on the request, so the request
 * log line (pino-http), the handlers and the error filter all name the same id. Typed on Node's request, which
 * pino-http hands over and Express' request extends.
 */
export function correlationIdOf(request: IncomingMessage): string {
  const holder = request as IncomingMessage & { correlationId?: string };
  if (holder.correlationId) return holder.correlationId;
  const given = request.headers[CORRELATION_HEADER];
  holder.correlationId =
    typeof given === 'string' && correlationIdSchema.safeParse(given).success ? given : randomUUID();
  return holder.correlationId;
}
