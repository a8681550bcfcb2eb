import type { RpcService } from '@credroam/roaming';

/** Injection token of the validated AmqpConfig. */
export const AMQP_CONFIG = Symbol('credroam.messaging.config');
/** Injection token of the MessagingLogger (optional; pino on stdout otherwise). */
export const MESSAGING_LOGGER = Symbol('credroam.messaging.logger');

/** Injection token of the RpcGrantGuard of a service that serves granted RPCs. */
export const RPC_GRANT_GUARD = Symbol('credroam.messaging.rpc-grant-guard');

/** Injection token of the RpcClient for one service: `@Inject(rpcClientToken('directory-gateway'))`. */
export function rpcClientToken(service: RpcService): string {
  return `credroam.messaging.rpc-client.${service}`;
}
