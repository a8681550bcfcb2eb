import type { Channel, ChannelModel } from 'amqplib';
import amqp, { type AmqpConnectionManager } from 'amqp-connection-manager';
import { brokerUrls, describeBroker, type AmqpConfig } from './amqp.config';
import { amqpSocketTls, brokerTlsHint } from './amqp-tls';
import { errorFields, type MessagingLogger } from './messaging.logger';
import { withTimeout } from './timeout';

/** How a long-lived connection behaves; the defaults suit services, tests shorten them. */
export interface ConnectionTuning {
  /** AMQP heartbeat: how soon a dead broker or network is noticed. Default 5 s. */
  heartbeatSeconds?: number;
  /** Pause between reconnection attempts. Default 1000 ms. */
  reconnectDelayMs?: number;
}

export const DEFAULT_TUNING = Object.freeze({ heartbeatSeconds: 5, reconnectDelayMs: 1_000 });

/** Bounds the TCP connect and the AMQP handshake, so a silent peer cannot stall a (re)connection forever. */
export const CONNECT_TIMEOUT_MS = 10_000;

/**
 * The socket options every credroam connection uses. Without noDelay, Nagle's algorithm and delayed ACKs add
 * ~40 ms to every request/reply exchange (stack-notes.md). Both Nest's RMQ transport (which reads exactly
 * `socketOptions.connectionOptions`) and amqp-connection-manager take this object, and hand it to amqplib, which
 * passes it to tls.connect for amqps://: the configured CA and client certificate ride along.
 */
export function connectionOptions(config: Pick<AmqpConfig, 'namespace' | 'tls'>, role: string) {
  return {
    ...amqpSocketTls(config.tls),
    noDelay: true,
    timeout: CONNECT_TIMEOUT_MS,
    // Names the connection in the management UI and `rabbitmqctl list_connections`.
    clientProperties: { connection_name: `${config.namespace}:${role}` },
  };
}

/**
 * A self-healing connection (amqp-connection-manager) for the event publisher and consumers: it reconnects after
 * any loss and re-runs each channel's setup (declarations, consumers) on the new connection.
 */
export function openConnection(
  config: AmqpConfig,
  role: string,
  logger: MessagingLogger,
  tuning: ConnectionTuning = {},
): AmqpConnectionManager {
  const heartbeatSeconds = tuning.heartbeatSeconds ?? DEFAULT_TUNING.heartbeatSeconds;
  const reconnectDelayMs = tuning.reconnectDelayMs ?? DEFAULT_TUNING.reconnectDelayMs;
  const broker = describeBroker(config);
  const manager = amqp.connect(brokerUrls(config), {
    heartbeatIntervalInSeconds: heartbeatSeconds,
    reconnectTimeInSeconds: reconnectDelayMs / 1000,
    connectionOptions: connectionOptions(config, role),
  });
  manager.on('connect', () => logger.info({ role, broker }, 'connected to the broker'));
  manager.on('disconnect', ({ err }) =>
    logger.warn({ role, broker, ...errorFields(err) }, 'lost the broker connection; reconnecting'),
  );
  manager.on('connectFailed', ({ err }) => {
    const fields = hintFields(err);
    if (fields.hint) lastHints.set(manager, fields.hint);
    logger.warn(
      { role, broker, ...errorFields(err), ...fields },
      'could not connect to the broker; retrying',
    );
  });
  manager.on('blocked', ({ reason }) =>
    logger.warn({ role, broker, reason }, 'the broker blocked publishing'),
  );
  manager.on('unblocked', () => logger.info({ role, broker }, 'the broker unblocked publishing'));
  return manager;
}

/**
 * The error of a failed connection attempt: amqp-connection-manager reports `{ err, url }`, and Nest's ClientRMQ
 * rejects its connect() with that object as it is.
 */
export function connectionError(failure: unknown): unknown {
  return typeof failure === 'object' && failure !== null && 'err' in failure ? failure.err : failure;
}

const lastHints = new WeakMap<AmqpConnectionManager, string>();

/**
 * For the error of a connection that never came up: `: <hint>` when its last attempt failed because of TLS
 * (what to configure), else nothing. The broker's own words are in the log lines of each attempt.
 */
export function failedConnectionHint(manager: AmqpConnectionManager | undefined): string {
  const hint = manager ? lastHints.get(manager) : undefined;
  return hint ? `: ${hint}` : '';
}

/** A `hint` field naming what to configure when a connection failed because of TLS (retrying will not help). */
export function hintFields(failure: unknown): { hint?: string } {
  const hint = brokerTlsHint(connectionError(failure));
  return hint ? { hint } : {};
}

/**
 * amqp-connection-manager 5 recreates channels only after a *connection* loss: a channel the broker closes on its
 * own (an error such as PRECONDITION_FAILED or NOT_FOUND) would stay dead and silently buffer every publish.
 * Called from a channel's setup, this turns such a close into a reconnect, which re-runs every setup.
 */
export function reconnectWhenChannelDies(
  manager: AmqpConnectionManager,
  channel: Channel,
  isClosing: () => boolean,
  logger: MessagingLogger,
  role: string,
): void {
  const connection: ChannelModel | undefined = manager.connection;
  channel.on('error', (error: unknown) =>
    logger.warn({ role, ...errorFields(error) }, 'the broker closed a channel'),
  );
  channel.once('close', () => {
    // Let a connection loss (which closes its channels first) be handled by the manager's own reconnect.
    setImmediate(() => {
      if (isClosing() || manager.connection !== connection || connection === undefined) return;
      logger.warn({ role }, 'channel closed by the broker; reconnecting to restore it');
      try {
        manager.reconnect();
      } catch {
        // Closed meanwhile.
      }
    });
  });
}

/**
 * Closes a connection manager without hanging. amqp-connection-manager 5.0 waits in close() for its pending
 * connect attempt, and when that attempt already failed and is waiting to retry, close() cancels the retry timer
 * and then waits forever. Nothing is left open in that state, so giving up the wait is safe.
 */
export async function closeConnection(manager: AmqpConnectionManager, logger: MessagingLogger, role: string) {
  const timeoutMs = manager.isConnected() ? 5_000 : 1_000;
  await withTimeout(manager.close(), timeoutMs).catch((error: unknown) =>
    logger.warn({ role, ...errorFields(error) }, 'the broker connection did not close cleanly'),
  );
}

/** Runs `work` on a short-lived channel of the manager's current connection (queries that may fail with 404). */
export async function withTemporaryChannel<T>(
  manager: AmqpConnectionManager,
  work: (channel: Channel) => Promise<T>,
): Promise<T> {
  const connection = manager.connection;
  if (!connection) throw new Error('not connected to the broker');
  const channel = await connection.createChannel();
  // A failing query closes the channel from the broker's side; the error is reported by `work`.
  channel.on('error', () => undefined);
  try {
    return await work(channel);
  } finally {
    await channel.close().catch(() => undefined);
  }
}
