import { readFileSync } from 'node:fs';
import { amqpNames, isInNamespace, loadAmqpConfig, type AmqpConfig } from '@credroam/messaging';
import { RoamingError } from '@credroam/roaming';
import { z } from 'zod';
import { envWholeNumber, httpListenerTls, type TlsIdentity } from '@credroam/platform';

/** Where audit keeps its events: an embedded SQLite file (the default) or a PostgreSQL database. */
export type DatabaseTarget = { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string };

export interface AuditConfig {
  port: number;
  host: string;
  /** HTTPS when set (a certificate chain and its key); null: plain HTTP, on loopback or explicitly allowed. */
  tls: TlsIdentity | null;
  database: DatabaseTarget;
  /** The bearer token of the read-only operator role; compared in constant time, never logged. */
  operatorToken: string;
  retentionDays: number;
  purgeIntervalMs: number;
  /** The durable queue bound to every event (`#`). */
  queue: string;
  /** Unacknowledged events held at once: also the largest insert batch. */
  prefetch: number;
  maxAttempts: number;
  retryDelayMs: number;
  amqp: AmqpConfig;
}

export const AUDIT_DEFAULTS = Object.freeze({
  port: 8441,
  host: '127.0.0.1',
  database: { kind: 'sqlite', path: './.data/audit.sqlite' } as DatabaseTarget,
  retentionDays: 90,
  purgeIntervalMinutes: 60,
  prefetch: 256,
  maxAttempts: 5,
  retryDelayMs: 5_000,
});

const databaseSchema = z.string().transform((text, ctx): DatabaseTarget => {
  if (text.startsWith('sqlite:')) {
    const path = text.slice('sqlite:'.length);
    if (path.length === 0) {
      ctx.addIssue({
        code: 'custom',
        message: 'sqlite: needs a file path, e.g. sqlite:./.data/audit.sqlite',
      });
      return z.NEVER;
    }
    return { kind: 'sqlite', path };
  }
  try {
    const url = new URL(text);
    if ((url.protocol === 'postgres:' || url.protocol === 'postgresql:') && url.hostname !== '') {
      return { kind: 'postgres', url: text };
    }
  } catch {
    // Reported below; the value is never echoed (a URL may carry a password).
  }
  ctx.addIssue({
    code: 'custom',
    message: 'must be sqlite:<path> or postgres://user:password@host:port/database',
  });
  return z.NEVER;
});

// A token shorter than this is guessable; the local stack's dev-operator-token is 18 characters.
const operatorTokenSchema = z
  .string()
  .min(16, { message: 'must be at least 16 characters' })
  .max(512, { message: 'must be at most 512 characters' })
  .regex(/^[\x21-\x7e]+$/, { message: 'must be printable ASCII without blanks' });

const envSchema = z.object({
  CREDROAM_AUDIT_PORT: envWholeNumber(0, 65_535).default(AUDIT_DEFAULTS.port),
  CREDROAM_AUDIT_HOST: z
    .string()
    .regex(/^[A-Za-z0-9.:[\]-]+$/, { message: 'must be a host name or an IP address' })
    .default(AUDIT_DEFAULTS.host),
  CREDROAM_AUDIT_DB: databaseSchema.default(AUDIT_DEFAULTS.database),
  CREDROAM_AUDIT_OPERATOR_TOKEN: operatorTokenSchema.optional(),
  CREDROAM_AUDIT_OPERATOR_TOKEN_FILE: z.string().min(1).optional(),
  CREDROAM_AUDIT_RETENTION_DAYS: envWholeNumber(1, 36_500).default(AUDIT_DEFAULTS.retentionDays),
  CREDROAM_AUDIT_PURGE_INTERVAL_MINUTES: envWholeNumber(1, 10_080).default(
    AUDIT_DEFAULTS.purgeIntervalMinutes,
  ),
  CREDROAM_AUDIT_QUEUE: z.string().min(1).max(240).optional(),
  CREDROAM_AUDIT_PREFETCH: envWholeNumber(1, 5_000).default(AUDIT_DEFAULTS.prefetch),
  CREDROAM_AUDIT_MAX_ATTEMPTS: envWholeNumber(1, 1_000).default(AUDIT_DEFAULTS.maxAttempts),
  CREDROAM_AUDIT_RETRY_DELAY_MS: envWholeNumber(0, 3_600_000).default(AUDIT_DEFAULTS.retryDelayMs),
  CREDROAM_AUDIT_TLS_CERT_FILE: z.string().min(1).optional(),
  CREDROAM_AUDIT_TLS_KEY_FILE: z.string().min(1).optional(),
  CREDROAM_AUDIT_ALLOW_PLAINTEXT: z.enum(['true', 'false']).default('false'),
});

/** The listener's variables, for messages that name them. */
const LISTENER_ENV = Object.freeze({
  host: 'CREDROAM_AUDIT_HOST',
  certFile: 'CREDROAM_AUDIT_TLS_CERT_FILE',
  keyFile: 'CREDROAM_AUDIT_TLS_KEY_FILE',
  allowPlaintext: 'CREDROAM_AUDIT_ALLOW_PLAINTEXT',
} as const);

function invalid(problems: string[]): RoamingError {
  return new RoamingError('INVALID_INPUT', `invalid audit configuration: ${problems.join('; ')}`);
}

function readTokenFile(path: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch (error) {
    throw invalid([`CREDROAM_AUDIT_OPERATOR_TOKEN_FILE cannot be read: ${(error as Error).message}`]);
  }
}

/**
 * Reads audit's environment (an empty variable counts as unset). Throws INVALID_INPUT naming every bad variable
 * and why, never echoing a value: the database URL and the token are secrets.
 */
export function loadAuditConfig(env: NodeJS.ProcessEnv = process.env): AuditConfig {
  const present = Object.fromEntries(
    Object.keys(envSchema.shape)
      .map((name) => [name, env[name]?.trim()] as const)
      .filter(([, value]) => value !== undefined && value !== ''),
  );
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    throw invalid(parsed.error.issues.map((issue) => `${issue.path.join('.')} ${issue.message}`));
  }
  const values = parsed.data;
  const amqp = loadAmqpConfig(env);

  if (Boolean(values.CREDROAM_AUDIT_OPERATOR_TOKEN) === Boolean(values.CREDROAM_AUDIT_OPERATOR_TOKEN_FILE)) {
    throw invalid([
      'set exactly one of CREDROAM_AUDIT_OPERATOR_TOKEN and CREDROAM_AUDIT_OPERATOR_TOKEN_FILE (the local stack uses dev-operator-token)',
    ]);
  }
  const token =
    values.CREDROAM_AUDIT_OPERATOR_TOKEN ??
    readTokenFile(values.CREDROAM_AUDIT_OPERATOR_TOKEN_FILE as string);
  const checkedToken = operatorTokenSchema.safeParse(token);
  if (!checkedToken.success) {
    throw invalid([`the operator token ${checkedToken.error.issues[0]?.message ?? 'is invalid'}`]);
  }

  let tls: TlsIdentity | null;
  try {
    tls = httpListenerTls(
      {
        host: values.CREDROAM_AUDIT_HOST,
        certFile: values.CREDROAM_AUDIT_TLS_CERT_FILE,
        keyFile: values.CREDROAM_AUDIT_TLS_KEY_FILE,
        allowPlaintext: values.CREDROAM_AUDIT_ALLOW_PLAINTEXT === 'true',
      },
      LISTENER_ENV,
    );
  } catch (error) {
    throw invalid([(error as Error).message]);
  }

  const queue = values.CREDROAM_AUDIT_QUEUE ?? amqpNames(amqp.namespace).queue('audit');
  if (!isInNamespace(queue, amqp.namespace)) {
    throw invalid([`CREDROAM_AUDIT_QUEUE must start with "${amqp.namespace}." (the messaging namespace)`]);
  }

  return {
    port: values.CREDROAM_AUDIT_PORT,
    host: values.CREDROAM_AUDIT_HOST,
    tls,
    database: values.CREDROAM_AUDIT_DB,
    operatorToken: checkedToken.data,
    retentionDays: values.CREDROAM_AUDIT_RETENTION_DAYS,
    purgeIntervalMs: values.CREDROAM_AUDIT_PURGE_INTERVAL_MINUTES * 60_000,
    queue,
    prefetch: values.CREDROAM_AUDIT_PREFETCH,
    maxAttempts: values.CREDROAM_AUDIT_MAX_ATTEMPTS,
    retryDelayMs: values.CREDROAM_AUDIT_RETRY_DELAY_MS,
    amqp,
  };
}

/** The database for log lines: the kind and where, never a password. */
export function describeDatabase(target: DatabaseTarget): string {
  if (target.kind === 'sqlite') return `sqlite ${target.path}`;
  try {
    const url = new URL(target.url);
    return `postgres ${url.hostname}:${url.port || '5432'}${url.pathname}`;
  } catch {
    return 'postgres (unparseable URL)';
  }
}
