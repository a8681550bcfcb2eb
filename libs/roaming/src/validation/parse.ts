import { z } from 'zod';
import { fail, ok, type Result } from '../errors/result';
import { isErrorCode, RoamingError, type ErrorCode } from '../errors/roaming-error';

/**
 * Schemas attach a specific code to an issue through `params: { code }`; everything else falls back to the
 * caller's code. The message names the path of every issue, so a client sees exactly which field was wrong.
 */
export function parseWith<S extends z.ZodType>(
  schema: S,
  input: unknown,
  fallback: ErrorCode = 'INVALID_INPUT',
): Result<z.output<S>> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return ok(parsed.data);
  const issues = parsed.error.issues;
  const specific = issues
    .map((issue) => ('params' in issue ? (issue.params as { code?: unknown } | undefined)?.code : undefined))
    .find(isErrorCode);
  const message = issues
    .slice(0, 5)
    .map((issue) => `${issue.path.length ? issue.path.join('.') : '(root)'}: ${issue.message}`)
    .join('; ');
  const more = issues.length > 5 ? ` (and ${issues.length - 5} more)` : '';
  return fail(specific ?? fallback, `${message}${more}`);
}

/** Same as parseWith, throwing a RoamingError: for boundaries where an exception is the transport's idiom. */
export function parseOrThrow<S extends z.ZodType>(
  schema: S,
  input: unknown,
  fallback: ErrorCode = 'INVALID_INPUT',
): z.output<S> {
  const result = parseWith(schema, input, fallback);
  if (!result.ok) throw RoamingError.fromInfo(result.error);
  return result.value;
}

/**
 * Wraps a schema so that any issue it raises carries `code`, which parseWith reports instead of its fallback.
 */
export function withCode<S extends z.ZodType>(schema: S, code: ErrorCode) {
  return z.unknown().transform((value, ctx): z.output<S> => {
    const parsed = schema.safeParse(value);
    if (parsed.success) return parsed.data;
    for (const issue of parsed.error.issues) {
      ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message, params: { code } });
    }
    return z.NEVER;
  });
}
