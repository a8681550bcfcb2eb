import { randomUUID } from 'node:crypto';
import { amqpNames, EXCHANGE_OPTIONS, type AmqpConfig } from '@credroam/messaging';
import {
  correlationIdSchema,
  INGRESS_PROOF_HEADERS,
  INGRESS_ROUTING_KEY,
  RoamingError,
  type ErrorInfo,
  type IngressTransportCertificate,
} from '@credroam/roaming';
import amqplib, { type Channel, type ChannelModel, type ConsumeMessage } from 'amqplib';
import { type AgentService } from '../agent/agent.service';
import { type CryptoPort, type LogSink } from '../ports/logon.ports';
import { type DeviceProof } from '../sessions/device-proof.verifier';

type Reply = { ok: true; value: unknown } | { ok: false; error: ErrorInfo };

/**
 * The agent protocol over AMQP: a message on the ingress exchange (routed to logon-events' ingress queue) is one
 * transport-certificate question,
 * create-session or sync, answered on its `reply_to` with the serialised Result (ingressReplySchemas) and acked
 * once answered. The body is validated by the same use-case as over HTTP, so the answers are the same.
 */
export class IngressConsumer {
  private connection: ChannelModel | undefined;
  private channel: Channel | undefined;
  private stopping = false;

  constructor(
    private readonly config: AmqpConfig,
    private readonly agent: AgentService,
    private readonly crypto: CryptoPort,
    private readonly log: LogSink,
  ) {}

  get queue(): string {
    return amqpNames(this.config.namespace).ingressQueue;
  }

  async start(): Promise<void> {
    this.stopping = false;
    const connection = await amqplib.connect(this.config.url, {
      clientProperties: { connection_name: 'logon-events-ingress' },
    });
    const channel = await connection.createChannel();
    const { ingressExchange } = amqpNames(this.config.namespace);
    await channel.assertExchange(ingressExchange, 'direct', EXCHANGE_OPTIONS);
    await channel.assertQueue(this.queue, { durable: true });
    await channel.bindQueue(this.queue, ingressExchange, INGRESS_ROUTING_KEY);
    await channel.prefetch(this.config.prefetch);
    connection.on('error', (error: Error) =>
      this.log.warn({ err: error.message }, 'ingress connection error'),
    );
    connection.on('close', () => this.reconnectLater());
    await channel.consume(this.queue, (message) => {
      if (message) void this.handle(channel, message);
    });
    this.connection = connection;
    this.channel = channel;
    this.log.info({ queue: this.queue }, 'ingress consuming');
  }

  async stop(): Promise<void> {
    this.stopping = true;
    const connection = this.connection;
    this.connection = undefined;
    this.channel = undefined;
    await connection?.close().catch(() => undefined);
  }

  private reconnectLater(): void {
    if (this.stopping) return;
    this.connection = undefined;
    this.channel = undefined;
    this.log.warn({ queue: this.queue }, 'ingress connection lost; reconnecting');
    setTimeout(() => {
      if (this.stopping) return;
      this.start().catch((error: unknown) => {
        this.log.warn({ err: (error as Error).message }, 'ingress reconnect failed');
        this.reconnectLater();
      });
    }, 1_000).unref();
  }

  private async handle(channel: Channel, message: ConsumeMessage): Promise<void> {
    const given = message.properties.correlationId as unknown;
    const correlationId =
      typeof given === 'string' && correlationIdSchema.safeParse(given).success ? given : randomUUID();
    const reply = await this.dispatch(message, correlationId);
    const replyTo = message.properties.replyTo as unknown;
    try {
      if (typeof replyTo === 'string' && replyTo !== '') {
        channel.sendToQueue(replyTo, Buffer.from(JSON.stringify(reply)), {
          correlationId: typeof given === 'string' ? given : correlationId,
          contentType: 'application/json',
        });
      }
      channel.ack(message);
    } catch (error) {
      this.log.warn({ correlationId, err: (error as Error).message }, 'ingress reply not sent');
    }
  }

  private async dispatch(message: ConsumeMessage, correlationId: string): Promise<Reply> {
    try {
      let parsed: unknown;
      try {
        parsed = JSON.parse(message.content.toString('utf8'));
      } catch {
        throw new RoamingError('INVALID_INPUT', 'the message is not JSON');
      }
      const { kind, body, sessionToken } = (parsed ?? {}) as Record<string, unknown>;
      if (kind === 'transport-certificate') {
        return { ok: true, value: await this.transportCertificate(correlationId) };
      }
      if (kind === 'create-session') {
        const caller = { transport: 'amqp', proof: null } as const;
        return { ok: true, value: await this.agent.createSession(body, caller, correlationId) };
      }
      if (kind === 'sync') {
        const token = typeof sessionToken === 'string' ? sessionToken : undefined;
        const caller = { transport: 'amqp', proof: proofOf(message) } as const;
        return { ok: true, value: await this.agent.sync(token, body, caller, correlationId) };
      }
      throw new RoamingError(
        'INVALID_INPUT',
        'kind must be "transport-certificate", "create-session" or "sync"',
      );
    } catch (error) {
      const info = error instanceof RoamingError ? error : new RoamingError('INTERNAL', 'internal error');
      return { ok: false, error: info.toInfo() };
    }
  }

  private async transportCertificate(correlationId: string): Promise<IngressTransportCertificate> {
    const { certificatePem } = await this.crypto.transportCertificate(correlationId);
    return { transportCertificatePem: certificatePem };
  }
}

/** The device proof in a message's headers; null when it carries none or a malformed one. */
function proofOf(message: ConsumeMessage): DeviceProof | null {
  const headers = (message.properties.headers ?? {}) as Record<string, unknown>;
  const issuedAt = headers[INGRESS_PROOF_HEADERS.issuedAt];
  const signature = headers[INGRESS_PROOF_HEADERS.signature];
  if (typeof issuedAt !== 'string' || !/^\d{1,16}$/.test(issuedAt)) return null;
  if (typeof signature !== 'string' || signature.length === 0 || signature.length > 2048) return null;
  return { message: message.content, issuedAt: Number(issuedAt), signature };
}
