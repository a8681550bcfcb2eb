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
import { ObservabilityModule, watchLdapPool } from '@credroam/observability';
import { healthChecksModule } from '@credroam/platform';
import { type GatewayConfig } from './config/gateway.config';
import { gatewayProviders } from './directory-gateway.providers';
import { HealthHandler } from './health/health.handler';
import { LdapHealthIndicator } from './health/ldap.health';
import { LdapConnectionPool } from './ldap/ldap-connection.pool';
import { PolicyHandler } from './policy/policy.handler';
import { OperatorAudit } from './roaming-state/operator-audit';
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
      imports: [
        MessagingModule.forRoot({ config: amqp, logger, grants }),
        healthChecksModule(),
        ObservabilityModule.forRoot(),
      ],
      controllers: [
        UsersHandler,
        RoamingStateHandler,
        PolicyHandler,
        HealthHandler,
        ServiceHealthController,
        ServiceDocsController,
      ],
      providers: [
        ...gatewayProviders(config),
        {
          provide: LdapHealthIndicator,
          inject: [HealthIndicatorService, LdapConnectionPool],
          useFactory: (indicators: HealthIndicatorService, pool: LdapConnectionPool) =>
            new LdapHealthIndicator(indicators, pool, config.baseDn),
        },
        BrokerHealthIndicator,
        {
          provide: SERVICE_HEALTH_CHECKS,
          inject: [LdapHealthIndicator],
          useFactory: (ldap: LdapHealthIndicator) => [() => ldap.isHealthy()],
        },
        ConnectionPoolCloser,
        OperatorAudit,
        LdapPoolGauges,
      ],
    };
  }
}

/** The LDAP pool on /metrics: connections configured, open and busy, read at each scrape. */
@Injectable()
class LdapPoolGauges {
  constructor(pool: LdapConnectionPool) {
    watchLdapPool(() => pool.stats());
  }
}

/** Unbinds the pooled LDAP connections when the service stops. */
@Injectable()
class ConnectionPoolCloser implements OnApplicationShutdown {
  constructor(private readonly pool: LdapConnectionPool) {}

  async onApplicationShutdown(): Promise<void> {
    await this.pool.close();
  }
}
