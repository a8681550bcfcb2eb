import {
  Inject,
  Module,
  type DynamicModule,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import {
  BrokerHealthIndicator,
  EventPublisher,
  MessagingModule,
  rpcClientToken,
  RpcServiceHealthIndicator,
  type AmqpConfig,
  type RpcClient,
} from '@credroam/messaging';
import { healthChecksModule, httpLoggerModule, type Logger } from '@credroam/platform';
import { type LogonEventsConfig } from './config/logon-events.config';
import { AgentController } from './http/agent.controller';
import { DocsController } from './http/docs.controller';
import { HealthController } from './http/health.controller';
import { createLogonServices, type LogonServices } from './logon-services';
import { LOGON_SERVICES } from './logon.tokens';

@Module({})
export class LogonEventsModule {
  static forRoot(config: LogonEventsConfig, amqp: AmqpConfig, logger: Logger): DynamicModule {
    return {
      module: LogonEventsModule,
      imports: [
        MessagingModule.forRoot({
          config: amqp,
          logger,
          publisher: true,
          rpcClients: ['directory-gateway', 'token-crypto'],
        }),
        healthChecksModule(),
        httpLoggerModule(logger),
      ],
      controllers: [AgentController, HealthController, DocsController],
      providers: [
        {
          provide: LOGON_SERVICES,
          inject: [rpcClientToken('directory-gateway'), rpcClientToken('token-crypto'), EventPublisher],
          useFactory: (directory: RpcClient, crypto: RpcClient, publisher: EventPublisher) =>
            createLogonServices(config, amqp, { directory, crypto }, publisher, logger),
        },
        IngressLifecycle,
        BrokerHealthIndicator,
        RpcServiceHealthIndicator,
      ],
    };
  }
}

/** Starts consuming the AMQP ingress once the app is up, and stops before the connections close. */
class IngressLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(@Inject(LOGON_SERVICES) private readonly services: LogonServices) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.services.ingress?.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.services.ingress?.stop();
  }
}
