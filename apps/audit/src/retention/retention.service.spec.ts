import { createLogger } from '@credroam/platform';
import { RetentionService, type EventPurger } from './retention.service';

const silent = createLogger('audit-test', { level: 'silent' });
const DAY = 86_400_000;

describe('retention', () => {
  it('purges what occurred before now minus the retention days, then refreshes statistics', async () => {
    const calls: string[] = [];
    const purger: EventPurger = {
      purgeOlderThan: async (cutoff) => {
        calls.push(`purge ${cutoff}`);
        return 3;
      },
      optimize: async () => void calls.push('optimize'),
    };
    const purged: number[] = [];
    const retention = new RetentionService(purger, silent, {
      retentionDays: 90,
      intervalMs: 60_000,
      clock: () => 100 * DAY,
      onPurged: (count) => purged.push(count),
    });
    await expect(retention.purgeNow()).resolves.toBe(3);
    expect(calls).toEqual([`purge ${10 * DAY}`, 'optimize']);
    expect(purged).toEqual([3]);
  });

  it('runs on its schedule and keeps running after a failed purge', async () => {
    let runs = 0;
    let ranThreeTimes: () => void = () => undefined;
    const threeRuns = new Promise<void>((resolve) => (ranThreeTimes = resolve));
    const purger: EventPurger = {
      purgeOlderThan: async () => {
        runs++;
        if (runs === 3) ranThreeTimes();
        if (runs === 1) throw new Error('database down');
        return 0;
      },
      optimize: async () => undefined,
    };
    const retention = new RetentionService(purger, silent, {
      retentionDays: 1,
      intervalMs: 5,
      firstRunDelayMs: 1,
    });
    retention.start();
    await threeRuns;
    await retention.stop();
    const runsAtStop = runs;
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(runs).toBe(runsAtStop);
  });
});
