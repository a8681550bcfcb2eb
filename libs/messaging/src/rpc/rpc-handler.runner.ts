import {
  correlationIdSchema,
  errorInfoSchema,
  fail,
  isGrantedPattern,
  ok,
  parseRpcRequest,
  RPC_CONTRACTS,
  type ErrorInfo,
  type GrantClaims,
  type Result,
  type RpcPattern,
  type RpcReply,
  type RpcRequestMessage,
  type RpcRequest,
  type RpcResponse,
} from '@credroam/roaming';
import { Inject, Injectable, Optional } from '@nestjs/common';
import {
  contextFromHeaders,
  failSpan,
  inSpan,
  rpcServerDuration,
  rpcServerRequests,
  secondsSince,
  SpanKind,
} from '@credroam/observability';
import type { RmqContext } from '@nestjs/microservices';
import type { Channel, Message } from 'amqplib';
import { MESSAGE_HEADERS } from '../amqp-topology';
import { defaultMessagingLogger, errorFields, type MessagingLogger } from '../messaging.logger';
import { MESSAGING_LOGGER, RPC_GRANT_GUARD } from '../messaging.tokens';
import { type RpcGrantGuard } from './rpc-grant.guard';

export interface RpcCallMeta {
  correlationId: string;
  /** The request was delivered before to a replica that died (or lost its channel) while handling it. */
  redelivered: boolean;
  /** The verified grant of a granted pattern (who asked, e.g. the operator of an operator grant). */
  grant?: GrantClaims;
}

export type RpcWork<P extends RpcPattern> = (
  request: RpcRequest<P>,
  meta: RpcCallMeta,
) => Promise<RpcResponse<P>>;

/** The part of Nest's RmqContext the runner uses. */
export type RpcDeliveryContext = Pick<RmqContext, 'getMessage' | 'getChannelRef'>;

/**
 * Runs one RPC inside a `@MessagePattern` handler, so every handler is a line:
 *
 * ```ts
 * @MessagePattern(RPC_PATTERNS.readState)
 * readState(@Payload() message: unknown, @Ctx() ctx: RmqContext) {
 *   return this.rpc.run(RPC_PATTERNS.readState, message, ctx, (request) => this.service.readState(request));
 * }
 * ```
 *
 * It validates the request against the contract (a violation is answered without calling `work`), checks the grant
 * of a request for a user's secrets (GRANTED_RPCS: refused without calling `work` when none covers it), maps a thrown
 * RoamingError to its code (anything else to INTERNAL, without its message), validates the reply (an invalid one
 * is a bug, answered INTERNAL and logged), logs one line per call without the payload, and acknowledges the
 * request once the reply is computed. It never requeues: a request comes back only when a replica dies
 * holding it, and then only until its TTL (the caller's timeout) runs out. Each call is a server span continuing
 * the caller's trace (traceparent in the AMQP headers) and counts into the RED metrics by pattern and outcome.
 */
@Injectable()
export class RpcHandlerRunner {
  private readonly logger: MessagingLogger;

  constructor(
    @Optional() @Inject(MESSAGING_LOGGER) logger?: MessagingLogger,
    @Optional() @Inject(RPC_GRANT_GUARD) private readonly grants?: RpcGrantGuard,
  ) {
    this.logger = logger ?? defaultMessagingLogger();
  }

  async run<P extends RpcPattern>(
    pattern: P,
    message: unknown,
    ctx: RpcDeliveryContext,
    work: RpcWork<P>,
  ): Promise<RpcReply<P>> {
    const raw = ctx.getMessage() as Message;
    return inSpan(
      `rpc ${pattern}`,
      {
        kind: SpanKind.SERVER,
        parent: contextFromHeaders(raw.properties?.headers),
        attributes: { 'rpc.system': 'credroam', 'rpc.method': pattern },
      },
      async (span) => {
        const reply = await this.handle(pattern, message, ctx, raw, work);
        if (!reply.ok) failSpan(span, reply.error.code);
        return reply;
      },
    );
  }

  private async handle<P extends RpcPattern>(
    pattern: P,
    message: unknown,
    ctx: RpcDeliveryContext,
    raw: Message,
    work: RpcWork<P>,
  ): Promise<RpcReply<P>> {
    const started = performance.now();
    const redelivered = raw.fields?.redelivered === true;
    const request = parseRpcRequest(pattern, message);
    const correlationId = request.ok ? request.value.correlationId : requestCorrelationId(message, raw);
    let reply: RpcReply<P>;
    if (!request.ok) {
      reply = request;
    } else {
      const granted = await this.checkGrant(pattern, request.value, redelivered);
      const meta = {
        correlationId: request.value.correlationId,
        redelivered,
        ...(granted.ok && granted.value ? { grant: granted.value } : {}),
      };
      reply = granted.ok ? await this.execute(pattern, request.value.payload, meta, work) : granted;
    }
    reply = this.wireSafe(pattern, correlationId, reply);
    this.ack(ctx, raw, pattern, correlationId);
    const outcome = reply.ok ? 'OK' : reply.error.code;
    rpcServerRequests.inc({ pattern, outcome });
    rpcServerDuration.observe({ pattern }, secondsSince(started));
    const fields = {
      pattern,
      correlationId,
      outcome,
      durationMs: Math.round((performance.now() - started) * 10) / 10,
      ...(redelivered ? { redelivered } : {}),
    };
    if (outcome === 'INTERNAL') this.logger.error(fields, 'rpc handled');
    else this.logger.info(fields, 'rpc handled');
    return reply;
  }

  /** Fails closed: a service that serves a granted pattern without grant keys configured refuses it. */
  private async checkGrant<P extends RpcPattern>(
    pattern: P,
    request: RpcRequestMessage<P>,
    redelivered: boolean,
  ): Promise<Result<GrantClaims | undefined>> {
    if (!isGrantedPattern(pattern)) return ok(undefined);
    if (!this.grants)
      return fail('GRANT_REQUIRED', `${pattern} needs grants, and no grant keys are configured`);
    return this.grants.check(pattern, request as RpcRequestMessage<typeof pattern>, redelivered);
  }

  private async execute<P extends RpcPattern>(
    pattern: P,
    payload: RpcRequest<P>,
    meta: RpcCallMeta,
    work: RpcWork<P>,
  ): Promise<RpcReply<P>> {
    let value: unknown;
    try {
      value = await work(payload, meta);
    } catch (error) {
      if (isRoamingError(error)) return { ok: false, error: error.toInfo() };
      this.logger.error(
        { pattern, correlationId: meta.correlationId, ...errorFields(error) },
        'rpc handler threw an unexpected error',
      );
      return fail('INTERNAL', `${pattern} failed unexpectedly (correlation id ${meta.correlationId})`);
    }
    const checked = RPC_CONTRACTS[pattern].response.safeParse(value);
    if (!checked.success) {
      // Paths and rules only: zod messages do not quote the offending values.
      const problem = checked.error.issues
        .slice(0, 5)
        .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
        .join('; ');
      this.logger.error(
        { pattern, correlationId: meta.correlationId, problem },
        'rpc handler produced a reply that violates its contract',
      );
      return fail('INTERNAL', `${pattern} produced an invalid reply (correlation id ${meta.correlationId})`);
    }
    return ok(checked.data as RpcResponse<P>);
  }

  /** An error reply the client could not parse (an oversized message or details) would hide the real code. */
  private wireSafe<P extends RpcPattern>(
    pattern: P,
    correlationId: string | null,
    reply: RpcReply<P>,
  ): RpcReply<P> {
    if (reply.ok || errorInfoSchema.safeParse(reply.error).success) return reply;
    const error: ErrorInfo = {
      code: reply.error.code,
      message: reply.error.message.slice(0, 4096),
      retryable: reply.error.retryable,
    };
    this.logger.warn(
      { pattern, correlationId, outcome: error.code },
      'error reply trimmed to fit the contract',
    );
    return { ok: false, error };
  }

  private ack(ctx: RpcDeliveryContext, raw: Message, pattern: string, correlationId: string | null): void {
    try {
      (ctx.getChannelRef() as Channel).ack(raw);
    } catch (error) {
      // The channel that delivered the request is gone: the broker hands it to another replica, TTL permitting.
      this.logger.warn(
        { pattern, correlationId, ...errorFields(error) },
        'could not acknowledge the request: channel closed',
      );
    }
  }
}

function isRoamingError(error: unknown): error is Error & { toInfo(): ErrorInfo } {
  return (
    error instanceof Error &&
    error.name === 'RoamingError' &&
    typeof (error as { toInfo?: unknown }).toInfo === 'function'
  );
}

/** A refused request's correlation id, from its data or its headers, when one is well-formed. */
export function requestCorrelationId(message: unknown, raw: Pick<Message, 'properties'>): string | null {
  const candidates = [
    (message as { correlationId?: unknown } | null)?.correlationId,
    raw.properties?.headers?.[MESSAGE_HEADERS.correlationId],
  ];
  for (const candidate of candidates) {
    if (correlationIdSchema.safeParse(candidate).success) return candidate as string;
  }
  return null;
}
