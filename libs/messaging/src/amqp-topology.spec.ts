import { EVENTS_EXCHANGE, RPC_QUEUES } from '@credroam/roaming';
import { amqpNames, isInNamespace, retryQueueOptions, workQueueOptions } from './amqp-topology';

describe('amqpNames', () => {
  it('gives the contract names for the default namespace', () => {
    const names = amqpNames('credroam');
    expect(names.eventsExchange).toBe(EVENTS_EXCHANGE);
    expect(names.rpcQueues).toEqual(RPC_QUEUES);
  });

  it('derives every name from another namespace', () => {
    const names = amqpNames('credroam-test-1a2b');
    expect(names).toEqual(
      expect.objectContaining({
        namespace: 'credroam-test-1a2b',
        eventsExchange: 'credroam-test-1a2b.events',
        deadLetterExchange: 'credroam-test-1a2b.dead-letter',
        deadLetterQueue: 'credroam-test-1a2b.dead-letters',
        rpcQueues: {
          'directory-gateway': 'credroam-test-1a2b.directory-gateway.rpc',
          'token-crypto': 'credroam-test-1a2b.token-crypto.rpc',
        },
      }),
    );
    expect(names.queue('audit')).toBe('credroam-test-1a2b.audit');
    expect(names.retryQueue(names.queue('audit'))).toBe('credroam-test-1a2b.audit.retry');
  });

  it.each(['', 'Credroam', 'a b', 'x.', '-x', 'a'.repeat(65)])('refuses the namespace %j', (namespace) => {
    expect(() => amqpNames(namespace)).toThrow();
  });
});

describe('isInNamespace', () => {
  it('accepts only names below the namespace', () => {
    expect(isInNamespace('credroam.audit', 'credroam')).toBe(true);
    expect(isInNamespace('credroam-test.audit', 'credroam')).toBe(false);
    expect(isInNamespace('credroam.', 'credroam')).toBe(false);
    expect(isInNamespace('audit', 'credroam')).toBe(false);
  });
});

describe('queue arguments', () => {
  it('loops a retry queue back to its work queue and sends a work queue’s rejects to the dead-letter exchange', () => {
    const names = amqpNames('ns');
    expect(retryQueueOptions('ns.audit').arguments).toEqual({
      'x-dead-letter-exchange': '',
      'x-dead-letter-routing-key': 'ns.audit',
      'x-queue-type': 'classic',
    });
    expect(workQueueOptions(names, 'quorum').arguments).toEqual({
      'x-dead-letter-exchange': 'ns.dead-letter',
      'x-queue-type': 'quorum',
    });
  });
});
