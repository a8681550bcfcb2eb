import 'reflect-metadata';
import { describeBroker, loadAmqpConfig, startRpcService } from '@credroam/messaging';
import { grantVerifierFromEnv, type GrantVerifier } from '@credroam/grants';
import { startTracing, type TracingSetup } from '@credroam/observability';
import { createLogger, healthListenerFromEnv, NestPinoLogger, type HealthListener } from '@credroam/platform';
import { loadTokenCryptoConfig, SECRET_ENV_VARIABLES } from './config/token-crypto.config';
import { readKeyMaterial } from './keys/key-material.reader';
import { KeyRepository } from './keys/key.repository';
import { TokenCryptoModule } from './token-crypto.module';

async function bootstrap(): Promise<void> {
  const logger = createLogger('token-crypto');
  let keys: KeyRepository;
  let grants: GrantVerifier;
  let amqp;
  let health: HealthListener | null;
  let tracing: TracingSetup;
  try {
    tracing = startTracing('token-crypto');
    const config = loadTokenCryptoConfig();
    amqp = loadAmqpConfig();
    grants = grantVerifierFromEnv('token-crypto');
    health = healthListenerFromEnv({
      host: 'CREDROAM_CRYPTO_HEALTH_HOST',
      port: 'CREDROAM_CRYPTO_HEALTH_PORT',
    });
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
  const { healthUrl } = await startRpcService({
    module: TokenCryptoModule.forRoot(keys, grants, amqp, logger),
    amqp,
    service: 'token-crypto',
    logger,
    nestLogger: new NestPinoLogger(logger),
    health,
  });
  logger.info(
    {
      ...keys.summary(),
      grantKeys: grants.keyIds,
      broker: describeBroker(amqp),
      namespace: amqp.namespace,
      health: healthUrl,
      tracing: tracing.exporting,
    },
    'token-crypto ready',
  );
}

void bootstrap();
