import type { RpcService } from '@credroam/roaming';
import { Module, type DynamicModule, type Provider } from '@nestjs/common';
import { loadAmqpConfig, type AmqpConfig } from './amqp.config';
import { EventPublisher } from './events/event.publisher';
import { defaultMessagingLogger, type MessagingLogger } from './messaging.logger';
import { AMQP_CONFIG, MESSAGING_LOGGER, rpcClientToken } from './messaging.tokens';
import { RpcClient } from './rpc/rpc.client';
import { RpcHandlerRunner } from './rpc/rpc-handler.runner';

export interface MessagingModuleOptions {
  /** Default: loadAmqpConfig(process.env), validated when the module is built. */
  config?: AmqpConfig;
  logger?: MessagingLogger;
  /** The services this app calls: each gets an RpcClient under rpcClientToken(service). */
  rpcClients?: readonly RpcService[];
  /** Provide an EventPublisher (connected at startup). */
  publisher?: boolean;
}

/**
 * Wiring only, no behaviour: provides AMQP_CONFIG, MESSAGING_LOGGER, RpcHandlerRunner, and on request an
 * EventPublisher and RpcClients, each connected when the application starts and closed at shutdown (enable
 * `app.enableShutdownHooks()`). Event consumers are started by the app that owns them (new EventConsumer(...)).
 */
@Module({})
export class MessagingModule {
  static forRoot(options: MessagingModuleOptions = {}): DynamicModule {
    const config = options.config ?? loadAmqpConfig();
    const logger = options.logger ?? defaultMessagingLogger();
    const providers: Provider[] = [
      { provide: AMQP_CONFIG, useValue: config },
      { provide: MESSAGING_LOGGER, useValue: logger },
      RpcHandlerRunner,
    ];
    if (options.publisher) {
      providers.push({
        provide: EventPublisher,
        useFactory: async () => {
          const publisher = new EventPublisher(config, { logger });
          await publisher.connect();
          return publisher;
        },
      });
    }
    for (const service of options.rpcClients ?? []) {
      providers.push({
        provide: rpcClientToken(service),
        useFactory: async () => {
          const client = new RpcClient(config, service, { logger });
          await client.connect();
          return client;
        },
      });
    }
    return {
      module: MessagingModule,
      global: true,
      providers,
      exports: providers.map((provider) => (typeof provider === 'function' ? provider : provider.provide)),
    };
  }
}
