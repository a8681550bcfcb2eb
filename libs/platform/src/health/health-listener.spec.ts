import { healthListenerFromEnv } from './health-listener';

const variables = { host: 'CREDROAM_X_HEALTH_HOST', port: 'CREDROAM_X_HEALTH_PORT' };

describe('healthListenerFromEnv', () => {
  it('opens no listener without a port, and the loopback by default with one', () => {
    expect(healthListenerFromEnv(variables, {})).toBeNull();
    expect(healthListenerFromEnv(variables, { CREDROAM_X_HEALTH_PORT: '8442' })).toEqual({
      host: '127.0.0.1',
      port: 8442,
    });
    expect(
      healthListenerFromEnv(variables, { CREDROAM_X_HEALTH_PORT: '0', CREDROAM_X_HEALTH_HOST: '0.0.0.0' }),
    ).toEqual({ host: '0.0.0.0', port: 0 });
  });

  it('refuses a port that is not a whole number in range, naming the variable', () => {
    for (const port of ['http', '70000', '-1', '1e3']) {
      expect(() => healthListenerFromEnv(variables, { CREDROAM_X_HEALTH_PORT: port })).toThrow(
        /CREDROAM_X_HEALTH_PORT/,
      );
    }
  });
});
