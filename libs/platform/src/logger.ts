import pino, { type DestinationStream, type Logger } from 'pino';

/**
 * Fields that could carry a secret or token content, censored wherever they appear (two levels deep), as a
 * second line of defence: code never hands secrets to a logger in the first place.
 */
const REDACTED_FIELDS = [
  'password',
  'sealedPassword',
  'sealed',
  'envelope',
  'hashKeyEnvelope',
  'sessionToken',
  'authorization',
  'content',
  'plaintext',
  'privateKey',
];
const REDACT_PATHS = REDACTED_FIELDS.flatMap((field) => [field, `*.${field}`, `*.*.${field}`]);

export type { Logger };

export interface LoggerOptions {
  level?: string;
  /** Default stdout. */
  destination?: DestinationStream;
}

/** One JSON line per event, with the service name; level from CREDROAM_LOG_LEVEL (default info). */
export function createLogger(service: string, options: LoggerOptions = {}): Logger {
  const settings = {
    name: service,
    level: options.level ?? process.env.CREDROAM_LOG_LEVEL ?? 'info',
    base: { service },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return options.destination ? pino(settings, options.destination) : pino(settings);
}
