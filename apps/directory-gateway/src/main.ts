import 'reflect-metadata';
import { describeBroker, loadAmqpConfig, startRpcService } from '@credroam/messaging';
import { grantVerifierFromEnv, type GrantVerifier } from '@credroam/grants';
import { startTracing, type TracingSetup } from '@credroam/observability';
import { createLogger, healthListenerFromEnv, NestPinoLogger, type HealthListener } from '@credroam/platform';
import { loadGatewayConfig } from './config/gateway.config';
import { DirectoryGatewayModule } from './directory-gateway.module';

async function bootstrap(): Promise<void> {
  const logger = createLogger('directory-gateway');
  let config;
  let amqp;
  let grants: GrantVerifier;
  let health: HealthListener | null;
  let tracing: TracingSetup;
  try {
    tracing = startTracing('directory-gateway');
    config = loadGatewayConfig();
    amqp = loadAmqpConfig();
    grants = grantVerifierFromEnv('directory-gateway');
    health = healthListenerFromEnv({
      host: 'CREDROAM_GATEWAY_HEALTH_HOST',
      port: 'CREDROAM_GATEWAY_HEALTH_PORT',
    });
  } catch (error) {
    logger.fatal({ err: (error as Error).message }, 'invalid configuration');
    process.exitCode = 2;
    return;
  }
  const { healthUrl } = await startRpcService({
    module: DirectoryGatewayModule.forRoot(config, grants, amqp, logger),
    amqp,
    service: 'directory-gateway',
    logger,
    nestLogger: new NestPinoLogger(logger),
    health,
  });
  logger.info(
    {
      ldap: config.ldap.url,
      dialect: config.dialect,
      grantKeys: grants.keyIds,
      broker: describeBroker(amqp),
      namespace: amqp.namespace,
      health: healthUrl,
      tracing: tracing.exporting,
      policy: { directory: config.policyDn, cacheSeconds: config.policyCacheMs / 1000 },
    },
    'directory-gateway ready',
  );
}

void bootstrap();
