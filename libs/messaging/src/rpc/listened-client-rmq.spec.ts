import { EventEmitter } from 'node:events';
import { ListenedClientRmq } from './rpc.client';

describe('ListenedClientRmq', () => {
  it('listens for errors on the channel it creates, so a setup failure does not throw out of the process', () => {
    const errors: unknown[] = [];
    const proxy = new ListenedClientRmq({ urls: ['amqp://127.0.0.1:1'], queue: 'q' }, (error) =>
      errors.push(error),
    );
    const wrapper = new EventEmitter();
    // The connection manager the client would have opened: only createChannel is used.
    Object.assign(proxy, { client: { createChannel: () => wrapper } });
    void proxy.createChannel();
    expect(() =>
      wrapper.emit('error', new Error('Channel ended, no reply will be forthcoming')),
    ).not.toThrow();
    expect(errors).toEqual([new Error('Channel ended, no reply will be forthcoming')]);
  });
});
