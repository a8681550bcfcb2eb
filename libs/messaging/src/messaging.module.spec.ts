import { Test } from '@nestjs/testing';
import { amqpConfig } from './amqp.config';
import { defaultMessagingLogger, type MessagingLogger } from './messaging.logger';
import { MessagingModule } from './messaging.module';
import { AMQP_CONFIG, MESSAGING_LOGGER } from './messaging.tokens';
import { RpcHandlerRunner } from './rpc/rpc-handler.runner';

describe('MessagingModule.forRoot', () => {
  it('provides the config, the logger and an RpcHandlerRunner that logs through it', async () => {
    const config = amqpConfig({ namespace: 'credroam-test-module' });
    const lines: string[] = [];
    const logger: MessagingLogger = {
      debug: () => undefined,
      info: (_fields, message) => lines.push(message),
      warn: () => undefined,
      error: () => undefined,
    };
    const moduleRef = await Test.createTestingModule({
      imports: [MessagingModule.forRoot({ config, logger })],
    }).compile();

    expect(moduleRef.get(AMQP_CONFIG)).toBe(config);
    expect(moduleRef.get(MESSAGING_LOGGER)).toBe(logger);
    const runner = moduleRef.get(RpcHandlerRunner);
    const ctx = {
      getMessage: () => ({ fields: {}, properties: {} }),
      getChannelRef: () => ({ ack: () => undefined }),
    };
    await runner.run('directory.health', { correlationId: 'c-1', payload: {} }, ctx as never, async () => ({
      status: 'ok',
      checks: {},
    }));
    expect(lines).toEqual(['rpc handled']);
  });
});

describe('defaultMessagingLogger', () => {
  it('is a pino logger shared by everything that gets no logger', () => {
    const logger = defaultMessagingLogger();
    expect(typeof logger.info).toBe('function');
    expect(defaultMessagingLogger()).toBe(logger);
  });
});
