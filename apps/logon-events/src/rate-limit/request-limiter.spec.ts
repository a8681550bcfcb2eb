import fc from 'fast-check';
import { RateLimiterMemory } from 'rate-limiter-flexible';
import { RequestLimiter, retryAfterSeconds } from './request-limiter';

describe('retryAfterSeconds', () => {
  it('is what the window has left, at least a second and never more than the window', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -86_400_000, max: 86_400_000 }),
        fc.integer({ min: 1, max: 3600 }),
        (ms, window) => {
          const seconds = retryAfterSeconds(ms, window);
          expect(seconds).toBeGreaterThanOrEqual(1);
          expect(seconds).toBeLessThanOrEqual(window);
          if (ms > 0 && ms <= window * 1000) expect(seconds).toBe(Math.ceil(ms / 1000));
        },
      ),
    );
  });
});

describe('RequestLimiter on a clock that steps back', () => {
  afterEach(() => jest.useRealTimers());

  it('asks for no more than a window, and its window still ends on time', async () => {
    jest.useFakeTimers({ now: 1_800_000_000_000 });
    const limiter = new RequestLimiter('user', new RateLimiterMemory({ points: 2, duration: 15 }));
    const take = () => limiter.take('alice', () => undefined);
    await take();
    await take();
    // NTP steps this server's clock back 25 s; the window's timer runs on monotonic time.
    jest.setSystemTime(Date.now() - 25_000);
    await expect(take()).rejects.toMatchObject({ code: 'RATE_LIMITED', details: { retryAfterSeconds: 15 } });
    jest.advanceTimersByTime(15_000);
    await expect(take()).resolves.toBeUndefined();
  });
});
