import 'reflect-metadata';
import { type AddressInfo } from 'node:net';
import { NestFactory } from '@nestjs/core';
import { type NestExpressApplication } from '@nestjs/platform-express';
import { startTracing, type TracingSetup } from '@credroam/observability';
import {
  BODYLESS_EDGE_TIMEOUTS,
  createLogger,
  hardenHttpServer,
  httpsServerOptions,
  listenerUrl,
  NestPinoLogger,
} from '@credroam/platform';
import { AuditModule } from './audit.module';
import { describeDatabase, loadAuditConfig, type AuditConfig } from './config/audit.config';

async function bootstrap(): Promise<void> {
  const logger = createLogger('audit');
  let config: AuditConfig;
  let tracing: TracingSetup;
  try {
    tracing = startTracing('audit');
    config = loadAuditConfig();
  } catch (error) {
    process.stderr.write(`audit: ${(error as Error).message}\n`);
    process.exit(2);
  }
  const app = await NestFactory.create<NestExpressApplication>(AuditModule.forRoot(config, logger), {
    // audit's API reads no request body (auditHttpApp refuses one).
    bodyParser: false,
    logger: new NestPinoLogger(logger),
    ...(config.tls ? { httpsOptions: httpsServerOptions(config.tls) } : {}),
  });
  hardenHttpServer(app.getHttpServer(), BODYLESS_EDGE_TIMEOUTS);
  app.disable('x-powered-by');
  app.enableShutdownHooks();
  await app.listen(config.port, config.host);
  // Port 0 (tests) means any free port: report the one we got.
  const address = app.getHttpServer().address() as AddressInfo;
  logger.info(
    {
      url: listenerUrl(config.tls, config.host, address.port),
      ...(config.tls ? { certificate: config.tls.summary } : {}),
      database: describeDatabase(config.database),
      queue: config.queue,
      retentionDays: config.retentionDays,
      tracing: tracing.exporting,
    },
    'audit listening',
  );
}

bootstrap().catch((error: unknown) => {
  process.stderr.write(`audit: failed to start: ${(error as Error)?.stack ?? String(error)}\n`);
  process.exit(1);
});
