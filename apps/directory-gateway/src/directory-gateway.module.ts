import { Inject, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { type GrantVerifier } from '@credroam/grants';
import { MessagingModule, type AmqpConfig, type MessagingLogger } from '@credroam/messaging';
import { healthChecksModule } from '@credroam/platform';
import { type GatewayConfig } from './config/gateway.config';
import { createGatewayServices, type GatewayServices } from './gateway-services';
import { GATEWAY_CONFIG, GATEWAY_SERVICES } from './gateway.tokens';
import { HealthHandler } from './health/health.handler';
import { LdapHealthIndicator } from './health/ldap.health';
import { PolicyHandler } from './policy/policy.handler';
import { RoamingStateHandler } from './roaming-state/roaming-state.handler';
import { UsersHandler } from './users/users.handler';

@Module({})
export class DirectoryGatewayModule {
  static forRoot(
    config: GatewayConfig,
    grants: GrantVerifier,
    amqp: AmqpConfig,
    logger: MessagingLogger,
  ): DynamicModule {
    return {
      module: DirectoryGatewayModule,
      imports: [MessagingModule.forRoot({ config: amqp, logger, grants }), healthChecksModule()],
      controllers: [UsersHandler, RoamingStateHandler, PolicyHandler, HealthHandler],
      providers: [
        { provide: GATEWAY_CONFIG, useValue: config },
        { provide: GATEWAY_SERVICES, useFactory: () => createGatewayServices(config) },
        {
          provide: LdapHealthIndicator,
          inject: [HealthIndicatorService, GATEWAY_SERVICES],
          useFactory: (indicators: HealthIndicatorService, services: GatewayServices) =>
            new LdapHealthIndicator(indicators, services.pool, config.baseDn),
        },
        ConnectionPoolCloser,
      ],
    };
  }
}

/** Unbinds the pooled LDAP connections when the service stops. */
class ConnectionPoolCloser implements OnApplicationShutdown {
  constructor(@Inject(GATEWAY_SERVICES) private readonly services: GatewayServices) {}

  async onApplicationShutdown(): Promise<void> {
    await this.services.pool.close();
  }
}
