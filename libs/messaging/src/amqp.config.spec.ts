import { RoamingError } from '@credroam/roaming';
import {
  amqpConfig,
  AMQP_DEFAULTS,
  brokerUrls,
  describeBroker,
  loadAmqpConfig,
  redactAmqpUrl,
} from './amqp.config';

function failure(env: NodeJS.ProcessEnv): RoamingError {
  try {
    loadAmqpConfig(env);
  } catch (error) {
    return error as RoamingError;
  }
  throw new Error('expected the configuration to be refused');
}

describe('loadAmqpConfig', () => {
  it('uses the documented defaults for an empty environment', () => {
    expect(loadAmqpConfig({})).toEqual({
      url: 'amqp://guest:guest@127.0.0.1:5672',
      namespace: 'credroam',
      prefetch: 32,
      rpcTimeoutMs: 10_000,
      queueType: 'classic',
      maxMessageBytes: 64 * 1024 * 1024,
    });
  });

  it('reads every variable, treating blank values as unset', () => {
    expect(
      loadAmqpConfig({
        CREDROAM_AMQP_URL: 'amqps://svc:pw@broker.internal:5671/credroam',
        CREDROAM_AMQP_NAMESPACE: 'credroam-test-1a2b',
        CREDROAM_AMQP_PREFETCH: ' 5 ',
        CREDROAM_RPC_TIMEOUT_MS: '',
        CREDROAM_AMQP_QUEUE_TYPE: 'quorum',
        CREDROAM_AMQP_MAX_MESSAGE_BYTES: '1048576',
      }),
    ).toEqual({
      url: 'amqps://svc:pw@broker.internal:5671/credroam',
      namespace: 'credroam-test-1a2b',
      prefetch: 5,
      rpcTimeoutMs: AMQP_DEFAULTS.rpcTimeoutMs,
      queueType: 'quorum',
      maxMessageBytes: 1_048_576,
    });
  });

  it('names every bad variable in one INVALID_INPUT error', () => {
    const error = failure({
      CREDROAM_AMQP_URL: 'http://user:topsecret@host',
      CREDROAM_AMQP_NAMESPACE: 'Not Valid',
      CREDROAM_AMQP_PREFETCH: '0',
      CREDROAM_RPC_TIMEOUT_MS: '10s',
    });
    expect(error).toBeInstanceOf(RoamingError);
    expect(error.code).toBe('INVALID_INPUT');
    for (const name of [
      'CREDROAM_AMQP_URL',
      'CREDROAM_AMQP_NAMESPACE',
      'CREDROAM_AMQP_PREFETCH',
      'CREDROAM_RPC_TIMEOUT_MS',
    ]) {
      expect(error.message).toContain(name);
    }
    expect(error.message).toContain('at least 1');
    expect(error.message).toContain('whole number');
  });

  it('never echoes the URL, which may carry a password', () => {
    expect(failure({ CREDROAM_AMQP_URL: 'amqp//user:topsecret@host' }).message).not.toContain('topsecret');
  });

  it.each(['amqp://', 'not a url', 'amqp:///vhost'])('refuses the URL %j', (url) => {
    expect(failure({ CREDROAM_AMQP_URL: url }).message).toContain('CREDROAM_AMQP_URL');
  });

  it('refuses an unlimited prefetch and an absurd timeout', () => {
    expect(failure({ CREDROAM_AMQP_PREFETCH: '70000' }).message).toContain('at most 65535');
    expect(failure({ CREDROAM_RPC_TIMEOUT_MS: '0' }).message).toContain('at least 1');
  });
});

describe('several broker URLs (the nodes of a cluster)', () => {
  const nodes = 'amqp://svc:pw@127.0.0.1:5701, amqp://svc:pw@127.0.0.1:5702/,amqp://svc:pw@localhost:5703';

  it('takes a comma-separated list, trimmed, and hands each node to the clients', () => {
    const config = loadAmqpConfig({ CREDROAM_AMQP_URL: nodes });
    expect(brokerUrls(config)).toEqual([
      'amqp://svc:pw@127.0.0.1:5701',
      'amqp://svc:pw@127.0.0.1:5702/',
      'amqp://svc:pw@localhost:5703',
    ]);
    expect(describeBroker(config)).toBe(
      'amqp://127.0.0.1:5701 vhost /, amqp://127.0.0.1:5702 vhost /, amqp://localhost:5703 vhost /',
    );
    expect(redactAmqpUrl(config.url)).not.toContain('pw');
  });

  it('refuses a bad item, a mix of schemes and a plain node off loopback, without echoing the URLs', () => {
    for (const url of [
      'amqp://svc:pw@127.0.0.1:5701,http://svc:pw@127.0.0.1',
      'amqp://svc:pw@127.0.0.1:5701,amqps://svc:pw@127.0.0.1:5702',
      'amqp://svc:pw@127.0.0.1:5701,amqp://svc:pw@broker.internal:5672',
    ]) {
      const error = failure({ CREDROAM_AMQP_URL: url });
      expect(error.code).toBe('INVALID_INPUT');
      expect(error.message).not.toContain('pw');
    }
  });
});

describe('amqpConfig', () => {
  it('fills in defaults and validates overrides', () => {
    expect(amqpConfig({ namespace: 'credroam-test-x' }).prefetch).toBe(32);
    expect(() => amqpConfig({ prefetch: 0 })).toThrow(/prefetch/);
  });
});

describe('redactAmqpUrl and describeBroker', () => {
  it('hide the password', () => {
    expect(redactAmqpUrl('amqp://svc:s3cr%40t@broker:5672/v')).toBe('amqp://svc:***@broker:5672/v');
    expect(describeBroker({ url: 'amqp://svc:s3cret@broker/prod%2Fv' })).toBe(
      'amqp://broker:5672 vhost prod/v',
    );
    expect(describeBroker({ url: 'amqps://broker' })).toBe('amqps://broker:5671 vhost /');
  });
});
