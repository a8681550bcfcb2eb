import { RateLimitStore } from '../rate-limit/rate-limit.store';
import { LogonFailureMonitor } from './logon-failure.monitor';

const thresholds = { threshold: 3, windowMs: 60_000 };
const log = { info: jest.fn(), warn: jest.fn() };

function monitor(): LogonFailureMonitor {
  const store = new RateLimitStore({ redisUrl: null, namespace: 'credroam-unit' }, log);
  return new LogonFailureMonitor(thresholds, store);
}

describe('LogonFailureMonitor', () => {
  it('raises once when a key goes over the threshold within the window, not on every later failure', async () => {
    const failures = monitor();
    const raised: (number | null)[] = [];
    for (let failure = 0; failure < 6; failure++) raised.push(await failures.record('user:alice'));
    expect(raised).toEqual([null, null, null, 4, null, null]);
  });

  it('counts keys apart', async () => {
    const failures = monitor();
    for (let failure = 0; failure < 3; failure++) await failures.record('user:alice');
    expect(await failures.record('user:bob')).toBeNull();
    expect(await failures.record('user:alice')).toBe(4);
  });
});
