import { randomUUID } from 'node:crypto';
import {
  amqpNames,
  fallbackCorrelationId,
  MessageConsumer,
  type AmqpConfig,
  type Decoded,
  type MessageDelivery,
} from '@credroam/messaging';
import {
  correlationIdSchema,
  ingressEnvelopeSchema,
  ingressMessageSchema,
  INGRESS_PROOF_HEADERS,
  INGRESS_ROUTING_KEY,
  RoamingError,
  type ErrorInfo,
  type IngressEnvelope,
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
/** A message that is an agent request: its envelope read, the raw message kept for the device proof. */
interface IngressRequest {
  message: ConsumeMessage;
  envelope: IngressEnvelope;
}

/**
 * The agent protocol over AMQP: a message on the ingress exchange (routed to logon-events' ingress queue) is one
 * transport-certificate question, create-session, renew-session, sync or report-event, answered on its `reply_to` with the serialised Result
 * (ingressReplySchemas) and acknowledged once answered. The body is validated by the same use-case as over HTTP,
 * so the answers are the same. Consumed with libs/messaging's consumer (reconnects, prefetch, dead-lettering): a
 * message that is not an agent request at all (over the size limit, another media type, not JSON, not a known
 * kind) is answered CONTRACT_VIOLATION (or VALUE_TOO_LARGE, UNSUPPORTED_MEDIA_TYPE) on its reply_to and
 * dead-lettered with a `message.dead-lettered` event.
 */
export class IngressConsumer {
  private readonly consumer: MessageConsumer<IngressRequest>;

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
      decode: decodeIngress,
      refusalReply: (error) => Buffer.from(JSON.stringify({ ok: false, error } satisfies Reply)),
      // A request whose handling crashed a replica is tried once more, then dead-lettered: the agent asks again.
      maxAttempts: 2,
      retryDelayMs: 0,
      handle: (message, delivery) => this.handle(message, delivery),
    });
  }

  stop(): Promise<void> {
    return this.consumer.stop();
  }

  private async handle({ message, envelope }: IngressRequest, delivery: MessageDelivery): Promise<void> {
    const given = message.properties.correlationId as unknown;
    const correlationId =
      typeof given === 'string' && correlationIdSchema.safeParse(given).success ? given : randomUUID();
    const reply = await this.dispatch(message, envelope, correlationId);
    try {
      await delivery.reply(Buffer.from(JSON.stringify(reply)), { contentType: 'application/json' });
    } catch (error) {
      // The agent may be gone; it asks again with a new message. This one is done.
      this.log.warn({ correlationId, err: (error as Error).message }, 'ingress reply not sent');
    }
  }

  private async dispatch(
    message: ConsumeMessage,
    { kind, body, sessionToken }: IngressEnvelope,
    correlationId: string,
  ): Promise<Reply> {
    try {
      checkKindShape(message.content, { kind, body, sessionToken });
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
      return { ok: true, value: await this.agent.reportEvent(token, body, caller, correlationId) };
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

/** An agent request's envelope; what is not one is dead-lettered (the rule names fields, never values). */
function decodeIngress(message: ConsumeMessage, body: unknown): Decoded<IngressRequest> {
  const correlationId = fallbackCorrelationId(message, null);
  const envelope = ingressEnvelopeSchema.safeParse(body);
  if (envelope.success) return { ok: true, value: { message, envelope: envelope.data }, correlationId };
  const problem = envelope.error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
    .join('; ');
  return { ok: false, problem: `not an agent request: ${problem}`, correlationId };
}

/**
 * An agent request within the size its kind may have (BODY_LIMITS, as over HTTP: the consumer's gate admits up to
 * the sync limit) and with only the fields its kind has: a `body` on a certificate question, a session token beside
 * a logon, is refused INVALID_INPUT as HTTP refuses an unknown field, instead of being ignored.
 */
export function checkKindShape(content: Buffer, envelope: IngressEnvelope): void {
  const limit = envelope.kind === 'sync' ? BODY_LIMITS.sync : BODY_LIMITS.small;
  if (content.length > limit) throw new RoamingError('VALUE_TOO_LARGE', 'the message is too large');
  const fields = INGRESS_FIELDS.get(envelope.kind);
  const unknown = Object.entries(envelope)
    .filter(([field, value]) => value !== undefined && !fields?.has(field))
    .map(([field]) => field);
  if (unknown.length > 0)
    throw new RoamingError('INVALID_INPUT', `a ${envelope.kind} message has no field ${unknown.join(', ')}`);
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
