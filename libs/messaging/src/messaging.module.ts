import type { GrantVerifier } from '@credroam/grants';
import type { RpcService } from '@credroam/roaming';
import { Module, type DynamicModule, type Provider } from '@nestjs/common';
import { loadAmqpConfig, type AmqpConfig } from './amqp.config';
import { EventPublisher } from './events/event.publisher';
import { defaultMessagingLogger, type MessagingLogger } from './messaging.logger';
import { AMQP_CONFIG, MESSAGING_LOGGER, RPC_GRANT_GUARD, rpcClientToken } from './messaging.tokens';
import { RpcGrantGuard } from './rpc/rpc-grant.guard';
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
  /**
   * For a service that serves granted RPCs: RpcHandlerRunner checks their grants with this verifier and
   * publishes every refusal (an EventPublisher is provided for it).
   */
  grants?: GrantVerifier;
}

/**
 * Wiring only, no behaviour: provides AMQP_CONFIG, MESSAGING_LOGGER, RpcHandlerRunner, and on request an
 * EventPublisher, the grant guard and RpcClients, each connected when the application starts and closed at shutdown (enable
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
    if (options.publisher || options.grants) {
      providers.push({
        provide: EventPublisher,
        useFactory: async () => {
          const publisher = new EventPublisher(config, { logger });
          await publisher.connect();
          return publisher;
        },
      });
    }
    const verifier = options.grants;
    if (verifier) {
      providers.push({
        provide: RPC_GRANT_GUARD,
        inject: [EventPublisher],
        useFactory: (publisher: EventPublisher) => new RpcGrantGuard(verifier, publisher, logger),
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
