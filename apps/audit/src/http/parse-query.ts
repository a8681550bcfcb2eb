import { parseOrThrow } from '@credroam/roaming';
import { type z } from 'zod';

/** Validates query parameters; a violation is INVALID_INPUT naming each parameter and rule (never echoing values). */
export function parseQuery<S extends z.ZodType>(schema: S, query: unknown): z.output<S> {
  return parseOrThrow(schema, query ?? {}, 'INVALID_INPUT');
}
