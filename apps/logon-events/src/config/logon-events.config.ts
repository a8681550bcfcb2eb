import { type LogonFailureThresholds } from '../sessions/logon-failure.monitor';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { grantIssuerFromEnv, type GrantIssuer } from '@credroam/grants';
import { envWholeNumber, httpListenerTls, type TlsIdentity } from '@credroam/platform';
import { parseWith, RoamingError } from '@credroam/roaming';
import { SERVICE_CHANNEL_KEY_BYTES } from '@credroam/sealing';
import { type RateLimitSettings } from '../rate-limit/rate-limits';
import { type KerberosSettings } from '../sessions/kerberos-logon.service';
import { SESSION_KEY_MIN_BYTES } from '../sessions/session-token';

const count = (min: number, max: number, fallback: number) => envWholeNumber(min, max).default(fallback);

const envSchema = z.object({
  CREDROAM_LOGON_HOST: z.string().min(1).default('127.0.0.1'),
  CREDROAM_LOGON_PORT: count(0, 65_535, 8440),
  CREDROAM_SESSION_KEY_FILE: z.string().min(1, { message: 'is required' }),
  CREDROAM_SESSION_LIFETIME_SECONDS: count(30, 86_400, 900),
  CREDROAM_POLICY_CACHE_SECONDS: count(0, 3600, 60),
  CREDROAM_SERVICE_CHANNEL_KEY_FILE: z.string().min(1, { message: 'is required' }),
  CREDROAM_RATE_USER_BURST: count(1, 100_000, 30),
  CREDROAM_RATE_USER_PER_SECOND: z.coerce.number().positive().max(100_000).default(2),
  CREDROAM_RATE_CLIENT_BURST: count(1, 100_000, 120),
  CREDROAM_RATE_CLIENT_PER_SECOND: z.coerce.number().positive().max(100_000).default(20),
  CREDROAM_RATE_LIMIT_REDIS_URL: z
    .url({ protocol: /^rediss?$/, message: 'must be a redis:// or rediss:// URL' })
    .optional(),
  CREDROAM_SYNC_MAX_ATTEMPTS: count(1, 20, 5),
  CREDROAM_SYNC_RETRY_BASE_MS: count(1, 10_000, 50),
  CREDROAM_LOGON_FAILURE_THRESHOLD: count(1, 100_000, 5),
  CREDROAM_LOGON_FAILURE_WINDOW_SECONDS: count(1, 86_400, 300),
  CREDROAM_LOGON_AMQP_INGRESS: z.enum(['true', 'false']).default('true'),
  CREDROAM_LOGON_TLS_CERT_FILE: z.string().min(1).optional(),
  CREDROAM_LOGON_TLS_KEY_FILE: z.string().min(1).optional(),
  CREDROAM_LOGON_ALLOW_PLAINTEXT: z.enum(['true', 'false']).default('false'),
  CREDROAM_KERBEROS_KEYTAB: z.string().min(1).optional(),
  CREDROAM_KERBEROS_SERVICE_PRINCIPAL: z
    .string()
    .regex(/^[^@\s/]+\/[^@\s]+@[^@\s]+$/, {
      message: 'must be service/host@REALM, e.g. HTTP/logon.corp@CORP',
    })
    .optional(),
  CREDROAM_KERBEROS_REALM: z
    .string()
    .regex(/^[^@\s]+$/)
    .optional(),
});

/** The listener's variables, for messages that name them. */
const LISTENER_ENV = Object.freeze({
  host: 'CREDROAM_LOGON_HOST',
  certFile: 'CREDROAM_LOGON_TLS_CERT_FILE',
  keyFile: 'CREDROAM_LOGON_TLS_KEY_FILE',
  allowPlaintext: 'CREDROAM_LOGON_ALLOW_PLAINTEXT',
} as const);

export interface LogonEventsConfig {
  host: string;
  port: number;
  /** HTTPS when set (a certificate chain and its key); null: plain HTTP, on loopback or explicitly allowed. */
  tls: TlsIdentity | null;
  sessionKey: Buffer;
  sessionLifetimeMs: number;
  /** How long a session's resolved policy is reused before the gateway is asked again. */
  policyCacheMs: number;
  serviceChannelKey: Buffer;
  /** Signs the grants of requests for a user's secrets (CREDROAM_GRANT_SIGNING_KEY_FILE). */
  grants: GrantIssuer;
  rates: RateLimitSettings;
  /** Redis that counts the rate limits for every replica; null: each replica counts alone, in memory. */
  rateLimitRedisUrl: string | null;
  sync: { maxWriteAttempts: number; retryBaseDelayMs: number };
  amqpIngress: boolean;
  /** When failed logons per user or per HTTP source raise logon.failures-exceeded (shared with Redis). */
  logonFailures: LogonFailureThresholds;
  /** The Kerberos logon's keytab and identity (CREDROAM_KERBEROS_*); null: password logons only. */
  kerberos: KerberosSettings | null;
}

/** A key file holds the key base64-encoded (as `openssl rand -base64 32` writes it). */
function readKey(path: string, what: string, variable: string, minBytes: number, maxBytes: number): Buffer {
  let text: string;
  try {
    text = readFileSync(path, 'utf8').trim();
  } catch (error) {
    throw new RoamingError(
      'INVALID_INPUT',
      `${variable}: cannot read ${what} from ${path}: ${(error as Error).message}`,
    );
  }
  const key = Buffer.from(text, 'base64');
  if (key.length < minBytes || key.length > maxBytes) {
    throw new RoamingError(
      'INVALID_INPUT',
      `${variable}: ${what} must be ${minBytes === maxBytes ? minBytes : `${minBytes}-${maxBytes}`} bytes, base64-encoded`,
    );
  }
  return key;
}

/** Reads and validates logon-events' environment; every problem names its variable. */
export function loadLogonEventsConfig(env: NodeJS.ProcessEnv = process.env): LogonEventsConfig {
  const present = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value !== ''),
  );
  const parsed = parseWith(envSchema, present, 'INVALID_INPUT');
  if (!parsed.ok)
    throw new RoamingError('INVALID_INPUT', `logon-events configuration: ${parsed.error.message}`);
  const values = parsed.value;
  return {
    host: values.CREDROAM_LOGON_HOST,
    port: values.CREDROAM_LOGON_PORT,
    tls: httpListenerTls(
      {
        host: values.CREDROAM_LOGON_HOST,
        certFile: values.CREDROAM_LOGON_TLS_CERT_FILE,
        keyFile: values.CREDROAM_LOGON_TLS_KEY_FILE,
        allowPlaintext: values.CREDROAM_LOGON_ALLOW_PLAINTEXT === 'true',
      },
      LISTENER_ENV,
    ),
    sessionKey: readKey(
      values.CREDROAM_SESSION_KEY_FILE,
      'the session key',
      'CREDROAM_SESSION_KEY_FILE',
      SESSION_KEY_MIN_BYTES,
      1024,
    ),
    sessionLifetimeMs: values.CREDROAM_SESSION_LIFETIME_SECONDS * 1000,
    policyCacheMs: values.CREDROAM_POLICY_CACHE_SECONDS * 1000,
    serviceChannelKey: readKey(
      values.CREDROAM_SERVICE_CHANNEL_KEY_FILE,
      'the service channel key',
      'CREDROAM_SERVICE_CHANNEL_KEY_FILE',
      SERVICE_CHANNEL_KEY_BYTES,
      SERVICE_CHANNEL_KEY_BYTES,
    ),
    grants: grantIssuerFromEnv(env),
    rates: {
      user: { burst: values.CREDROAM_RATE_USER_BURST, perSecond: values.CREDROAM_RATE_USER_PER_SECOND },
      client: { burst: values.CREDROAM_RATE_CLIENT_BURST, perSecond: values.CREDROAM_RATE_CLIENT_PER_SECOND },
    },
    rateLimitRedisUrl: values.CREDROAM_RATE_LIMIT_REDIS_URL ?? null,
    sync: {
      maxWriteAttempts: values.CREDROAM_SYNC_MAX_ATTEMPTS,
      retryBaseDelayMs: values.CREDROAM_SYNC_RETRY_BASE_MS,
    },
    amqpIngress: values.CREDROAM_LOGON_AMQP_INGRESS === 'true',
    logonFailures: {
      threshold: values.CREDROAM_LOGON_FAILURE_THRESHOLD,
      windowMs: values.CREDROAM_LOGON_FAILURE_WINDOW_SECONDS * 1000,
    },
    kerberos: kerberosSettings(values),
  };
}

/** Both the keytab and the principal, or neither; the realm defaults to the principal's. */
function kerberosSettings(values: z.output<typeof envSchema>): KerberosSettings | null {
  const keytab = values.CREDROAM_KERBEROS_KEYTAB;
  const servicePrincipal = values.CREDROAM_KERBEROS_SERVICE_PRINCIPAL;
  if (keytab === undefined && servicePrincipal === undefined) return null;
  if (keytab === undefined || servicePrincipal === undefined)
    throw new RoamingError(
      'INVALID_INPUT',
      'logon-events configuration: CREDROAM_KERBEROS_KEYTAB and CREDROAM_KERBEROS_SERVICE_PRINCIPAL go together',
    );
  try {
    readFileSync(keytab);
  } catch (error) {
    throw new RoamingError(
      'INVALID_INPUT',
      `CREDROAM_KERBEROS_KEYTAB: cannot read the keytab ${keytab}: ${(error as Error).message}`,
    );
  }
  const realm =
    values.CREDROAM_KERBEROS_REALM ?? servicePrincipal.slice(servicePrincipal.lastIndexOf('@') + 1);
  return { keytab, servicePrincipal, realm };
}
