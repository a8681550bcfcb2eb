import { randomUUID } from 'node:crypto';
import { amqpNames, MessageConsumer, type AmqpConfig, type MessageDelivery } from '@credroam/messaging';
import {
  correlationIdSchema,
  ingressMessageSchema,
  INGRESS_PROOF_HEADERS,
  INGRESS_ROUTING_KEY,
  RoamingError,
  type ErrorInfo,
  type IngressTransportCertificate,
} from '@credroam/roaming';
import { type AgentService } from '../agent/agent.service';
import { BODY_LIMITS } from '../agent/body-limits';
import { type CryptoRepository, type LogSink } from '../repositories/logon.repositories';
import { type DeviceProof } from '../sessions/device-proof.verifier';

type Reply = { ok: true; value: unknown } | { ok: false; error: ErrorInfo };

/**
 * The fields each kind of message may carry, as the contract declares them. The use-cases validate the body and
 * the token; a field beside them (a `userDn`, a `body` on a certificate question) is refused here, as HTTP refuses
 * an unknown field, instead of being ignored.
 */
const INGRESS_FIELDS: ReadonlyMap<unknown, ReadonlySet<string>> = new Map(
  ingressMessageSchema.options.map((option) => [option.shape.kind.value, new Set(Object.keys(option.shape))]),
);
/** An agent's request as it arrived (amqplib's message, through libs/messaging's consumer). */
type ConsumeMessage = MessageDelivery['raw'];

/**
 * The agent protocol over AMQP: a message on the ingress exchange (routed to logon-events' ingress queue) is one
 * transport-certificate question, create-session, renew-session, sync or report-event, answered on its `reply_to` with the serialised Result
 * (ingressReplySchemas) and acknowledged once answered. The body is validated by the same use-case as over HTTP,
 * so the answers are the same. Consumed with libs/messaging's consumer (reconnects, prefetch, dead-lettering).
 */
export class IngressConsumer {
  private readonly consumer: MessageConsumer<ConsumeMessage>;

  constructor(
    private readonly config: AmqpConfig,
    private readonly agent: AgentService,
    private readonly crypto: CryptoRepository,
    private readonly log: LogSink,
  ) {
    this.consumer = new MessageConsumer(config, { logger: log });
  }

  get queue(): string {
    return amqpNames(this.config.namespace).ingressQueue;
  }

  start(): Promise<void> {
    const names = amqpNames(this.config.namespace);
    return this.consumer.start({
      queue: names.ingressQueue,
      role: 'ingress',
      source: { exchange: names.ingressExchange, type: 'direct', bindings: [INGRESS_ROUTING_KEY] },
      // The dispatcher answers a malformed request itself, with INVALID_INPUT.
      decode: (message) => ({ ok: true, value: message, correlationId: null }),
      // A request whose handling crashed a replica is tried once more, then dead-lettered: the agent asks again.
      maxAttempts: 2,
      retryDelayMs: 0,
      handle: (message, delivery) => this.handle(message, delivery),
    });
  }

  stop(): Promise<void> {
    return this.consumer.stop();
  }

  private async handle(message: ConsumeMessage, delivery: MessageDelivery): Promise<void> {
    const given = message.properties.correlationId as unknown;
    const correlationId =
      typeof given === 'string' && correlationIdSchema.safeParse(given).success ? given : randomUUID();
    const reply = await this.dispatch(message, correlationId);
    try {
      await delivery.reply(Buffer.from(JSON.stringify(reply)), { contentType: 'application/json' });
    } catch (error) {
      // The agent may be gone; it asks again with a new message. This one is done.
      this.log.warn({ correlationId, err: (error as Error).message }, 'ingress reply not sent');
    }
  }

  private async dispatch(message: ConsumeMessage, correlationId: string): Promise<Reply> {
    try {
      const { kind, body, sessionToken } = envelopeOf(message.content);
      if (kind === 'transport-certificate') {
        return { ok: true, value: await this.transportCertificate(correlationId) };
      }
      if (kind === 'create-session') {
        const caller = { transport: 'amqp', proof: null } as const;
        return { ok: true, value: await this.agent.createSession(body, caller, correlationId) };
      }
      if (kind === 'renew-session') {
        // The renewal's proof is in its body: it signs the token the renewal replaces.
        const caller = { transport: 'amqp', proof: null } as const;
        return { ok: true, value: await this.agent.renewSession(body, caller, correlationId) };
      }
      const token = typeof sessionToken === 'string' ? sessionToken : undefined;
      const caller = { transport: 'amqp', proof: proofOf(message) } as const;
      if (kind === 'sync') {
        return { ok: true, value: await this.agent.sync(token, body, caller, correlationId) };
      }
      if (kind === 'report-event') {
        return { ok: true, value: await this.agent.reportEvent(token, body, caller, correlationId) };
      }
      throw new RoamingError('INVALID_INPUT', `kind ${String(kind)} is not handled`);
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

/**
 * A message's kind and fields, within the size its kind may have (BODY_LIMITS, as over HTTP). A message over the
 * sync limit is refused before it is parsed: JSON.parse of tens of megabytes would hold the consumer for seconds.
 */
export function envelopeOf(content: Buffer): Record<string, unknown> {
  if (content.length > BODY_LIMITS.sync)
    throw new RoamingError('VALUE_TOO_LARGE', 'the message is too large');
  let parsed: unknown;
  try {
    parsed = JSON.parse(content.toString('utf8'));
  } catch {
    throw new RoamingError('INVALID_INPUT', 'the message is not JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new RoamingError('INVALID_INPUT', 'the message must be a JSON object');
  }
  const envelope = parsed as Record<string, unknown>;
  const fields = INGRESS_FIELDS.get(envelope.kind);
  if (!fields) {
    throw new RoamingError(
      'INVALID_INPUT',
      `kind must be one of ${[...INGRESS_FIELDS.keys()].map((kind) => `"${String(kind)}"`).join(', ')}`,
    );
  }
  if (envelope.kind !== 'sync' && content.length > BODY_LIMITS.small) {
    throw new RoamingError('VALUE_TOO_LARGE', 'the message is too large');
  }
  const unknown = Object.keys(envelope).filter((field) => !fields.has(field));
  if (unknown.length > 0) {
    throw new RoamingError(
      'INVALID_INPUT',
      `a ${String(envelope.kind)} message has no field ${unknown.join(', ')}`,
    );
  }
  return envelope;
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
