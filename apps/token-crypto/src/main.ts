import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { type MicroserviceOptions } from '@nestjs/microservices';
import { describeBroker, loadAmqpConfig, rpcServerOptions } from '@credroam/messaging';
import { grantVerifierFromEnv, type GrantVerifier } from '@credroam/grants';
import { createLogger, NestPinoLogger } from '@credroam/platform';
import { loadTokenCryptoConfig, SECRET_ENV_VARIABLES } from './config/token-crypto.config';
import { readKeyMaterial } from './keys/key-material.reader';
import { KeyRepository } from './keys/key.repository';
import { TokenCryptoModule } from './token-crypto.module';

async function bootstrap(): Promise<void> {
  const logger = createLogger('token-crypto');
  let keys: KeyRepository;
  let grants: GrantVerifier;
  let amqp;
  try {
    const config = loadTokenCryptoConfig();
    amqp = loadAmqpConfig();
    grants = grantVerifierFromEnv('token-crypto');
    const { warnings, ...material } = readKeyMaterial(config);
    for (const warning of warnings) logger.warn({ warning }, 'key material needs attention');
    keys = new KeyRepository(material);
  } catch (error) {
    logger.fatal({ err: (error as Error).message }, 'cannot start: configuration or keys');
    process.exitCode = 2;
    return;
  } finally {
    // Inline master keys have been read; child processes and crash dumps need not see them.
    for (const name of SECRET_ENV_VARIABLES) Reflect.deleteProperty(process.env, name);
  }
  const app = await NestFactory.createMicroservice<MicroserviceOptions>(
    TokenCryptoModule.forRoot(keys, grants, amqp, logger),
    { ...rpcServerOptions(amqp, 'token-crypto'), logger: new NestPinoLogger(logger) },
  );
  app.enableShutdownHooks();
  await app.listen();
  logger.info(
    {
      ...keys.summary(),
      grantKeys: grants.keyIds,
      broker: describeBroker(amqp),
      namespace: amqp.namespace,
    },
    'token-crypto ready',
  );
}

void bootstrap();
