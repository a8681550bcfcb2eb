import { LogonFailureMonitor } from './logon-failure.monitor';

const thresholds = { threshold: 3, windowMs: 60_000, maxTracked: 100 };

describe('LogonFailureMonitor', () => {
  it('raises once when a key goes over the threshold within the window, not on every later failure', () => {
    const monitor = new LogonFailureMonitor(thresholds);
    const raised = [0, 1, 2, 3, 4, 5].map((second) => monitor.record('user:alice', second * 1000));
    expect(raised).toEqual([null, null, null, 4, null, null]);
  });

  it('forgets failures older than the window, and alerts again after a quiet spell', () => {
    const monitor = new LogonFailureMonitor(thresholds);
    for (const at of [0, 20_000, 40_000]) expect(monitor.record('source:192.0.2.1', at)).toBeNull();
    // The first failure has left the window: still three.
    expect(monitor.record('source:192.0.2.1', 61_000)).toBeNull();
    expect(monitor.record('source:192.0.2.1', 62_000)).toBe(4);
    // Quiet for a window, then a new burst is a new alert.
    for (const at of [200_000, 201_000, 202_000]) expect(monitor.record('source:192.0.2.1', at)).toBeNull();
    expect(monitor.record('source:192.0.2.1', 203_000)).toBe(4);
  });

  it('counts keys apart and bounds how many it tracks', () => {
    const monitor = new LogonFailureMonitor({ ...thresholds, maxTracked: 2 });
    for (const at of [0, 1, 2]) monitor.record('user:alice', at);
    monitor.record('user:bob', 3);
    // carol pushes alice (least recently failing) out: her next failure starts a fresh count.
    monitor.record('user:carol', 4);
    expect(monitor.record('user:alice', 5)).toBeNull();
    for (const at of [6, 7]) expect(monitor.record('user:alice', at)).toBeNull();
    expect(monitor.record('user:alice', 8)).toBe(4);
  });
});
