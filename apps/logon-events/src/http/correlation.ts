import { randomUUID } from 'node:crypto';
import { correlationIdSchema } from '@credroam/roaming';
import { type Request } from 'express';

export const CORRELATION_HEADER = 'x-correlation-id';

/** The caller's correlation id when it is well formed, else a fresh one; remembered on the request. */
export function correlationIdOf(request: Request): string {
  const holder = request as Request & { correlationId?: string };
  if (holder.correlationId) return holder.correlationId;
  const given = request.header(CORRELATION_HEADER);
  holder.correlationId = given && correlationIdSchema.safeParse(given).success ? given : randomUUID();
  return holder.correlationId;
}
