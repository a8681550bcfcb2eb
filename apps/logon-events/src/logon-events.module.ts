import { ObservabilityModule } from '@credroam/observability';
import { Module, type DynamicModule } from '@nestjs/common';
import {
  BrokerHealthIndicator,
  MessagingModule,
  RpcServiceHealthIndicator,
  type AmqpConfig,
} from '@credroam/messaging';
import { healthChecksModule, httpLoggerModule, type Logger } from '@credroam/platform';
import { type LogonEventsConfig } from './config/logon-events.config';
import { AgentController } from './http/agent.controller';
import { DocsController } from './http/docs.controller';
import { HealthController } from './http/health.controller';
import { logonProviders } from './logon-events.providers';

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
        ObservabilityModule.forRoot(),
      ],
      controllers: [AgentController, HealthController, DocsController],
      providers: [...logonProviders(config, amqp, logger), BrokerHealthIndicator, RpcServiceHealthIndicator],
    };
  }
}
