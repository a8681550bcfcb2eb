import { ObservabilityModule } from '@credroam/observability';
import {
  Module,
  RequestMethod,
  type DynamicModule,
  type MiddlewareConsumer,
  type NestModule,
} from '@nestjs/common';
import { AGENT_API_PATHS } from '@credroam/roaming';
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
import { BODY_LIMITS } from './agent/body-limits';
import { jsonBody, SessionGate } from './http/request-body';
import { logonProviders } from './logon-events.providers';

@Module({})
export class LogonEventsModule implements NestModule {
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

  /** Bodies are read per route, each with its own limit, and those behind a session only once it checks out. */
  configure(consumer: MiddlewareConsumer): void {
    const post = (path: string) => ({ path, method: RequestMethod.POST });
    consumer.apply(SessionGate, jsonBody(BODY_LIMITS.sync)).forRoutes(post(AGENT_API_PATHS.sync));
    consumer
      .apply(SessionGate, jsonBody(BODY_LIMITS.small))
      .forRoutes(
        post(AGENT_API_PATHS.syncCheck),
        post(AGENT_API_PATHS.events),
        post(AGENT_API_PATHS.changes),
      );
    consumer
      .apply(jsonBody(BODY_LIMITS.small))
      .forRoutes(
        post(AGENT_API_PATHS.sessions),
        post(AGENT_API_PATHS.renewSession),
        post(AGENT_API_PATHS.kerberosSessions),
      );
  }
}
