import {
  isRpcPattern,
  parseRpcReply,
  parseRpcRequest,
  RoamingError,
  RPC_CONTRACTS,
  type RpcPattern,
  type RpcRequest,
  type RpcResponse,
  type RpcService,
} from '@credroam/roaming';
import {
  failSpan,
  inSpan,
  rpcClientConnected,
  rpcClientDuration,
  rpcClientRequests,
  secondsSince,
  SpanKind,
  traceHeaders,
} from '@credroam/observability';
import { ClientRMQ, RmqRecordBuilder } from '@nestjs/microservices';
import { firstValueFrom, TimeoutError, timeout, type Subscription } from 'rxjs';
import { describeBroker, type AmqpConfig } from '../amqp.config';
import { connectionError, hintFields } from '../amqp.connection';
import { amqpNames, MESSAGE_HEADERS } from '../amqp-topology';
import { defaultMessagingLogger, errorFields, type MessagingLogger } from '../messaging.logger';
import { withTimeout } from '../timeout';
import { rpcClientOptions, type RpcRoute } from './rpc-transport.options';

export interface RpcCallOptions<P extends RpcPattern = RpcPattern> {
  /** Carried in the request body and logged by both ends. */
  correlationId: string;
  /** Default: the config's rpcTimeoutMs. */
  timeoutMs?: number;
  /**
   * Signs the grant of a granted pattern (contracts/grants.ts) over the payload exactly as it will be sent, after
   * validation: what the service verifies is what was signed.
   */
  grant?: (payload: RpcRequest<P>) => Promise<string>;
}

export interface RpcClientOptions {
  logger?: MessagingLogger;
  /** How long connect() waits for the broker. Default: the config's rpcTimeoutMs. */
  connectTimeoutMs?: number;
  /** Default: the service's queue; the admin CLI goes through the admin exchange. */
  route?: RpcRoute;
}

// Nest's ClientRMQ reports a request that no handler matched with this text.
const NO_HANDLER = /no matching message handler/i;

/**
 * Calls one service (directory-gateway or token-crypto) over its durable RPC queue with Nest's RMQ client.
 * Requests and replies are validated against RPC_CONTRACTS on this side too; failures arrive as RoamingErrors:
 * the remote code for an `{ ok: false }` reply, CONTRACT_VIOLATION for a request or reply off contract, TIMEOUT
 * when no reply came in time, SERVICE_UNAVAILABLE when the broker is unreachable.
 *
 * Each request carries a TTL equal to the caller's timeout, so a request nobody picked up in time is dropped by
 * the broker instead of being executed after the caller has given up.
 */
export class RpcClient {
  private proxy: ClientRMQ | undefined;
  private statusSubscription: Subscription | undefined;
  private connected = false;
  private readonly logger: MessagingLogger;

  constructor(
    private readonly config: AmqpConfig,
    readonly service: RpcService,
    private readonly options: RpcClientOptions = {},
  ) {
    this.logger = options.logger ?? defaultMessagingLogger();
  }

  /** The service's request queue. */
  get queue(): string {
    return amqpNames(this.config.namespace).rpcQueues[this.service];
  }

  /** Connects (and asserts the service queue). Rejects with SERVICE_UNAVAILABLE if the broker is unreachable. */
  async connect(): Promise<void> {
    await this.connectWithin(this.options.connectTimeoutMs ?? this.config.rpcTimeoutMs);
  }

  private async connectWithin(timeoutMs: number): Promise<void> {
    const proxy = this.client();
    try {
      await withTimeout(proxy.connect(), timeoutMs);
    } catch (error) {
      const { hint } = hintFields(error);
      this.logger.warn(
        {
          rpcService: this.service,
          broker: describeBroker(this.config),
          ...errorFields(connectionError(error)),
          hint,
        },
        'rpc client could not connect',
      );
      // Start afresh next time instead of leaving a client retrying in the background.
      await this.close();
      throw new RoamingError(
        'SERVICE_UNAVAILABLE',
        `cannot reach the message broker at ${describeBroker(this.config)} for ${this.service}${hint ? `: ${hint}` : ''}`,
      );
    }
  }

  async close(): Promise<void> {
    const proxy = this.proxy;
    this.proxy = undefined;
    this.connected = false;
    this.statusSubscription?.unsubscribe();
    this.statusSubscription = undefined;
    // Bounded: ClientRMQ closes through amqp-connection-manager, whose close() can wait forever while it is
    // between two failed connection attempts (see closeConnection).
    if (proxy) await withTimeout(proxy.close(), 5_000).catch(() => undefined);
  }

  /** Nest lifecycle hook. */
  async onApplicationShutdown(): Promise<void> {
    await this.close();
  }

  async call<P extends RpcPattern>(
    pattern: P,
    payload: RpcRequest<P>,
    options: RpcCallOptions<P>,
  ): Promise<RpcResponse<P>> {
    const started = performance.now();
    // A caller off its types must not mint new label values.
    const label = isRpcPattern(pattern) ? pattern : 'unknown';
    return inSpan(
      `rpc.call ${label}`,
      { kind: SpanKind.CLIENT, attributes: { 'rpc.system': 'credroam', 'rpc.method': label } },
      async (span) => {
        try {
          const response = await this.send(pattern, payload, options);
          rpcClientRequests.inc({ pattern: label, outcome: 'OK' });
          return response;
        } catch (error) {
          const outcome = error instanceof RoamingError ? error.code : 'INTERNAL';
          rpcClientRequests.inc({ pattern: label, outcome });
          failSpan(span, outcome);
          throw error;
        } finally {
          rpcClientDuration.observe({ pattern: label }, secondsSince(started));
        }
      },
    );
  }

  private async send<P extends RpcPattern>(
    pattern: P,
    payload: RpcRequest<P>,
    { correlationId, timeoutMs = this.config.rpcTimeoutMs, grant }: RpcCallOptions<P>,
  ): Promise<RpcResponse<P>> {
    if (!isRpcPattern(pattern)) {
      throw new RoamingError('CONTRACT_VIOLATION', `unknown RPC pattern ${JSON.stringify(pattern)}`);
    }
    const owner = RPC_CONTRACTS[pattern].service;
    if (owner !== this.service) {
      throw new RoamingError('CONTRACT_VIOLATION', `${pattern} is served by ${owner}, not ${this.service}`);
    }
    if (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > 600_000) {
      throw new RoamingError('INVALID_INPUT', `timeoutMs must be a whole number of ms in 1-600000`);
    }
    const request = parseRpcRequest(pattern, { correlationId, payload });
    if (!request.ok) throw RoamingError.fromInfo(request.error);
    if (grant) request.value.grant = await grant(request.value.payload);

    // The caller's timeout covers connecting too.
    if (!this.proxy) {
      await this.connectWithin(
        Math.min(timeoutMs, this.options.connectTimeoutMs ?? this.config.rpcTimeoutMs),
      );
    }
    const proxy = this.client();
    const record = new RmqRecordBuilder(request.value)
      .setOptions({
        expiration: String(timeoutMs),
        headers: { [MESSAGE_HEADERS.correlationId]: request.value.correlationId, ...traceHeaders() },
      })
      .build();
    let reply: unknown;
    try {
      reply = await firstValueFrom(proxy.send<unknown>(pattern, record).pipe(timeout({ first: timeoutMs })));
    } catch (error) {
      throw this.transportError(error, pattern, correlationId, timeoutMs);
    }
    const parsed = parseRpcReply(pattern, reply);
    if (!parsed.ok) throw RoamingError.fromInfo(parsed.error);
    return parsed.value;
  }

  private client(): ClientRMQ {
    if (!this.proxy) {
      const proxy = new ListenedClientRmq(
        rpcClientOptions(this.config, this.service, this.options.route).options,
        (error) =>
          this.logger.error(
            { rpcService: this.service, ...errorFields(error) },
            'rpc client channel setup failed',
          ),
      );
      this.statusSubscription = proxy.status.subscribe((status) => {
        this.connected = status === 'connected';
        rpcClientConnected.set({ service: this.service }, this.connected ? 1 : 0);
      });
      this.proxy = proxy;
    }
    return this.proxy;
  }

  private transportError(
    error: unknown,
    pattern: string,
    correlationId: string,
    timeoutMs: number,
  ): RoamingError {
    if (error instanceof RoamingError) return error;
    const log = { rpcService: this.service, pattern, correlationId };
    if (error instanceof TimeoutError) {
      if (!this.connected) {
        return new RoamingError('SERVICE_UNAVAILABLE', `the message broker is unreachable (${pattern})`);
      }
      this.logger.warn({ ...log, timeoutMs }, 'rpc timed out');
      return new RoamingError('TIMEOUT', `${this.service} did not answer ${pattern} within ${timeoutMs} ms`);
    }
    const message = error instanceof Error ? error.message : String(error);
    if (NO_HANDLER.test(message)) {
      this.logger.error(log, 'no replica of the service handles this pattern');
      return new RoamingError('INTERNAL', `${this.service} has no handler for ${pattern}`);
    }
    this.logger.warn({ ...log, ...errorFields(error) }, 'rpc failed in transport');
    return new RoamingError('SERVICE_UNAVAILABLE', `the message broker is unreachable (${pattern})`);
  }
}

/**
 * Nest's ClientRMQ leaves its channel wrapper without an 'error' listener. A broker connection lost while the
 * channel is being set up (its reply queue's consumer) emits 'error' there, and an EventEmitter with no listener
 * throws: the whole service exited (stack-faults, RabbitMQ closing every connection). Logged instead;
 * amqp-connection-manager sets the channel up again when the connection is back.
 */
export class ListenedClientRmq extends ClientRMQ {
  constructor(
    options: ConstructorParameters<typeof ClientRMQ>[0],
    private readonly onChannelError: (error: unknown) => void,
  ) {
    super(options);
  }

  override createChannel(): Promise<void> {
    const created = super.createChannel();
    this.channel?.on('error', this.onChannelError);
    return created;
  }
}
