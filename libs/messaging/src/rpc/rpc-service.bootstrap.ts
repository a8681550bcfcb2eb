import { type DynamicModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { type INestApplication, type LoggerService } from '@nestjs/common';
import { BODYLESS_EDGE_TIMEOUTS, hardenHttpServer } from '@credroam/platform';
import type { RpcService } from '@credroam/roaming';
import { type AmqpConfig } from '../amqp.config';
import { type MessagingLogger } from '../messaging.logger';
import { rpcServer } from './rpc.server';

export interface RpcServiceStart {
  module: DynamicModule;
  amqp: AmqpConfig;
  service: RpcService;
  logger: MessagingLogger;
  nestLogger: LoggerService;
  /** Where to answer `/health/*` and `/metrics` over HTTP; null: no HTTP listener. */
  health: { host: string; port: number } | null;
}

/**
 * Starts a broker RPC service as a Nest application with the RPC server attached (manual acks, graceful close),
 * and the HTTP listener for health and metrics (the module imports ObservabilityModule) when one is configured.
 * Returns the application and the health URL, if any.
 */
export async function startRpcService(
  options: RpcServiceStart,
): Promise<{ app: INestApplication; healthUrl: string | null }> {
  const app = await NestFactory.create(options.module, { logger: options.nestLogger });
  app.connectMicroservice(rpcServer(options.amqp, options.service, { logger: options.logger }), {
    inheritAppConfig: true,
  });
  app.enableShutdownHooks();
  await app.startAllMicroservices();
  if (!options.health) {
    await app.init();
    return { app, healthUrl: null };
  }
  hardenHttpServer(app.getHttpServer(), BODYLESS_EDGE_TIMEOUTS);
  await app.listen(options.health.port, options.health.host);
  const address = app.getHttpServer().address() as { port: number };
  return { app, healthUrl: `http://${options.health.host}:${address.port}/health` };
}
