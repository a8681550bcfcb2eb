import pino from 'pino';

/**
 * What the messaging layer logs through: the subset of a pino logger (or nestjs-pino's PinoLogger) it uses.
 * Fields first, message second, one line per step. Payloads, bodies and URLs with passwords are never passed.
 */
export interface MessagingLogger {
  debug(fields: Record<string, unknown>, message: string): void;
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

let fallback: MessagingLogger | undefined;

/** The logger used when none is given: pino JSON on stdout at LOG_LEVEL (default info). */
export function defaultMessagingLogger(): MessagingLogger {
  fallback ??= pino({ name: 'credroam-messaging', level: process.env.LOG_LEVEL ?? 'info' });
  return fallback;
}

/** Error fields for a log line: the name, code and message, never the object itself (it may hold a body). */
export function errorFields(error: unknown): Record<string, unknown> {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return {
      errorName: error.name,
      errorMessage: error.message,
      ...(code !== undefined ? { errorCode: code } : {}),
    };
  }
  return { errorName: typeof error, errorMessage: String(error) };
}
