import { RoamingError } from '@credroam/roaming';
import { z } from 'zod';
import { envWholeNumber } from '@credroam/platform';
import { amqpTlsFilesSchema, loadAmqpTls } from './amqp-tls';

/**
 * The broker settings every service reads from its environment. Validated at boot: a wrong value stops the
 * service with a message naming the variable, instead of a confusing broker error later.
 */
export const AMQP_ENV = Object.freeze({
  url: 'CREDROAM_AMQP_URL',
  namespace: 'CREDROAM_AMQP_NAMESPACE',
  prefetch: 'CREDROAM_AMQP_PREFETCH',
  rpcTimeoutMs: 'CREDROAM_RPC_TIMEOUT_MS',
  queueType: 'CREDROAM_AMQP_QUEUE_TYPE',
  maxMessageBytes: 'CREDROAM_AMQP_MAX_MESSAGE_BYTES',
} as const);

export const AMQP_DEFAULTS = Object.freeze({
  url: 'amqp://guest:guest@127.0.0.1:5672',
  namespace: 'credroam',
  prefetch: 32,
  rpcTimeoutMs: 10_000,
  queueType: 'classic' as QueueType,
  // The largest legitimate message is a sync: logon-events' HTTP edge takes the same 64 MiB (the policy's default
  // 16 MiB of tokens, sealed and base64-encoded). RabbitMQ's own max_message_size must be at least this.
  maxMessageBytes: 64 * 1024 * 1024,
});

/**
 * The type of every durable queue credroam declares: `quorum` on a RabbitMQ cluster (replicated, the safe choice),
 * `classic` on a single local broker. Every declaration carries it, so all parties agree on a queue's arguments.
 */
export const QUEUE_TYPES = ['classic', 'quorum'] as const;
export type QueueType = (typeof QUEUE_TYPES)[number];

/**
 * Lower-case words joined by "-" or ".", so every derived exchange and queue name stays a plain,
 * greppable RabbitMQ name (and `<ns>.events` for the default namespace is exactly EVENTS_EXCHANGE).
 */
export const namespaceSchema = z
  .string()
  .max(64, { message: 'must be at most 64 characters' })
  .regex(/^[a-z0-9]+(?:[.-][a-z0-9]+)*$/, {
    message: 'must be lower-case letters and digits, words joined by "-" or "." (e.g. credroam-test-1a2b)',
  });

function isBrokerUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === 'amqp:' || url.protocol === 'amqps:') && url.hostname !== '';
  } catch {
    return false;
  }
}

/** The URLs of a comma-separated list, trimmed, empty items dropped. */
function splitUrls(text: string): string[] {
  return text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

/**
 * One broker URL, or several separated by commas: the nodes of a RabbitMQ cluster, tried in turn at every
 * (re)connection, so a client fails over to a surviving node by itself. All of one scheme (amqp:// or amqps://).
 */
const amqpUrlSchema = z
  .string()
  .refine(
    (text) => {
      const urls = splitUrls(text);
      return urls.length > 0 && urls.every(isBrokerUrl);
    },
    // The value itself is never echoed: it may hold a password.
    {
      message:
        'must be an amqp:// or amqps:// URL with a host, e.g. amqp://user:password@host:5672/vhost, or several ' +
        'separated by commas (the nodes of a cluster)',
    },
  )
  .refine(
    (text) =>
      !splitUrls(text).every(isBrokerUrl) ||
      new Set(splitUrls(text).map((url) => new URL(url).protocol)).size <= 1,
    {
      message: 'must use one scheme for every node: all amqp:// or all amqps://',
    },
  )
  .transform((text) => splitUrls(text).join(','));

/** The broker URLs of a configuration: one, or each node of a cluster (CREDROAM_AMQP_URL separated by commas). */
export function brokerUrls(config: Pick<AmqpConfig, 'url'>): string[] {
  return splitUrls(config.url);
}

/** RabbitMQ refuses messages over 512 MiB whatever its max_message_size. */
const MAX_MESSAGE_BYTES_CEILING = 512 * 1024 * 1024;

/** The environment variables as they arrive: strings, an empty one meaning "not set". */
const amqpEnvSchema = z.object({
  [AMQP_ENV.url]: amqpUrlSchema.default(AMQP_DEFAULTS.url),
  [AMQP_ENV.namespace]: namespaceSchema.default(AMQP_DEFAULTS.namespace),
  // Prefetch 0 would mean "unlimited" to the broker: a slow replica could hoard the whole queue.
  [AMQP_ENV.prefetch]: envWholeNumber(1, 65_535).default(AMQP_DEFAULTS.prefetch),
  [AMQP_ENV.rpcTimeoutMs]: envWholeNumber(1, 600_000).default(AMQP_DEFAULTS.rpcTimeoutMs),
  [AMQP_ENV.queueType]: z.enum(QUEUE_TYPES).default(AMQP_DEFAULTS.queueType),
  [AMQP_ENV.maxMessageBytes]: envWholeNumber(1024, MAX_MESSAGE_BYTES_CEILING).default(
    AMQP_DEFAULTS.maxMessageBytes,
  ),
});

/** The validated broker configuration. */
export const amqpConfigSchema = z
  .object({
    /** TLS files for amqps:// (amqp-tls.ts); absent: the system's CAs, no client certificate. */
    tls: amqpTlsFilesSchema.optional(),
    url: amqpUrlSchema,
    namespace: namespaceSchema,
    prefetch: z.number().int().min(1).max(65_535),
    rpcTimeoutMs: z.number().int().min(1).max(600_000),
    queueType: z.enum(QUEUE_TYPES).default(AMQP_DEFAULTS.queueType),
    /** The largest message body a consumer admits; a bigger one is dead-lettered unread (message-admission.ts). */
    maxMessageBytes: z
      .number()
      .int()
      .min(1024)
      .max(MAX_MESSAGE_BYTES_CEILING)
      .default(AMQP_DEFAULTS.maxMessageBytes),
  })
  .strict();
export type AmqpConfig = z.output<typeof amqpConfigSchema>;

/**
 * Reads the broker configuration from `env` (process.env by default). Throws INVALID_INPUT naming every bad
 * variable and why, never echoing the URL (it may carry a password).
 */
export function loadAmqpConfig(env: NodeJS.ProcessEnv = process.env): AmqpConfig {
  const present = Object.fromEntries(
    Object.values(AMQP_ENV)
      .map((name) => [name, env[name]?.trim()] as const)
      .filter(([, value]) => value !== undefined && value !== ''),
  );
  const parsed = amqpEnvSchema.safeParse(present);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')} ${issue.message}`);
    throw new RoamingError('INVALID_INPUT', `invalid messaging configuration: ${problems.join('; ')}`);
  }
  const values = parsed.data;
  // The same TLS settings serve every node; each node's URL is checked (a plain one must stay on loopback).
  const [tls] = splitUrls(values[AMQP_ENV.url]).map((url) => loadAmqpTls(url, env));
  return {
    ...tls,
    url: values[AMQP_ENV.url],
    namespace: values[AMQP_ENV.namespace],
    prefetch: values[AMQP_ENV.prefetch],
    rpcTimeoutMs: values[AMQP_ENV.rpcTimeoutMs],
    queueType: values[AMQP_ENV.queueType],
    maxMessageBytes: values[AMQP_ENV.maxMessageBytes],
  };
}

/** Builds a configuration from the defaults and `overrides` (tests, tools); validated like the environment. */
export function amqpConfig(overrides: Partial<z.input<typeof amqpConfigSchema>> = {}): AmqpConfig {
  const parsed = amqpConfigSchema.safeParse({ ...AMQP_DEFAULTS, ...overrides });
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')} ${issue.message}`);
    throw new RoamingError('INVALID_INPUT', `invalid messaging configuration: ${problems.join('; ')}`);
  }
  return parsed.data;
}

/** The URL (or each URL of a list) with its password replaced, for logs and health details. */
export function redactAmqpUrl(text: string): string {
  return splitUrls(text)
    .map((item) => {
      try {
        const url = new URL(item);
        if (url.password) url.password = '***';
        return url.toString();
      } catch {
        return '(unparseable URL)';
      }
    })
    .join(',');
}

/** The broker's address without credentials: host, port and vhost (of each node of a cluster). */
export function describeBroker(config: Pick<AmqpConfig, 'url'>): string {
  return splitUrls(config.url)
    .map((item) => {
      try {
        const url = new URL(item);
        const port = url.port || (url.protocol === 'amqps:' ? '5671' : '5672');
        const vhost = url.pathname.length > 1 ? decodeURIComponent(url.pathname.slice(1)) : '/';
        return `${url.protocol}//${url.hostname}:${port} vhost ${vhost}`;
      } catch {
        return '(unparseable URL)';
      }
    })
    .join(', ');
}
