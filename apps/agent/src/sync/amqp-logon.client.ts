import { randomUUID } from 'node:crypto';
import { amqpNames } from '@credroam/messaging';
import {
  createSessionResponseSchema,
  INGRESS_PROOF_HEADERS,
  INGRESS_ROUTING_KEY,
  ingressReplySchemas,
  ingressTransportCertificateSchema,
  parseWith,
  refusalServerTime,
  renewSessionResponseSchema,
  RoamingError,
  syncResponseSchema,
  workstationEventResponseSchema,
  type CreateSessionResponse,
  type IngressKind,
  type RenewSessionResponse,
  type SyncRequest,
  type SyncResponse,
  type WorkstationEventRequest,
  type WorkstationEventResponse,
} from '@credroam/roaming';
import { deviceKeyHash, sealLogonPassword, signDeviceProof } from '@credroam/sealing';
import amqplib from 'amqplib';
import { z } from 'zod';
import { type DeviceKeyPair } from '../store/device-keys';
import { type SyncTrace } from './sync-trace';
import { transportCertificate } from './credentials';
import { displayServer, renewalBody, type LogonClient, type SessionRequest } from './logon-client';
import { retrier, withRetries, type Attempt, type Retrier, type RetryPolicy } from './retry';
import { serverTlsError } from './transport-security';

/** RabbitMQ's direct reply-to: answers come straight back on this connection, no reply queue to declare. */
const DIRECT_REPLY_TO = 'amq.rabbitmq.reply-to';
const DEFAULT_NAMESPACE = 'credroam';

export interface AmqpLogonClientOptions {
  /** `amqp(s)://user:password@host:port/vhost?namespace=credroam` */
  server: string;
  /**
   * The transport certificate to seal the password to: pinned by the administrator (used as is), or remembered
   * from the previous session (replaced by the ingress's current one when token-crypto no longer holds its key,
   * after a transport key rotation). Without one the ingress is asked (trust on first use).
   */
  transportCertificate?: { pem: string; pinned: boolean } | null;
  /** For amqps://: the CA (PEM) that alone is trusted for the broker's certificate; default the system's CAs. */
  caPem?: string | null;
  now: () => number;
  /** Told the server's time named by a CLOCK_SKEW refusal (server-clock.ts). */
  onServerTime?: (serverTime: number) => void;
  retry?: RetryPolicy;
  timeoutMs?: number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

type Outgoing = { content: Buffer; headers?: Record<string, string> };

/**
 * The agent protocol over the broker (for hooks on machines that reach RabbitMQ, not logon-events): one message on
 * the ingress exchange per call, answered on direct reply-to. Both need no broker permission but publishing to
 * that exchange, which is all the hook account has. Nothing secret is readable on the broker: the
 * password is sealed to the transport certificate and bound to login, device key and time, and every sync is
 * signed by the device key (a session token read off a queue is useless without it).
 */
export class AmqpLogonClient implements LogonClient {
  readonly server: string;
  private readonly connectUrl: string;
  private readonly ingressExchange: string;
  private readonly retrying: Retrier;
  private readonly timeoutMs: number;

  constructor(private readonly options: AmqpLogonClientOptions) {
    const url = new URL(options.server);
    const namespace = url.searchParams.get('namespace') ?? DEFAULT_NAMESPACE;
    url.searchParams.delete('namespace');
    this.server = options.server;
    this.connectUrl = url.toString();
    this.ingressExchange = amqpNames(namespace).ingressExchange;
    this.retrying = retrier(options);
    this.timeoutMs = options.timeoutMs ?? 60_000;
  }

  async transportCertificatePem(): Promise<string> {
    const content = Buffer.from(JSON.stringify({ kind: 'transport-certificate' }));
    const answer = await this.call('transport-certificate', () => ({ content }));
    return parsed(ingressTransportCertificateSchema, answer).transportCertificatePem;
  }

  async createSession(request: SessionRequest): Promise<CreateSessionResponse> {
    const known = this.options.transportCertificate ?? null;
    try {
      return await this.createSessionSealedTo(known?.pem ?? (await this.transportCertificatePem()), request);
    } catch (error) {
      const rotated = error instanceof RoamingError && error.code === 'KEY_UNAVAILABLE';
      if (!rotated || known === null) throw error;
      if (known.pinned) {
        throw new RoamingError(
          'KEY_UNAVAILABLE',
          'token-crypto holds no key for the pinned transport certificate (rotated?): pin the current one',
        );
      }
      return this.createSessionSealedTo(await this.transportCertificatePem(), request);
    }
  }

  private async createSessionSealedTo(pem: string, request: SessionRequest): Promise<CreateSessionResponse> {
    const certificate = transportCertificate(pem);
    const devicePublicKey = request.deviceKey.spki.toString('base64');
    const answer = await this.call('create-session', () => {
      // Sealed again for every attempt, so a retry after a backoff is not refused as stale.
      const password = Buffer.from(request.password, 'utf8');
      try {
        const binding = {
          login: request.user,
          deviceKeyHash: deviceKeyHash(devicePublicKey),
          issuedAt: this.options.now(),
        };
        const sealed = sealLogonPassword(binding, password, [{ certificate }]);
        if (!sealed.ok) throw RoamingError.fromInfo(sealed.error);
        const body = {
          user: request.user,
          machine: request.machine,
          devicePublicKey,
          agentVersion: request.agentVersion,
          sealedPassword: sealed.value.toString('base64'),
        };
        return { content: Buffer.from(JSON.stringify({ kind: 'create-session', body })) };
      } finally {
        password.fill(0);
      }
    });
    return parsed(createSessionResponseSchema, answer);
  }

  async sync(
    sessionToken: string,
    body: SyncRequest,
    deviceKey: DeviceKeyPair,
    trace?: SyncTrace,
  ): Promise<SyncResponse> {
    const answer = await this.signedCall('sync', sessionToken, body, deviceKey, trace?.headers);
    return parsed(syncResponseSchema, answer);
  }

  async renewSession(sessionToken: string, deviceKey: DeviceKeyPair): Promise<RenewSessionResponse> {
    const answer = await this.call('renew-session', () => {
      const body = renewalBody(sessionToken, deviceKey, this.options.now());
      return { content: Buffer.from(JSON.stringify({ kind: 'renew-session', body })) };
    });
    return parsed(renewSessionResponseSchema, answer);
  }

  async reportEvent(
    sessionToken: string,
    body: WorkstationEventRequest,
    deviceKey: DeviceKeyPair,
  ): Promise<WorkstationEventResponse> {
    const answer = await this.signedCall('report-event', sessionToken, body, deviceKey);
    return parsed(workstationEventResponseSchema, answer);
  }

  /** A message for a session, its headers carrying the device proof over its bytes (made for every attempt). */
  private signedCall(
    kind: 'sync' | 'report-event',
    sessionToken: string,
    body: unknown,
    deviceKey: DeviceKeyPair,
    traceHeaders: Readonly<Record<string, string>> = {},
  ): Promise<unknown> {
    const content = Buffer.from(JSON.stringify({ kind, sessionToken, body }));
    return this.call(kind, () => {
      const issuedAt = this.options.now();
      return {
        content,
        headers: {
          ...traceHeaders,
          [INGRESS_PROOF_HEADERS.issuedAt]: String(issuedAt),
          [INGRESS_PROOF_HEADERS.signature]: signDeviceProof(deviceKey.privateKey, issuedAt, content),
        },
      };
    });
  }

  /** The value of the call's answer, checked against the reply contract of `kind`. */
  private call(kind: IngressKind, outgoing: () => Outgoing): Promise<unknown> {
    return withRetries(this.retrying, () => this.attempt(kind, outgoing()));
  }

  private async attempt(kind: IngressKind, outgoing: Outgoing): Promise<Attempt<unknown>> {
    let text: string;
    try {
      text = await this.exchange(outgoing);
    } catch (error) {
      const tls = serverTlsError(error, displayServer(this.server));
      if (tls) throw tls;
      const failure = error instanceof RoamingError ? error : this.unreachable(error);
      if (!failure.retryable) throw failure;
      return { retry: failure };
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new RoamingError('CONTRACT_VIOLATION', `the ${kind} answer on the broker is not JSON`);
    }
    const reply = ingressReplySchemas[kind].safeParse(json);
    if (!reply.success) {
      throw new RoamingError('CONTRACT_VIOLATION', `the ${kind} answer on the broker breaks the contract`);
    }
    if (reply.data.ok) return { done: reply.data.value };
    const serverTime = refusalServerTime(reply.data.error);
    // Dated by the server's own word, the next attempt's proof is fresh (outgoing() is made again per attempt).
    if (serverTime !== null) this.options.onServerTime?.(serverTime);
    const failure = RoamingError.fromInfo(reply.data.error);
    if (failure.retryable) return { retry: failure };
    throw failure;
  }

  /**
   * One connection per request: a logon hook runs once and exits, and nothing is left open on the broker. The
   * request is published mandatory on a confirm channel, so a message the broker could not route or store (no
   * ingress queue yet, a cluster node lost mid-publish) and a connection lost before the answer fail at once as
   * retryable, instead of leaving the agent waiting out its whole timeout for an answer that cannot come.
   */
  private async exchange({ content, headers }: Outgoing): Promise<string> {
    const connection = await amqplib.connect(this.connectUrl, {
      timeout: this.timeoutMs,
      clientProperties: { connection_name: 'credroam-agent' },
      // amqplib hands these to tls.connect for amqps:// (and names the server for the certificate check).
      ...(this.options.caPem ? { ca: [this.options.caPem] } : {}),
    });
    let failed: (error: RoamingError) => void = () => undefined;
    const failure = new Promise<never>((_, reject) => (failed = reject));
    failure.catch(() => undefined);
    connection.on('error', () => undefined);
    connection.on('close', () => failed(this.lost('the broker closed the connection')));
    try {
      const channel = await connection.createConfirmChannel();
      channel.on('error', () => undefined);
      try {
        await channel.checkExchange(this.ingressExchange);
      } catch {
        throw new RoamingError(
          'SERVICE_UNAVAILABLE',
          `no logon-events ingress exchange ${this.ingressExchange} on ${displayServer(this.server)}`,
        );
      }
      channel.on('return', () => failed(this.lost('no logon-events ingress queue took the request')));
      const correlationId = randomUUID();
      let answered: (text: string) => void = () => undefined;
      const answer = new Promise<string>((resolve) => (answered = resolve));
      await channel.consume(
        DIRECT_REPLY_TO,
        (message) => {
          if (message?.properties.correlationId === correlationId) answered(message.content.toString('utf8'));
        },
        { noAck: true },
      );
      channel.publish(
        this.ingressExchange,
        INGRESS_ROUTING_KEY,
        content,
        {
          replyTo: DIRECT_REPLY_TO,
          correlationId,
          contentType: 'application/json',
          mandatory: true,
          // A request nobody took in time is dropped, not answered to an agent that has given up.
          expiration: String(this.timeoutMs),
          ...(headers ? { headers } : {}),
        },
        (error: unknown) => {
          if (error) failed(this.lost('the broker did not store the request'));
        },
      );
      return await this.within(Promise.race([answer, failure]));
    } finally {
      await connection.close().catch(() => undefined);
    }
  }

  /** A request that may not have reached logon-events, or whose answer cannot arrive: worth another attempt. */
  private lost(what: string): RoamingError {
    return new RoamingError(
      'SERVICE_UNAVAILABLE',
      `${what} on ${displayServer(this.server)} before logon-events answered`,
    );
  }

  private within(answer: Promise<string>): Promise<string> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new RoamingError(
              'TIMEOUT',
              `logon-events did not answer on ${displayServer(this.server)} in time`,
            ),
          ),
        this.timeoutMs,
      );
    });
    return Promise.race([answer, timeout]).finally(() => clearTimeout(timer));
  }

  private unreachable(error: unknown): RoamingError {
    const message = (error as Error).message ?? String(error);
    if (/ACCESS_REFUSED|403/.test(message)) {
      return new RoamingError(
        'UNAUTHENTICATED',
        `the broker refused the credentials in ${displayServer(this.server)}`,
      );
    }
    return new RoamingError(
      'SERVICE_UNAVAILABLE',
      `the broker at ${displayServer(this.server)} is unreachable`,
    );
  }
}

function parsed<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const checked = parseWith(schema, value, 'CONTRACT_VIOLATION');
  if (!checked.ok) throw RoamingError.fromInfo(checked.error);
  return checked.value;
}
