import { type SyncTrigger } from '@credroam/roaming';
import { SyncScheduler, type AttemptVerdict } from './sync-scheduler';

/** A run function whose attempts the spec finishes by hand, recording the trigger of each. */
function controlledRuns() {
  const started: SyncTrigger[] = [];
  const finishers: ((verdict: AttemptVerdict) => void)[] = [];
  const run = (trigger: SyncTrigger) =>
    new Promise<AttemptVerdict>((resolve) => {
      started.push(trigger);
      finishers.push(resolve);
    });
  const finish = async (verdict: AttemptVerdict = 'ok') => {
    finishers.shift()?.(verdict);
    await jest.advanceTimersByTimeAsync(0);
  };
  return { run, started, finish, inFlight: () => finishers.length };
}

describe('SyncScheduler', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  let retries: [number, number][];
  beforeEach(() => {
    retries = [];
  });
  const make = (run: (trigger: SyncTrigger) => Promise<AttemptVerdict>, refreshMs: number | null = null) =>
    new SyncScheduler({
      debounceMs: 1_000,
      refreshMs: () => refreshMs,
      backoff: { baseMs: 1_000, maxMs: 8_000 },
      run,
      onRetry: (failures, delayMs) => retries.push([failures, delayMs]),
      random: () => 1,
    });

  it('debounces store changes: a burst is one sync, after the quiet interval', async () => {
    const runs = controlledRuns();
    const scheduler = make(runs.run);
    for (let i = 0; i < 5; i += 1) {
      scheduler.request('store-change');
      await jest.advanceTimersByTimeAsync(500);
    }
    expect(runs.started).toEqual([]);
    await jest.advanceTimersByTimeAsync(500);
    expect(runs.started).toEqual(['store-change']);
    await runs.finish();
    await scheduler.stop();
  });

  it('runs one sync at a time and coalesces the requests made meanwhile into one more', async () => {
    const runs = controlledRuns();
    const scheduler = make(runs.run);
    scheduler.request('logon');
    scheduler.request('pulse');
    scheduler.request('unlock');
    scheduler.request('pulse');
    expect(runs.started).toEqual(['logon']);
    expect(runs.inFlight()).toBe(1);
    await runs.finish();
    expect(runs.started).toEqual(['logon', 'pulse']);
    await runs.finish();
    expect(runs.started).toEqual(['logon', 'pulse']);
    await scheduler.stop();
  });

  it('backs off exponentially up to the cap, resumes alone, and resets after a success', async () => {
    const runs = controlledRuns();
    const scheduler = make(runs.run);
    scheduler.request('logon');
    const gaps: number[] = [];
    for (let failure = 1; failure <= 5; failure += 1) {
      await runs.finish('retry');
      const before = runs.started.length;
      let waited = 0;
      while (runs.started.length === before) {
        await jest.advanceTimersByTimeAsync(500);
        waited += 500;
      }
      gaps.push(waited);
    }
    expect(gaps).toEqual([1_000, 2_000, 4_000, 8_000, 8_000]);
    expect(retries).toEqual([
      [1, 1_000],
      [2, 2_000],
      [3, 4_000],
      [4, 8_000],
      [5, 8_000],
    ]);
    expect(runs.started.every((trigger) => trigger === 'logon')).toBe(true);
    await runs.finish('ok');
    scheduler.request('refresh');
    await runs.finish('retry');
    // Reset by the success: the first failure after it waits the base delay again.
    expect(retries[5]).toEqual([1, 1_000]);
    await jest.advanceTimersByTimeAsync(999);
    expect(runs.started).toHaveLength(7);
    await jest.advanceTimersByTimeAsync(1);
    expect(runs.started).toHaveLength(8);
    await runs.finish();
    await scheduler.stop();
  });

  it('folds store changes into a pending retry, but lets a pulse cut the backoff short', async () => {
    const runs = controlledRuns();
    const scheduler = make(runs.run);
    scheduler.request('refresh');
    await runs.finish('retry');
    scheduler.request('store-change');
    await jest.advanceTimersByTimeAsync(999);
    expect(runs.started).toEqual(['refresh']);
    scheduler.request('pulse');
    expect(runs.started).toEqual(['refresh', 'pulse']);
    await runs.finish();
    await scheduler.stop();
  });

  it('does not retry a session that expired, and tries again at the refresh interval', async () => {
    const runs = controlledRuns();
    const scheduler = make(runs.run, 60_000);
    scheduler.request('logon');
    await runs.finish('wait');
    await jest.advanceTimersByTimeAsync(59_999);
    expect(runs.started).toEqual(['logon']);
    await jest.advanceTimersByTimeAsync(1);
    expect(runs.started).toEqual(['logon', 'refresh']);
    await runs.finish();
    await scheduler.stop();
  });

  it('treats a run that throws as a failure to retry', async () => {
    let calls = 0;
    const scheduler = make(async () => {
      calls += 1;
      if (calls === 1) throw new Error('boom');
      return 'ok';
    });
    scheduler.request('pulse');
    await jest.advanceTimersByTimeAsync(1_000);
    expect(calls).toBe(2);
    await scheduler.stop();
  });

  it('stops: waits for the sync under way and starts nothing after', async () => {
    const runs = controlledRuns();
    const scheduler = make(runs.run, 1_000);
    scheduler.request('logon');
    scheduler.request('pulse');
    const stopped = scheduler.stop();
    await runs.finish();
    await stopped;
    scheduler.request('pulse');
    await jest.advanceTimersByTimeAsync(10_000);
    expect(runs.started).toEqual(['logon']);
  });
});
