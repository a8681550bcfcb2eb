import { Transport } from '@nestjs/microservices';
import { amqpConfig } from '../amqp.config';
import { rpcClientOptions, rpcServerOptions } from './rpc-transport.options';

describe('RPC transport options', () => {
  const config = amqpConfig({ namespace: 'credroam-test-ab', prefetch: 7 });
  const server = rpcServerOptions(config, 'token-crypto');
  const client = rpcClientOptions(config, 'token-crypto');

  it('make the server acknowledge manually with a bounded prefetch', () => {
    expect(server.transport).toBe(Transport.RMQ);
    expect(server.options).toEqual(
      expect.objectContaining({
        urls: [config.url],
        queue: 'credroam-test-ab.token-crypto.rpc',
        noAck: false,
        prefetchCount: 7,
      }),
    );
  });

  it('disable Nagle on both ends, where Nest reads it', () => {
    expect(server.options.socketOptions?.connectionOptions).toEqual(
      expect.objectContaining({ noDelay: true }),
    );
    expect(client.options.socketOptions?.connectionOptions).toEqual(
      expect.objectContaining({ noDelay: true }),
    );
  });

  it('declare the same durable queue on both ends', () => {
    expect(client.options.queue).toBe(server.options.queue);
    expect(client.options.queueOptions).toEqual(server.options.queueOptions);
    expect(server.options.queueOptions).toEqual({ durable: true, arguments: { 'x-queue-type': 'classic' } });
  });

  it('leave the client on auto-ack, which direct reply-to requires', () => {
    expect(client.options.noAck).toBeUndefined();
  });
});
