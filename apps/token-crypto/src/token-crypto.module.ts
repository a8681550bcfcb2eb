import { Inject, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { type GrantVerifier } from '@credroam/grants';
import { MessagingModule, type AmqpConfig, type MessagingLogger } from '@credroam/messaging';
import { healthChecksModule } from '@credroam/platform';
import { HealthHandler } from './health/health.handler';
import { KeyMaterialHealthIndicator } from './health/key-material.health';
import { InspectHandler } from './inspect/inspect.handler';
import { type KeyStore } from './keys/key-store';
import { ResealPasswordHandler } from './password/reseal-password.handler';
import { SealingHandler } from './sealing/sealing.handler';
import { createTokenCryptoServices, type TokenCryptoServices } from './token-crypto-services';
import { TOKEN_CRYPTO_SERVICES } from './token-crypto.tokens';
import { TransportCertificateHandler } from './transport/transport-certificate.handler';

@Module({})
export class TokenCryptoModule {
  /** The key store is loaded before the module is built, so that a missing or weak key stops the process first. */
  static forRoot(
    keys: KeyStore,
    grants: GrantVerifier,
    amqp: AmqpConfig,
    logger: MessagingLogger,
  ): DynamicModule {
    return {
      module: TokenCryptoModule,
      imports: [MessagingModule.forRoot({ config: amqp, logger, grants }), healthChecksModule()],
      controllers: [
        TransportCertificateHandler,
        InspectHandler,
        SealingHandler,
        ResealPasswordHandler,
        HealthHandler,
      ],
      providers: [
        { provide: TOKEN_CRYPTO_SERVICES, useFactory: () => createTokenCryptoServices(keys) },
        {
          provide: KeyMaterialHealthIndicator,
          inject: [HealthIndicatorService],
          useFactory: (indicators: HealthIndicatorService) =>
            new KeyMaterialHealthIndicator(indicators, keys),
        },
        KeyStoreCloser,
      ],
    };
  }
}

/** Zeroes the master keys when the service stops. */
class KeyStoreCloser implements OnApplicationShutdown {
  constructor(@Inject(TOKEN_CRYPTO_SERVICES) private readonly services: TokenCryptoServices) {}

  onApplicationShutdown(): void {
    this.services.keys.close();
  }
}
