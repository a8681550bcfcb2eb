import fc from 'fast-check';
import { MAX_CLOCK_OFFSET_MS } from '../store/clock-offset.file';
import { CLOCK_OFFSET_NOISE_MS, nextClockOffset, ServerClock } from './server-clock';

const offset = fc.integer({ min: -MAX_CLOCK_OFFSET_MS, max: MAX_CLOCK_OFFSET_MS });

describe('nextClockOffset', () => {
  it('leaves the clock within the noise of every measurement, and is stable once a measurement is applied', () => {
    fc.assert(
      fc.property(offset, offset, (current, measured) => {
        const next = nextClockOffset(current, measured);
        expect(Math.abs(next - measured)).toBeLessThan(CLOCK_OFFSET_NOISE_MS);
        expect(nextClockOffset(next, measured)).toBe(next);
        expect([0, current, measured]).toContain(next);
      }),
    );
  });

  it('never moves a right clock by measurement noise, and keeps a learnt offset against jitter', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -CLOCK_OFFSET_NOISE_MS + 1, max: CLOCK_OFFSET_NOISE_MS - 1 }),
        (noise) => {
          expect(nextClockOffset(0, noise)).toBe(0);
          expect(nextClockOffset(600_000, 600_000 + noise)).toBe(600_000);
        },
      ),
    );
  });

  it('follows a workstation clock set right or stepped, and ignores a measurement beyond a day', () => {
    expect(nextClockOffset(600_000, 1_000)).toBe(0);
    expect(nextClockOffset(0, -600_000)).toBe(-600_000);
    expect(nextClockOffset(0, MAX_CLOCK_OFFSET_MS + 1)).toBe(0);
    expect(nextClockOffset(5_000, Number.NaN)).toBe(5_000);
  });
});

describe('ServerClock', () => {
  it('dates by the server once told its time, and keeps the offset for the next run', () => {
    let local = 1_000_000;
    const written: number[] = [];
    const store = { read: () => written.at(-1) ?? 0, write: (ms: number) => written.push(ms) };
    const clock = new ServerClock(() => local, store);
    expect(clock.now()).toBe(1_000_000);
    clock.observe(1_000_000 - 600_000);
    expect(clock.now()).toBe(1_000_000 - 600_000);
    clock.observe(1_000_000 - 599_000);
    expect(written).toEqual([-600_000]);
    local += 10;
    expect(new ServerClock(() => local, store).now()).toBe(1_000_010 - 600_000);
  });

  it('still dates by a measured offset when it cannot be kept', () => {
    const clock = new ServerClock(() => 0, {
      read: () => 0,
      write: () => {
        throw new Error('read-only store');
      },
    });
    clock.observe(60_000);
    expect(clock.now()).toBe(60_000);
  });
});
