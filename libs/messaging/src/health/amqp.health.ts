import amqplib from 'amqplib';
import { brokerUrls, describeBroker, redactAmqpUrl, type AmqpConfig } from '../amqp.config';
import { connectionOptions } from '../amqp.connection';
import { brokerTlsHint } from '../amqp-tls';
import { withTimeout } from '../timeout';

export interface AmqpHealth {
  ok: boolean;
  /** Where and what: the broker's address (never its credentials) and, on failure, why. */
  detail: string;
}

/**
 * A readiness probe for `/health/ready`: opens a connection and a channel and closes them again within
 * `timeoutMs` (default 3 s). Never throws.
 */
export async function checkAmqp(
  config: Pick<AmqpConfig, 'url' | 'namespace' | 'tls'>,
  timeoutMs = 3_000,
): Promise<AmqpHealth> {
  const broker = describeBroker(config);
  const started = performance.now();
  // A cluster is ready when any of its nodes answers: the services fail over to it (nodes tried in turn).
  const attempt = (async () => {
    let failure: unknown;
    for (const url of brokerUrls(config)) {
      try {
        const connection = await amqplib.connect(url, {
          ...connectionOptions(config, 'health-check'),
          timeout: timeoutMs,
        });
        try {
          const channel = await connection.createChannel();
          await channel.close();
        } finally {
          await connection.close().catch(() => undefined);
        }
        return;
      } catch (error) {
        failure = error;
      }
    }
    throw failure;
  })();
  try {
    await withTimeout(attempt, timeoutMs);
    return { ok: true, detail: `${broker} answered in ${Math.round(performance.now() - started)} ms` };
  } catch (error) {
    // A late connection must still be closed; the attempt closes what it opened once it settles.
    attempt.catch(() => undefined);
    const reason = brokerTlsHint(error) ?? (error instanceof Error ? error.message : String(error));
    // amqplib's messages name hosts, not credentials; redact anyway in case one quotes the URL.
    return { ok: false, detail: `${broker}: ${scrub(reason, config.url)}` };
  }
}

function scrub(text: string, urls: string): string {
  return brokerUrls({ url: urls }).reduce((scrubbed, url) => {
    const password = safePassword(url);
    const redacted = scrubbed.split(url).join(redactAmqpUrl(url));
    return password ? redacted.split(password).join('***') : redacted;
  }, text);
}

function safePassword(url: string): string {
  try {
    return decodeURIComponent(new URL(url).password);
  } catch {
    return '';
  }
}
