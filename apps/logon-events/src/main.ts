import 'reflect-metadata';
import { type AddressInfo } from 'node:net';
import { NestFactory } from '@nestjs/core';
import { type NestExpressApplication } from '@nestjs/platform-express';
import { describeBroker, loadAmqpConfig } from '@credroam/messaging';
import { AGENT_API_PATHS } from '@credroam/roaming';
import { startTracing, type TracingSetup } from '@credroam/observability';
import {
  createLogger,
  hardenHttpServer,
  httpsServerOptions,
  listenerUrl,
  NestPinoLogger,
  ProblemFilter,
} from '@credroam/platform';
import { loadLogonEventsConfig } from './config/logon-events.config';
import { LogonEventsModule } from './logon-events.module';

/**
 * A client has this long to send its headers, and a minute for a whole request (a sync of 64 MB included). An idle
 * connection is kept 65 s: longer than the 60-s idle timeout of the usual load balancer or ingress in front, so
 * that the proxy ends an idle connection, never logon-events under it; and a busy client (bench:storm's load
 * generator) no longer reuses one the server has just closed, which failed syncs with "other side closed" at 5 s.
 */
const EDGE_TIMEOUTS = { headersTimeoutMs: 10_000, requestTimeoutMs: 60_000, keepAliveTimeoutMs: 65_000 };

async function bootstrap(): Promise<void> {
  const logger = createLogger('logon-events');
  let config;
  let amqp;
  let tracing: TracingSetup;
  try {
    tracing = startTracing('logon-events');
    config = loadLogonEventsConfig();
    amqp = loadAmqpConfig();
  } catch (error) {
    logger.fatal({ err: (error as Error).message }, 'invalid configuration');
    process.exitCode = 2;
    return;
  }
  const app = await NestFactory.create<NestExpressApplication>(
    LogonEventsModule.forRoot(config, amqp, logger),
    {
      bodyParser: false,
      logger: new NestPinoLogger(logger),
      ...(config.tls ? { httpsOptions: httpsServerOptions(config.tls) } : {}),
    },
  );
  hardenHttpServer(app.getHttpServer(), EDGE_TIMEOUTS);
  // A refused Kerberos logon invites another Negotiate (RFC 4559); every other 401 a session token.
  app.useGlobalFilters(
    new ProblemFilter(logger, (request) =>
      request.path === AGENT_API_PATHS.kerberosSessions ? 'Negotiate' : 'Bearer realm="credroam"',
    ),
  );
  app.disable('x-powered-by');
  app.enableShutdownHooks();
  await app.listen(config.port, config.host);
  // Port 0 (tests) means any free port: report the one we got.
  const address = app.getHttpServer().address() as AddressInfo;
  logger.info(
    {
      url: listenerUrl(config.tls, config.host, address.port),
      ...(config.tls ? { certificate: config.tls.summary } : {}),
      broker: describeBroker(amqp),
      namespace: amqp.namespace,
      amqpIngress: config.amqpIngress,
      tracing: tracing.exporting,
    },
    'logon-events ready',
  );
}

void bootstrap();
