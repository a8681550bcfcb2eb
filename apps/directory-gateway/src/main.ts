import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { type MicroserviceOptions } from '@nestjs/microservices';
import { describeBroker, loadAmqpConfig, rpcServer } from '@credroam/messaging';
import { grantVerifierFromEnv, type GrantVerifier } from '@credroam/grants';
import { createLogger, NestPinoLogger } from '@credroam/platform';
import { loadGatewayConfig } from './config/gateway.config';
import { DirectoryGatewayModule } from './directory-gateway.module';

async function bootstrap(): Promise<void> {
  const logger = createLogger('directory-gateway');
  let config;
  let amqp;
  let grants: GrantVerifier;
  try {
    config = loadGatewayConfig();
    amqp = loadAmqpConfig();
    grants = grantVerifierFromEnv('directory-gateway');
  } catch (error) {
    logger.fatal({ err: (error as Error).message }, 'invalid configuration');
    process.exitCode = 2;
    return;
  }
  const app = await NestFactory.createMicroservice<MicroserviceOptions>(
    DirectoryGatewayModule.forRoot(config, grants, amqp, logger),
    { ...rpcServer(amqp, 'directory-gateway', { logger }), logger: new NestPinoLogger(logger) },
  );
  app.enableShutdownHooks();
  await app.listen();
  logger.info(
    {
      ldap: config.ldap.url,
      dialect: config.dialect,
      grantKeys: grants.keyIds,
      broker: describeBroker(amqp),
      namespace: amqp.namespace,
    },
    'directory-gateway ready',
  );
}

void bootstrap();
