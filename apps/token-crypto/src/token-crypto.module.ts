import { Injectable, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { type GrantVerifier } from '@credroam/grants';
import {
  BrokerHealthIndicator,
  MessagingModule,
  SERVICE_HEALTH_CHECKS,
  ServiceDocsController,
  ServiceHealthController,
  type AmqpConfig,
  type MessagingLogger,
} from '@credroam/messaging';
import { ObservabilityModule } from '@credroam/observability';
import { healthChecksModule } from '@credroam/platform';
import { HealthHandler } from './health/health.handler';
import { KeyMaterialHealthIndicator } from './health/key-material.health';
import { InspectHandler } from './inspect/inspect.handler';
import { KeyRepository } from './keys/key.repository';
import { ResealPasswordHandler } from './password/reseal-password.handler';
import { SealingHandler } from './sealing/sealing.handler';
import { tokenCryptoProviders } from './token-crypto.providers';
import { TransportCertificateHandler } from './transport/transport-certificate.handler';

@Module({})
export class TokenCryptoModule {
  /** The key repository is loaded before the module is built, so that a missing or weak key stops the process first. */
  static forRoot(
    keys: KeyRepository,
    grants: GrantVerifier,
    amqp: AmqpConfig,
    logger: MessagingLogger,
  ): DynamicModule {
    return {
      module: TokenCryptoModule,
      imports: [
        MessagingModule.forRoot({ config: amqp, logger, grants }),
        healthChecksModule(),
        ObservabilityModule.forRoot(),
      ],
      controllers: [
        TransportCertificateHandler,
        InspectHandler,
        SealingHandler,
        ResealPasswordHandler,
        HealthHandler,
        ServiceHealthController,
        ServiceDocsController,
      ],
      providers: [
        ...tokenCryptoProviders(keys),
        {
          provide: KeyMaterialHealthIndicator,
          inject: [HealthIndicatorService, KeyRepository],
          useFactory: (indicators: HealthIndicatorService, store: KeyRepository) =>
            new KeyMaterialHealthIndicator(indicators, store),
        },
        BrokerHealthIndicator,
        {
          provide: SERVICE_HEALTH_CHECKS,
          inject: [KeyMaterialHealthIndicator],
          useFactory: (keyMaterial: KeyMaterialHealthIndicator) => keyMaterial.all(),
        },
        KeyRepositoryCloser,
      ],
    };
  }
}

/** Zeroes the master keys when the service stops. */
@Injectable()
class KeyRepositoryCloser implements OnApplicationShutdown {
  constructor(private readonly keys: KeyRepository) {}

  onApplicationShutdown(): void {
    this.keys.close();
  }
}
